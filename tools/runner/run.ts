// Runs scenarios against an implementation: picks those it can run, drives each through
// open → observe → steps → close, and compares every step with the scenario.
import { evaluate, ExprError } from '../core/expr.ts';
import { DEFAULT_MODEL_KERNEL, inRange } from '../../oracle/core/kernel.ts';
import { ImplError, ImplFailure, type Implementation, type ImplementationInfo, type Observation, type StepRequest, type StepResult } from '../impl/types.ts';
import type { LoadedScenario } from '../spec/tables.ts';
import { compareStep, diffText } from './compare.ts';

export type Status = 'passed' | 'failed' | 'skipped' | 'known-divergence';

export interface TraceEntry {
  index: number;
  step: StepRequest;
  result: StepResult;
  ok: boolean;
}

export interface ScenarioResult {
  id: string;
  mechanism: string;
  level: string;
  layer: string;
  title: string;
  file: string;
  status: Status;
  reason?: string;
  /** Unified diff of the first failing step. */
  diff?: string;
  step?: number;
  /** A known divergence that did not show: the kernel may carry the fix. */
  note?: string;
  trace?: TraceEntry[];
  /** With trace: the observation right after the config was applied. */
  start?: Observation;
  ms: number;
}

export interface RunOptions {
  mechanisms?: string[];
  filter?: string;
  /** Kernel a model behaves as; ignored for real kernels, which have their own. */
  kernel?: string;
  trace?: boolean;
  /**
   * Reruns of a failed scenario on a real kernel, whose machine-wide counters other processes
   * move: a mismatch counts only when it reproduces (default 2; models get none).
   */
  retries?: number;
  onResult?(r: ScenarioResult, done: number, total: number): void;
}

export interface RunSummary {
  implementation: ImplementationInfo;
  kernel: string;
  passed: number;
  failed: number;
  skipped: number;
  knownDivergences: number;
  results: ScenarioResult[];
}

/** '*' and '?' globs over scenario ids. */
export function globToRegExp(glob: string): RegExp {
  const body = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${body}$`);
}

export function selectScenarios(all: LoadedScenario[], opts: Pick<RunOptions, 'mechanisms' | 'filter'>): LoadedScenario[] {
  const re = opts.filter ? globToRegExp(opts.filter) : null;
  return all.filter((s) => (!opts.mechanisms?.length || opts.mechanisms.includes(s.mechanism)) && (!re || re.test(s.id)));
}

export async function runScenarios(impl: Implementation, scenarios: LoadedScenario[], opts: RunOptions = {}): Promise<RunSummary> {
  const info = await impl.describe();
  const kernel = info.kernel ?? opts.kernel ?? DEFAULT_MODEL_KERNEL;
  const results: ScenarioResult[] = [];
  const retries = info.kernel ? (opts.retries ?? 2) : 0;
  for (const s of scenarios) {
    let r = await runOne(impl, info, kernel, s, opts);
    for (let i = 1; i <= retries && r.status === 'failed'; i++) {
      const again = await runOne(impl, info, kernel, s, opts);
      if (again.status !== 'failed') r = { ...again, note: `passed on rerun ${i} after: ${r.reason}` };
      else if (i === retries) r = { ...r, reason: `${r.reason} (reproduced in ${retries + 1} runs)` };
    }
    results.push(r);
    opts.onResult?.(r, results.length, scenarios.length);
  }
  const count = (st: Status) => results.filter((r) => r.status === st).length;
  return {
    implementation: info, kernel, results,
    passed: count('passed'), failed: count('failed'), skipped: count('skipped'), knownDivergences: count('known-divergence'),
  };
}

/** Why an implementation cannot run a scenario, or null when it can. */
export function skipReason(info: ImplementationInfo, kernel: string, s: LoadedScenario): string | null {
  if (!info.mechanisms.includes(s.mechanism)) return `${info.name} does not implement ${s.mechanism}`;
  if (!info.layers.includes(s.layer as 'abi')) return `${info.name} has no ${s.layer} layer`;
  if (!inRange(kernel, s.kernels)) return `kernel ${kernel} is outside ${s.kernels}`;
  return null;
}

async function runOne(impl: Implementation, info: ImplementationInfo, kernel: string, s: LoadedScenario, opts: RunOptions): Promise<ScenarioResult> {
  const t0 = Date.now();
  const base = { id: s.id, mechanism: s.mechanism, level: s.level, layer: s.layer, title: s.title, file: s.file };
  const done = (r: Omit<ScenarioResult, keyof typeof base | 'ms'>): ScenarioResult => ({ ...base, ...r, ms: Date.now() - t0 });
  const skip = skipReason(info, kernel, s);
  if (skip) return done({ status: 'skipped', reason: skip });

  const divergence = info.kernel ? s.divergences?.find((d) => inRange(kernel, d.kernels)) : undefined;
  let outcome: ScenarioResult;
  let session: string | undefined;
  const trace: TraceEntry[] = [];
  const seen: { start?: Observation } = {};
  try {
    const opened = await impl.open({ mechanism: s.mechanism, config: s.config ?? {}, kernel, scenario: s.id });
    if ('skip' in opened) return done({ status: 'skipped', reason: `${info.name}: ${opened.skip}` });
    session = opened.session;
    outcome = done(await drive(impl, session, s, trace, seen));
  } catch (e) {
    outcome = done(errorOutcome(e, info.name, s, trace));
  } finally {
    if (session) await impl.close(session).catch(() => {});
  }
  if (opts.trace) Object.assign(outcome, { trace, start: seen.start });
  if (divergence) {
    if (outcome.status === 'failed') return { ...outcome, status: 'known-divergence', reason: `known divergence on ${kernel}: ${divergence.summary}` };
    if (outcome.status === 'passed') outcome.note = `known divergence (${divergence.kernels}) did not show on ${kernel}: fixed?`;
  }
  return outcome;
}

async function drive(impl: Implementation, session: string, s: LoadedScenario, trace: TraceEntry[], seen: { start?: Observation }) {
  const start = await impl.observe(session);
  seen.start = start;
  let last: Observation = start;
  const batchable = impl.steps && !s.steps.some((st) => hasExpr(st.args));
  const batch = batchable ? await impl.steps!(session, s.steps.map((st) => request(st, {}))) : null;
  for (const [i, st] of s.steps.entries()) {
    let req: StepRequest;
    try {
      req = request(st, { ...last, start });
    } catch (e) {
      if (e instanceof ExprError) return { status: 'failed' as const, step: i, reason: `step ${i} (${st.op}): ${e.message}` };
      throw e;
    }
    const result = batch ? batch[i]! : await impl.step(session, req);
    const c = compareStep(st.expect, result, start);
    trace.push({ index: i, step: req, result, ok: c.ok });
    if (!c.ok) {
      const cite = s.cites[0]!;
      const header = `step ${i}: ${st.op} ${JSON.stringify(req.args)}${st.proc ? ` in ${st.proc}` : ''} — ${cite.section}: "${cite.quote}"`;
      return { status: 'failed' as const, step: i, reason: `step ${i} (${st.op}) differs`, diff: diffText(c, header) };
    }
    last = result.observation;
  }
  return { status: 'passed' as const };
}

function hasExpr(args: Record<string, unknown> | undefined): boolean {
  return Object.values(args ?? {}).some((v) => v !== null && typeof v === 'object' && 'expr' in v);
}

/** The step as the implementation gets it: expressions evaluated, no table-only fields. */
function request(st: LoadedScenario['steps'][number], scope: Record<string, unknown>): StepRequest {
  const args: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(st.args ?? {})) {
    args[k] = v !== null && typeof v === 'object' && 'expr' in v ? evaluate(String((v as { expr: string }).expr), scope) : v;
  }
  return st.proc ? { op: st.op, args, proc: st.proc } : { op: st.op, args };
}

function errorOutcome(e: unknown, name: string, s: LoadedScenario, trace: TraceEntry[]): Pick<ScenarioResult, 'status' | 'reason' | 'step'> {
  // The steps that led there: those answered, then the one in flight.
  const at = trace.length < s.steps.length ? trace.length : undefined;
  const path = [...trace.map((t) => `${t.index}:${t.step.op}`), at !== undefined ? `${at}:${s.steps[at]!.op} (no answer)` : ''].filter(Boolean);
  const where = path.length ? `\n  steps: ${path.join(' → ')}` : '';
  if (e instanceof ImplError) {
    if (e.kind === 'unsupported') return { status: 'skipped', reason: `${name}: ${e.message}` };
    return { status: 'failed', step: at, reason: `${name} answered ${e.kind}: ${e.message}${where}` };
  }
  if (e instanceof ImplFailure) {
    const tail = e.stderr.trim().split('\n').slice(-15).join('\n');
    return { status: 'failed', step: at, reason: `${e.message}${where}${tail ? `\n--- its stderr (last lines) ---\n${tail}` : ''}` };
  }
  throw e;
}
