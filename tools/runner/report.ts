// Reporters: pretty (people), json (one document on stdout), junit (XML for CI).
import type { RunSummary, ScenarioResult } from './run.ts';

const color = process.stdout.isTTY && !process.env.NO_COLOR;
const paint = (code: number, s: string) => (color ? `\x1b[${code}m${s}\x1b[0m` : s);
const MARK: Record<ScenarioResult['status'], string> = {
  passed: paint(32, 'ok  '),
  failed: paint(31, 'FAIL'),
  skipped: paint(33, 'skip'),
  'known-divergence': paint(35, 'kdiv'),
};

/** The closing line, in the form CI and people read: N passed, N failed, N skipped. */
export function summaryLine(s: Pick<RunSummary, 'passed' | 'failed' | 'skipped'>): string {
  return `${s.passed} passed, ${s.failed} failed, ${s.skipped} skipped`;
}

export function prettyResult(r: ScenarioResult, verbose: boolean): string {
  const lines = [`${MARK[r.status]} ${r.id}${r.status === 'skipped' && verbose ? `  (${r.reason})` : ''}`];
  if (r.status === 'failed' || r.status === 'known-divergence') {
    lines.push(`     ${r.title}`, `     ${r.file} · level ${r.level} · layer ${r.layer}`);
    if (r.reason) lines.push(...r.reason.split('\n').map((l) => `     ${l}`));
    if (r.diff) lines.push(...r.diff.split('\n').map((l) => `     ${l.startsWith('-') ? paint(31, l) : l.startsWith('+') ? paint(32, l) : l}`));
  }
  if (r.note) lines.push(`     note: ${r.note}`);
  return lines.join('\n');
}

export function prettyFooter(s: RunSummary): string {
  const lines: string[] = [];
  const skips = new Map<string, number>();
  for (const r of s.results) if (r.status === 'skipped') skips.set(r.reason ?? '', (skips.get(r.reason ?? '') ?? 0) + 1);
  if (skips.size) {
    lines.push('skipped:');
    for (const [why, n] of [...skips].sort((a, b) => b[1] - a[1])) lines.push(`  ${n} × ${why}`);
  }
  if (s.knownDivergences) lines.push(`${s.knownDivergences} known kernel divergences (expected failures)`);
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
      skipped: s.skipped,
      knownDivergences: s.knownDivergences,
      scenarios: s.results.map(({ id, mechanism, level, layer, status, reason, diff, step, note, ms }) => ({
        id, mechanism, level, layer, status, reason, diff, step, note, ms,
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
  const out = ['<?xml version="1.0" encoding="UTF-8"?>', `<testsuites name="mmspec ${esc(s.implementation.name)}" tests="${s.results.length}" failures="${s.failed}" skipped="${s.skipped}">`];
  for (const [mech, rs] of byMech) {
    const failures = rs.filter((r) => r.status === 'failed').length;
    const skipped = rs.filter((r) => r.status === 'skipped' || r.status === 'known-divergence').length;
    out.push(`  <testsuite name="${esc(mech)}" tests="${rs.length}" failures="${failures}" skipped="${skipped}">`);
    for (const r of rs) {
      out.push(`    <testcase classname="${esc(mech)}" name="${esc(r.id)}" time="${(r.ms / 1000).toFixed(3)}">`);
      if (r.status === 'failed') out.push(`      <failure message="${esc(r.reason ?? 'failed')}">${esc(r.diff ?? r.reason ?? '')}</failure>`);
      if (r.status === 'skipped' || r.status === 'known-divergence') out.push(`      <skipped message="${esc(r.reason ?? '')}"/>`);
      out.push('    </testcase>');
    }
    out.push('  </testsuite>');
  }
  out.push('</testsuites>');
  return out.join('\n');
}
