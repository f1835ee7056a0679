// Differential fuzzing: one mechanism's generator makes random well-formed sequences; each
// runs on implementation A and on B (the reference, by default the oracle behaving as A's
// kernel, set up as A's machine is), and the two are compared after every step. A
// difference is confirmed by running A again, shrunk to a small sequence that still shows
// it, confirmed once more, and kept as a replayable scenario row. The engine names no
// mechanism: generators come from the oracle's registry.
import type { GeneratedCase, GenerateOptions } from '../../oracle/core/generate.ts';
import { Random } from '../../oracle/core/random.ts';
import type { Implementation, ImplementationInfo } from '../impl/types.ts';
import type { MechanismSpec } from '../spec/mechanisms.ts';
import { firstDifferences, type Difference } from './compare.ts';
import { runCase, type Trace } from './sequence.ts';
import { shrink } from './shrink.ts';

export interface FuzzOptions {
  spec: MechanismSpec;
  generate(rng: Random, opts: GenerateOptions): GeneratedCase;
  a: Implementation;
  b: Implementation;
  seed: number;
  count: number;
  /** Steps per sequence: a number, or a range each sequence draws its length from. */
  length: number | [number, number];
  /** The kernel release models behave as (A's own when it is a kernel). */
  kernel?: string;
  /** May sequences leave a machine in a state only a reboot clears? (guests and models) */
  disposable: boolean;
  /** Runs of A that must show a difference again before it counts (a real kernel: 2). */
  confirmations: number;
  /** Runs each shrink may spend. */
  shrinkBudget: number;
  signal?: AbortSignal;
  onProgress?(p: Progress): void;
  onFound?(d: Divergence): void;
}

export interface Progress {
  done: number;
  count: number;
  steps: number;
  divergences: number;
  flaky: number;
  skipped: number;
  elapsedMs: number;
}

export interface Divergence {
  signature: string;
  /** Every difference at the first differing step of the shrunk sequence. */
  differences: Difference[];
  /** The generator's seed of the sequence it was first seen in, and its index. */
  seed: number;
  index: number;
  original: GeneratedCase;
  /** The shrunk sequence, cut after the differing step. */
  minimal: GeneratedCase;
  /** A's and B's traces of the minimal sequence. */
  traces: [Trace, Trace];
  /** Sequences that showed the same signature. */
  occurrences: number;
  /** Runs the shrinking took. */
  shrinkRuns: number;
}

export interface Flaky {
  signature: string;
  seed: number;
  index: number;
  /** What A answered in the runs that differed, and in the one that did not. */
  outcomes: string[];
}

export interface FuzzReport {
  mechanism: string;
  seed: number;
  count: number;
  /** Steps per sequence: a number, or a range each sequence draws its length from. */
  length: number | [number, number];
  a: ImplementationInfo;
  b: ImplementationInfo;
  kernel: string | null;
  sequences: number;
  steps: number;
  skipped: Record<string, number>;
  divergences: Divergence[];
  flaky: Flaky[];
  elapsedMs: number;
  interrupted: boolean;
}

const describeDiffs = (d: Difference[]): string => d.map((x) => `${x.field}: ${JSON.stringify(x.a)} vs ${JSON.stringify(x.b)}`).join(', ');

export async function fuzz(o: FuzzOptions): Promise<FuzzReport> {
  const t0 = Date.now();
  const [infoA, infoB] = [await o.a.describe(), await o.b.describe()];
  const kernel = infoA.kernel ?? o.kernel ?? null;
  const report: FuzzReport = {
    mechanism: o.spec.name, seed: o.seed, count: o.count, length: o.length, a: infoA, b: infoB, kernel,
    sequences: 0, steps: 0, skipped: {}, divergences: [], flaky: [], elapsedMs: 0, interrupted: false,
  };
  const bySignature = new Map<string, Divergence>();
  const flakySeen = new Set<string>();

  /** A, then B set up as A's machine, on the same concrete steps. */
  const both = async (c: GeneratedCase): Promise<{ ta: Trace; tb?: Trace; diffs: Difference[] }> => {
    const ta = await runCase(o.a, o.spec.name, c, { kernel: kernel ?? undefined });
    if (ta.skip || ta.broken) return { ta, diffs: [] };
    const machine: Record<string, unknown> = {};
    if (!infoB.kernel) for (const f of o.spec.machineFacts) if (ta.start?.[f] !== undefined) machine[f] = ta.start[f];
    const tb = await runCase(o.b, o.spec.name, c, { kernel: kernel ?? undefined, machine, requests: ta.steps.map((s) => s.request) });
    if (tb.skip || tb.broken) return { ta, tb, diffs: [] };
    const diffs = firstDifferences(ta, tb, o.spec.machineWide);
    // A step either side cannot do (an op a model lacks, a real kernel's session polluted by
    // others) ends the comparison: a difference before it counts, else the sequence is skipped.
    const stop = [ta, tb].map(firstUnsupported).filter((x) => x !== null).sort((x, y) => x.step - y.step)[0];
    if (stop && (!diffs.length || diffs[0]!.step >= stop.step)) return { ta: { ...ta, skip: stop.why }, tb, diffs: [] };
    return { ta, tb, diffs };
  };
  // A shrunk candidate may name what a step it lost used to make: both sides refuse such a step
  // as invalid, it changes nothing, and the row leaves it out. Only a skip or a break rules one out.
  const wellFormed = (t: Trace) => !t.skip && !t.broken;
  const signatureOf = (d: Difference[]) => d[0]!.signature;

  let yielded = Date.now();
  for (let i = 0; i < o.count && !o.signal?.aborted; i++) {
    // An in-process implementation answers without ever leaving the microtask queue: let
    // signals (Ctrl-C) and timers in now and then.
    if (Date.now() - yielded > 50) {
      await new Promise((r) => setImmediate(r));
      yielded = Date.now();
    }
    const seed = Random.derive(o.seed, i);
    const rng = new Random(seed);
    const length = Array.isArray(o.length) ? rng.int(o.length[0], o.length[1]) : o.length;
    const c = o.generate(rng, { length, disposable: o.disposable, kernel: kernel ?? undefined });
    const { ta, tb, diffs } = await both(c);
    if (ta.skip || ta.broken || tb?.skip || tb?.broken) {
      const why = ta.skip ?? ta.broken ?? tb?.skip ?? tb?.broken ?? '';
      const key = `${ta.skip || tb?.skip ? 'skipped' : 'broken'}: ${why.replace(/\d+/g, 'N').slice(0, 160)}`;
      report.skipped[key] = (report.skipped[key] ?? 0) + 1;
    } else {
      report.sequences++;
      report.steps += ta.steps.length;
    }
    if (diffs.length) {
      const signature = signatureOf(diffs);
      const known = bySignature.get(signature);
      if (known) known.occurrences++;
      else if (!flakySeen.has(signature)) {
        const d = await investigate(o, both, wellFormed, signature, diffs, c, seed, i);
        if ('flaky' in d) {
          flakySeen.add(signature);
          report.flaky.push(d.flaky);
        } else {
          bySignature.set(signature, d);
          report.divergences.push(d);
          o.onFound?.(d);
        }
      }
    }
    o.onProgress?.({
      done: i + 1, count: o.count, steps: report.steps, divergences: report.divergences.length,
      flaky: report.flaky.length, skipped: Object.values(report.skipped).reduce((a, b) => a + b, 0), elapsedMs: Date.now() - t0,
    });
  }
  report.interrupted = !!o.signal?.aborted;
  report.elapsedMs = Date.now() - t0;
  return report;
}

type Both = (c: GeneratedCase) => Promise<{ ta: Trace; tb?: Trace; diffs: Difference[] }>;

/** Confirm, shrink, confirm again: a divergence, or a flaky one that did not come back. */
async function investigate(
  o: FuzzOptions, both: Both, wellFormed: (t: Trace) => boolean,
  signature: string, diffs: Difference[], c: GeneratedCase, seed: number, index: number,
): Promise<Divergence | { flaky: Flaky }> {
  const outcomes = [describeDiffs(diffs)];
  for (let k = 0; k < o.confirmations; k++) {
    const again = await both(c);
    const sig = again.diffs.length ? again.diffs[0]!.signature : null;
    outcomes.push(again.diffs.length ? describeDiffs(again.diffs) : 'no difference');
    if (sig !== signature) return { flaky: { signature, seed, index, outcomes } };
  }
  let last: { ta: Trace; tb?: Trace; diffs: Difference[] } | null = null;
  const reproduces = async (cand: GeneratedCase) => {
    const r = await both(cand);
    const ok = r.diffs.length > 0 && r.diffs[0]!.signature === signature && wellFormed(r.ta) && !!r.tb && wellFormed(r.tb);
    if (ok) last = r;
    return ok;
  };
  const { case: small, tries } = await shrink(c, reproduces, o.shrinkBudget);
  // The shrunk sequence, cut after its first differing step, must show it again, every time.
  let final = last ?? (await both(c));
  const cut = (x: GeneratedCase, t: typeof final): GeneratedCase => ({ ...x, steps: x.steps.slice(0, t.diffs[0]!.step + 1) });
  let minimal = final.diffs.length ? cut(small, final) : c;
  for (let k = 0; k < Math.max(1, o.confirmations); k++) {
    const again = await both(minimal);
    if (!again.diffs.length || again.diffs[0]!.signature !== signature) {
      // Shrinking found a version that shows it only sometimes: keep the original.
      minimal = cut(c, { ...final, diffs });
      final = await both(minimal);
      break;
    }
    final = again;
  }
  return {
    signature, differences: final.diffs.length ? final.diffs : diffs, seed, index, original: c, minimal,
    traces: [final.ta, final.tb ?? { steps: [] }], occurrences: 1, shrinkRuns: tries,
  };
}

/** The first step a trace answered as unsupported, and why. */
function firstUnsupported(t: Trace): { step: number; why: string } | null {
  const i = t.steps.findIndex((s) => s.error?.kind === 'unsupported');
  return i < 0 ? null : { step: i, why: `step ${i} (${t.steps[i]!.request.op}) unsupported: ${t.steps[i]!.error!.message}` };
}
