// Compares two traces of one sequence step by step: the outcome, then every observation
// field both sides report (machine-wide counters as changes since the sequence started).
import type { Observation, StepResult } from '../impl/types.ts';
import type { StepAnswer, Trace } from './sequence.ts';

export interface Difference {
  step: number;
  op: string;
  field: string;
  a: unknown;
  b: unknown;
  /** (op, field, direction): what deduplicates divergences. */
  signature: string;
}

const OUTCOME = ['ret', 'errno', 'signal', 'si_code', 'value'] as const;

function outcome(s: StepAnswer): Record<string, unknown> {
  if (s.error) return { error: s.error.kind };
  const r = s.result as StepResult;
  return Object.fromEntries(OUTCOME.map((k) => [k, r[k]]));
}

function direction(a: unknown, b: unknown): string {
  if (typeof a === 'number' && typeof b === 'number') return a > b ? 'more' : 'less';
  return `${String(a)}/${String(b)}`;
}

/** Fields to compare in two observations: those both report, with machine-wide ones as deltas. */
export function observed(obs: Observation, start: Observation, machineWide: Set<string>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obs)) {
    if (v === undefined) continue; // absent, as in JSON
    out[k] = machineWide.has(k) && typeof v === 'number' && typeof start[k] === 'number' ? v - (start[k] as number) : v;
  }
  return out;
}

/** Every difference at the first step where the two traces differ, or [] when they agree. */
export function firstDifferences(a: Trace, b: Trace, machineWide: Set<string>): Difference[] {
  const n = Math.min(a.steps.length, b.steps.length);
  for (let i = 0; i < n; i++) {
    const sa = a.steps[i]!;
    const sb = b.steps[i]!;
    const diffs: Difference[] = [];
    const add = (field: string, va: unknown, vb: unknown) =>
      diffs.push({ step: i, op: sa.request.op, field, a: va, b: vb, signature: `${sa.request.op}:${field}:${direction(va, vb)}` });
    const oa = outcome(sa);
    const ob = outcome(sb);
    for (const k of new Set([...Object.keys(oa), ...Object.keys(ob)])) if (oa[k] !== ob[k]) add(k, oa[k], ob[k]);
    if (!diffs.length && sa.result && sb.result) {
      const fa = observed(sa.result.observation, a.start ?? {}, machineWide);
      const fb = observed(sb.result.observation, b.start ?? {}, machineWide);
      for (const k of Object.keys(fa)) if (k in fb && fa[k] !== fb[k]) add(machineWide.has(k) ? `${k} (delta)` : k, fa[k], fb[k]);
    }
    if (diffs.length) return diffs;
  }
  return [];
}
