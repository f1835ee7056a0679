// mmspec fuzz: differential fuzzing between two implementations, one mechanism after another.
import { relative } from 'node:path';
import { MECHANISMS } from '../../oracle/index.ts';
import { fuzz, type FuzzReport, type Progress } from '../fuzz/engine.ts';
import { mutating } from '../fuzz/mutate.ts';
import { divergenceRow, writeRows } from '../fuzz/rows.ts';
import { resolveImplementation } from '../impl/resolve.ts';
import { projectRoot } from '../paths.ts';
import { mechanisms } from '../spec/mechanisms.ts';
import { UserError, writeOut } from './errors.ts';
import { plural } from '../core/plural.ts';
import { onInterrupt } from './interrupt.ts';
import { checkKernelFlag, checkOutputFile } from './run.ts';
import type { Implementation } from '../impl/types.ts';

export interface FuzzFlags {
  /** Default: every mechanism with a sequence generator. */
  mechanism?: string[];
  impl: string;
  against: string;
  seed?: string;
  count: string;
  length: string;
  kernel?: string;
  out?: string;
  write: boolean;
  report?: string;
  timeout: string;
  shrinkBudget: string;
  mutate: string;
  allowHostChanges?: boolean;
}

const int = (v: string, name: string, min: number): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new UserError(`--${name} must be an integer of at least ${min}, not '${v}'`);
  return n;
};

export async function fuzzCommand(o: FuzzFlags): Promise<number> {
  checkKernelFlag(o.kernel);
  const known = [...mechanisms().keys()];
  const fuzzable = known.filter((m) => MECHANISMS[m]?.generator);
  for (const m of o.mechanism ?? []) {
    if (!known.includes(m)) throw new UserError(`unknown mechanism '${m}' (known: ${known.join(', ')})`);
    if (!fuzzable.includes(m)) throw new UserError(`mechanism '${m}' has no sequence generator yet`);
  }
  const seed = o.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : int(o.seed, 'seed', 0);
  const count = int(o.count, 'count', 1);
  const range = /^(\d+)-(\d+)$/.exec(o.length);
  const length: number | [number, number] = range ? [int(range[1]!, 'length', 1), int(range[2]!, 'length', 1)] : int(o.length, 'length', 1);
  if (Array.isArray(length) && length[0] > length[1]) throw new UserError(`--length ${o.length}: the range must go from small to large`);
  const timeoutMs = int(o.timeout, 'timeout', 1) * 1000;
  const shrinkBudget = int(o.shrinkBudget, 'shrink-budget', 0);
  const mutate = Number(o.mutate);
  if (!(mutate >= 0 && mutate <= 1)) throw new UserError(`--mutate must be a share of steps from 0 to 1, not '${o.mutate}'`);
  if (o.report) checkOutputFile(o.report, '--report');
  const resolveA = () => resolveImplementation(o.impl, { timeoutMs, allowHostChanges: o.allowHostChanges });
  let a = await resolveA();
  const b = await resolveImplementation(o.against, { timeoutMs, allowHostChanges: o.allowHostChanges });
  const runs: object[] = [];
  let divergences = 0;
  try {
    const claimed = (await a.describe()).mechanisms;
    const list = o.mechanism ?? fuzzable.filter((m) => claimed.includes(m));
    if (!list.length) throw new UserError(`${o.impl} claims none of the mechanisms with a sequence generator (${fuzzable.join(', ')})`);
    for (const [i, mechanism] of list.entries()) {
      // Each mechanism starts from an implementation of its own: a machine keeps what one
      // mechanism's sequences leave behind (a guest's leaked huge pages shrink the commit limit).
      if (i > 0) {
        await a.dispose?.();
        a = await resolveA();
      }
      const run = await fuzzOne(mechanism, o, { a, b, seed, count, length, shrinkBudget, mutate });
      runs.push(run.json);
      divergences += run.divergences;
      if (run.interrupted) break;
    }
  } finally {
    await a.dispose?.();
    await b.dispose?.();
  }
  if (o.report) writeOut(o.report, JSON.stringify({ seed, mutate, divergences, runs }, null, 2));
  return divergences ? 1 : 0;
}

interface Campaign { a: Implementation; b: Implementation; seed: number; count: number; length: number | [number, number]; shrinkBudget: number; mutate: number }

async function fuzzOne(mechanism: string, o: FuzzFlags, { a, b, seed, count, length, shrinkBudget, mutate }: Campaign): Promise<{ json: object; divergences: number; interrupted: boolean }> {
  const spec = mechanisms().get(mechanism)!;
  const gen = MECHANISMS[mechanism]!.generator!;
  const interrupt = onInterrupt('mmspec fuzz: stopping after this sequence (the machine is being put back)…');
  const tty = process.stderr.isTTY;
  let lastLine = 0;
  const progress = (p: Progress) => {
    const now = Date.now();
    if (p.done < p.count && now - lastLine < (tty ? 200 : 10_000)) return;
    lastLine = now;
    const rate = p.steps / Math.max(p.elapsedMs / 1000, 0.001);
    const left = p.done ? ((p.count - p.done) * p.elapsedMs) / p.done / 1000 : 0;
    const line = `fuzz ${mechanism}: ${p.done}/${p.count} sequences, ${Math.round(rate)} steps/s, ${p.divergences} divergences, ${p.flaky} flaky, ${p.skipped} skipped, ${left.toFixed(0)} s left`;
    process.stderr.write(tty ? `\r${line}\x1b[K` : `${line}\n`);
  };
  let report: FuzzReport;
  try {
    const infoA = await a.describe();
    const infoB = await b.describe();
    const kernelOf = infoA.kernel ?? o.kernel;
    process.stderr.write(
      `mmspec fuzz: ${mechanism}, seed ${seed}, ${count} sequences of ${Array.isArray(length) ? length.join('–') : length} steps${mutate ? ` (${Math.round(mutate * 100)}% of steps mutated)` : ''}: ${infoA.name}${infoA.kernel ? ` (kernel ${infoA.kernel})` : ''} against ${infoB.name}${infoB.kernel ? ` (kernel ${infoB.kernel})` : kernelOf ? ` as kernel ${kernelOf}` : ''}\n`,
    );
    report = await fuzz({
      spec, generate: mutating(gen.generate, spec, mutate), a, b, seed, count, length, kernel: o.kernel,
      // A real kernel is judged twice more before a difference counts; a guest or model may be left in any state.
      disposable: !o.impl.startsWith('linux'),
      confirmations: infoA.kernel || infoB.kernel ? 2 : 1,
      shrinkBudget,
      signal: interrupt.signal,
      onProgress: progress,
      onFound: (d) => process.stderr.write(`${tty ? '\r\x1b[K' : ''}divergence: ${d.signature} (sequence ${d.index}, shrunk to ${plural(d.minimal.steps.length, 'step')})\n`),
    });
  } finally {
    interrupt.release();
  }
  if (tty) process.stderr.write('\r\x1b[K');
  const when = new Date();
  const rows = report.divergences.map((d) => divergenceRow(d, spec, gen, report.a, report.b, when, seed, mutate));
  const dir = o.out ?? relative(process.cwd(), `${projectRoot()}/fixtures/divergences/${mechanism}`);
  const files = o.write && rows.length ? writeRows(dir, spec, gen, rows) : [];
  const lines = [
    `${plural(report.sequences, 'sequence')}, ${plural(report.steps, 'step')} in ${(report.elapsedMs / 1000).toFixed(1)} s (${Math.round(report.steps / Math.max(report.elapsedMs / 1000, 0.001))} steps/s)${report.interrupted ? ', interrupted' : ''}`,
    ...Object.entries(report.skipped).map(([why, n]) => `  ${n} × ${why}`),
    ...report.divergences.map((d, i) => `divergence ${d.signature}: ${plural(d.occurrences, 'sequence')}, shrunk to ${plural(d.minimal.steps.length, 'step')}${files[i] ? ` → ${relative(process.cwd(), files[i]!)}` : ''}`),
    ...report.flaky.map((f) => `flaky ${f.signature} (sequence ${f.index}): ${f.outcomes.join(' | ')}`),
    `${plural(report.divergences.length, 'divergence')}, ${report.flaky.length} flaky, seed ${seed}`,
  ];
  process.stdout.write(`${mechanism}: ${lines.join('\n')}\n`);
  return { json: { ...report, rows, files }, divergences: report.divergences.length, interrupted: report.interrupted };
}
