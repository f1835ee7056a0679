// Reporters: pretty (people), json (one document), junit (XML for CI), tap (LTP, kselftest).
import type { RunSummary, ScenarioResult } from './run.ts';

const color = process.stdout.isTTY && !process.env.NO_COLOR;
const paint = (code: number, s: string) => (color ? `\x1b[${code}m${s}\x1b[0m` : s);
const MARK: Record<ScenarioResult['status'], string> = {
  passed: paint(32, 'ok  '),
  failed: paint(31, 'FAIL'),
  flaky: paint(33, 'FLKY'),
  skipped: paint(33, 'skip'),
  'known-divergence': paint(35, 'kdiv'),
};

import { plural } from '../core/plural.ts';

/** The closing line: N passed, N failed, N flaky, N known divergences, N skipped. */
export function summaryLine(s: Pick<RunSummary, 'passed' | 'failed' | 'skipped'> & Partial<Pick<RunSummary, 'flaky' | 'knownDivergences'>>): string {
  return `${s.passed} passed, ${s.failed} failed, ${s.flaky ?? 0} flaky, ${plural(s.knownDivergences ?? 0, 'known divergence')}, ${s.skipped} skipped`;
}

const indent = (text: string) => text.split('\n').map((l) => `     ${l.startsWith('-') ? paint(31, l) : l.startsWith('+') ? paint(32, l) : l}`);

export function prettyResult(r: ScenarioResult, verbose: boolean): string {
  const lines = [`${MARK[r.status]} ${r.id}${r.status === 'skipped' && verbose ? `  (${r.reason})` : ''}`];
  if (r.status === 'failed' || r.status === 'known-divergence' || r.status === 'flaky') {
    lines.push(`     ${r.title}`, `     ${r.file} · level ${r.level} · layer ${r.layer}`);
    if (r.reason) lines.push(...r.reason.split('\n').map((l) => `     ${l}`));
    if (r.status === 'flaky') {
      for (const [i, a] of (r.attempts ?? []).entries()) {
        lines.push(`     run ${i + 1}: ${a.status}${a.reason ? ` — ${a.reason.split('\n')[0]}` : ''}`);
        if (a.diff) lines.push(...indent(a.diff));
      }
    } else if ((r.status === 'failed' || verbose) && r.diff) lines.push(...indent(r.diff));
  }
  if (r.switches?.length && (r.status !== 'passed' || verbose)) lines.push(`     kernel behaviour switches: ${r.switches.join(', ')}`);
  if (r.note) lines.push(`     note: ${r.note}`);
  return lines.join('\n');
}

/** The first field that differs in a unified diff, for the failure summary. */
function firstField(diff: string | undefined): string {
  const line = diff?.split('\n').find((l) => /^-\s+"/.test(l));
  return line ? line.replace(/^-\s+/, '').replace(/,$/, '') : '';
}

export function prettyFooter(s: RunSummary, verbose = false): string {
  const lines: string[] = [];
  const skips = new Map<string, number>();
  for (const r of s.results) if (r.status === 'skipped') skips.set(r.reason ?? '', (skips.get(r.reason ?? '') ?? 0) + 1);
  if (skips.size && !verbose) {
    lines.push('skipped:');
    for (const [why, n] of [...skips].sort((a, b) => b[1] - a[1])) lines.push(`  ${n} × ${why}`);
  }
  const bad = s.results.filter((r) => r.status === 'failed' || r.status === 'flaky');
  if (bad.length) {
    lines.push(`${bad.length === 1 ? 'failure' : 'failures'}:`);
    for (const r of bad) lines.push(`  ${r.status === 'flaky' ? 'flaky ' : ''}${r.id}${r.step !== undefined ? ` step ${r.step}` : ''}${firstField(r.diff) ? `: ${firstField(r.diff)}` : r.reason ? `: ${r.reason.split('\n')[0]}` : ''}`);
  }
  const kd = s.results.filter((r) => r.status === 'known-divergence');
  if (kd.length) lines.push(`known divergences (the kernel answered exactly as the divergence pins): ${kd.map((r) => r.id).join(', ')}`);
  if (s.interrupted) lines.push('(stopped early: the summary covers the scenarios that ran)');
  lines.push(summaryLine(s));
  return lines.join('\n');
}

export function jsonReport(s: RunSummary): string {
  return JSON.stringify(
    {
      implementation: s.implementation,
      kernel: s.kernel,
      passed: s.passed,
      failed: s.failed,
      flaky: s.flaky,
      knownDivergences: s.knownDivergences,
      skipped: s.skipped,
      interrupted: s.interrupted ?? false,
      scenarios: s.results.map(({ id, mechanism, level, layer, status, reason, diff, step, note, attempts, switches, divergence, ms }) => ({
        id, mechanism, level, layer, status, reason, diff, step, note, attempts, switches, divergence, ms,
      })),
    },
    null,
    2,
  );
}

const esc = (s: string) => s.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);

export function junitReport(s: RunSummary): string {
  const byMech = new Map<string, ScenarioResult[]>();
  for (const r of s.results) byMech.set(r.mechanism, [...(byMech.get(r.mechanism) ?? []), r]);
  const failing = (r: ScenarioResult) => r.status === 'failed' || r.status === 'flaky';
  const skipping = (r: ScenarioResult) => r.status === 'skipped' || r.status === 'known-divergence';
  const out = ['<?xml version="1.0" encoding="UTF-8"?>', `<testsuites name="mmspec ${esc(s.implementation.name)}" tests="${s.results.length}" failures="${s.failed + s.flaky}" skipped="${s.skipped + s.knownDivergences}">`];
  for (const [mech, rs] of byMech) {
    out.push(`  <testsuite name="${esc(mech)}" tests="${rs.length}" failures="${rs.filter(failing).length}" skipped="${rs.filter(skipping).length}">`);
    for (const r of rs) {
      out.push(`    <testcase classname="${esc(mech)}" name="${esc(r.id)}" time="${(r.ms / 1000).toFixed(3)}">`);
      if (failing(r)) {
        const body = r.status === 'flaky' ? (r.attempts ?? []).map((a, i) => `run ${i + 1}: ${a.status} ${a.reason ?? ''}\n${a.diff ?? ''}`).join('\n') : (r.diff ?? r.reason ?? '');
        out.push(`      <failure type="${r.status}" message="${esc(r.reason ?? 'failed')}">${esc(body)}</failure>`);
      }
      if (skipping(r)) out.push(`      <skipped message="${esc(r.status === 'known-divergence' ? `known divergence: ${r.reason ?? ''}` : (r.reason ?? ''))}"/>`);
      out.push('    </testcase>');
    }
    out.push('  </testsuite>');
  }
  out.push('</testsuites>');
  return out.join('\n');
}

/** TAP version 13: one test point per scenario; known divergences are TODO, skips SKIP. */
export function tapReport(s: RunSummary): string {
  const out = ['TAP version 13', `1..${s.results.length}`];
  s.results.forEach((r, i) => {
    const n = i + 1;
    const directive = r.status === 'skipped' ? ` # SKIP ${r.reason ?? ''}` : r.status === 'known-divergence' ? ` # TODO known divergence (${r.divergence?.kernels ?? ''})` : '';
    const ok = r.status === 'passed' || r.status === 'skipped' || r.status === 'known-divergence';
    out.push(`${ok ? 'ok' : 'not ok'} ${n} - ${r.id}${directive.replace(/\n/g, ' ')}`);
    if (!ok || r.status === 'known-divergence') {
      out.push('  ---', `  status: ${r.status}`, `  file: ${r.file}`);
      if (r.reason) out.push(`  message: ${JSON.stringify(r.reason)}`);
      const diff = r.status === 'flaky' ? (r.attempts ?? []).map((a) => a.diff ?? a.reason ?? '').join('\n') : r.diff;
      if (diff) out.push('  diff: |', ...diff.split('\n').map((l) => `    ${l}`));
      out.push('  ...');
    }
  });
  out.push(`# ${summaryLine(s)}`);
  return out.join('\n');
}
