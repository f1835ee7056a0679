// Runs scenarios against an implementation: picks those it can run, drives each through
// open → observe → steps → close, and compares every step with the scenario.
//
// A scenario whose known divergence covers the kernel (a real one, or the one a model
// behaves as) is judged twice at once: against the document and against the answers the
// divergence pins for the affected kernels. It is a known divergence only when the kernel
// gave exactly those answers; anything else is a failure with its diff. On a real kernel a
// failure is run again: one that does not come back is flaky, never passed.
import { concreteStep, ExprError, isExpr } from '../core/expr.ts';
import { DEFAULT_MODEL_KERNEL, inRange } from '../../oracle/core/kernel.ts';
import { ImplError, ImplFailure, type Implementation, type ImplementationInfo, type Observation, type StepRequest, type StepResult } from '../impl/types.ts';
import type { KnownDivergence, LoadedScenario } from '../spec/tables.ts';
import { compareStep, diffText, type Comparison } from './compare.ts';

export type Status = 'passed' | 'failed' | 'flaky' | 'skipped' | 'known-divergence';

export interface TraceEntry {
  index: number;
  step: StepRequest;
  result: StepResult;
  ok: boolean;
}

/** One run of a scenario, as a flaky result keeps each. */
export interface Attempt {
  status: Status;
  reason?: string;
  diff?: string;
  step?: number;
}

export interface ScenarioResult extends Attempt {
  id: string;
  mechanism: string;
  level: string;
  layer: string;
  title: string;
  file: string;
  /** A known divergence that did not show: the kernel may carry the fix. */
  note?: string;
  /** The known divergence a result was judged by (its kernel range and summary). */
  divergence?: Pick<KnownDivergence, 'kernels' | 'summary'>;
  /** Flaky: every run, the first one included. */
  attempts?: Attempt[];
  /** A model's kernel behaviour switches that shaped the result. */
  switches?: string[];
  trace?: TraceEntry[];
  /** With trace: the observation right after the config was applied. */
  start?: Observation;
  /** Why a skip is no gap in coverage: the kernel lacks what the scenario needs. */
  lacks?: boolean;
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
  /** Stop after this many failures. */
  maxFailures?: number;
  signal?: AbortSignal;
  onResult?(r: ScenarioResult, done: number, total: number): void;
}

export interface RunSummary {
  implementation: ImplementationInfo;
  kernel: string;
  passed: number;
  failed: number;
  flaky: number;
  skipped: number;
  knownDivergences: number;
  results: ScenarioResult[];
  /** The run stopped early (Ctrl-C, --bail). */
  interrupted?: boolean;
}

/** '*' and '?' globs over scenario ids. */
export function globToRegExp(glob: string): RegExp {
  const body = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${body}$`);
}

export function selectScenarios(all: LoadedScenario[], opts: { mechanisms?: string[]; filter?: string | string[] }): LoadedScenario[] {
  const globs = (Array.isArray(opts.filter) ? opts.filter : opts.filter ? [opts.filter] : []).map(globToRegExp);
  return all.filter((s) => (!opts.mechanisms?.length || opts.mechanisms.includes(s.mechanism)) && (!globs.length || globs.some((re) => re.test(s.id))));
}

export async function runScenarios(impl: Implementation, scenarios: LoadedScenario[], opts: RunOptions = {}): Promise<RunSummary> {
  const info = await impl.describe();
  const kernel = info.kernel ?? opts.kernel ?? DEFAULT_MODEL_KERNEL;
  const results: ScenarioResult[] = [];
  const retries = info.kernel ? (opts.retries ?? 2) : 0;
  let failures = 0;
  for (const s of scenarios) {
    if (opts.signal?.aborted || (opts.maxFailures && failures >= opts.maxFailures)) break;
    let r = await runOne(impl, info, kernel, s, opts);
    if (r.status === 'failed' && retries) {
      const attempts: Attempt[] = [attemptOf(r)];
      for (let i = 0; i < retries; i++) attempts.push(attemptOf(await runOne(impl, info, kernel, s, opts)));
      if (attempts.some((a) => a.status !== 'failed')) {
        r = { ...r, status: 'flaky', attempts, reason: `did not reproduce: ${attempts.map((a) => a.status).join(', ')}` };
      } else {
        r = { ...r, reason: `${r.reason} (reproduced in ${retries + 1} runs)` };
      }
    }
    if (r.status === 'failed') failures++;
    results.push(r);
    opts.onResult?.(r, results.length, scenarios.length);
  }
  const count = (st: Status) => results.filter((r) => r.status === st).length;
  return {
    implementation: info, kernel, results,
    passed: count('passed'), failed: count('failed'), flaky: count('flaky'), skipped: count('skipped'), knownDivergences: count('known-divergence'),
    interrupted: results.length < scenarios.length,
  };
}

const attemptOf = ({ status, reason, diff, step }: ScenarioResult): Attempt => ({ status, reason, diff, step });

/** Why an implementation cannot run a scenario, or null when it can. */
export function skipReason(info: ImplementationInfo, kernel: string, s: LoadedScenario): string | null {
  if (!info.mechanisms.includes(s.mechanism)) return `${info.name} does not implement ${s.mechanism}`;
  if (!info.layers.includes(s.layer as 'abi')) return `${info.name} has no ${s.layer} layer`;
  if (!inRange(kernel, s.kernels)) return `kernel ${kernel} is outside ${s.kernels}`;
  return null;
}

/** The divergence of s that covers kernel, if any. */
export function divergenceFor(s: LoadedScenario, kernel: string): KnownDivergence | undefined {
  return s.divergences?.find((d) => inRange(kernel, d.kernels));
}

type Expect = NonNullable<LoadedScenario['steps'][number]['expect']>;

/** The step's expectation on a kernel the divergence covers: its pinned answers laid over the document's. */
export function divergentExpect(s: LoadedScenario, d: KnownDivergence, i: number): Expect | undefined {
  const doc = s.steps[i]!.expect;
  const pin = d.answers?.find((a) => a.step === i);
  if (!pin) return doc;
  const { step: _, observe, ...outcome } = pin;
  const base: Expect = { ...(doc ?? {}) };
  // A pinned outcome replaces the document's outcome whole.
  if ('ret' in outcome || 'errno' in outcome || 'signal' in outcome) {
    delete base.ret;
    delete base.errno;
    delete base.signal;
    delete base.si_code;
  }
  return { ...base, ...outcome, observe: { ...(doc?.observe ?? {}), ...(observe ?? {}) } };
}

/** What a scenario's run came to, before the scenario's own fields; a diff may be made on demand. */
type Outcome = Omit<ScenarioResult, 'id' | 'mechanism' | 'level' | 'layer' | 'title' | 'file' | 'ms'> & { makeDiff?: () => string };

async function runOne(impl: Implementation, info: ImplementationInfo, kernel: string, s: LoadedScenario, opts: RunOptions): Promise<ScenarioResult> {
  const t0 = Date.now();
  const base = { id: s.id, mechanism: s.mechanism, level: s.level, layer: s.layer, title: s.title, file: s.file };
  const done = (r: Omit<ScenarioResult, keyof typeof base | 'ms'>): ScenarioResult => ({ ...base, ...r, ms: Date.now() - t0 });
  const skip = skipReason(info, kernel, s);
  if (skip) return done({ status: 'skipped', reason: skip });

  const divergence = divergenceFor(s, kernel);
  let outcome: Outcome;
  let session: string | undefined;
  const trace: TraceEntry[] = [];
  const seen: { start?: Observation } = {};
  let switches: string[] | undefined;
  try {
    const opened = await impl.open({ mechanism: s.mechanism, config: s.config ?? {}, kernel, scenario: s.id });
    if ('skip' in opened) return done({ status: 'skipped', reason: `${info.name}: ${opened.skip}`, lacks: opened.lacks });
    session = opened.session;
    outcome = await drive(impl, session, s, divergence, trace, seen);
    if (impl.switchesUsed) switches = await impl.switchesUsed(session);
  } catch (e) {
    outcome = errorOutcome(e, info.name, s, trace, session === undefined);
  } finally {
    if (session) await impl.close(session).catch(() => {});
  }
  const { makeDiff, ...answered } = outcome;
  const r = done(answered);
  if (makeDiff) {
    let text: string | undefined;
    Object.defineProperty(r, 'diff', { enumerable: true, configurable: true, get: () => (text ??= makeDiff()) });
  }
  if (switches?.length) r.switches = switches;
  if (opts.trace) Object.assign(r, { trace, start: seen.start });
  if (divergence) r.divergence = { kernels: divergence.kernels, summary: divergence.summary };
  return r;
}

async function drive(
  impl: Implementation, session: string, s: LoadedScenario, divergence: KnownDivergence | undefined,
  trace: TraceEntry[], seen: { start?: Observation },
): Promise<Outcome> {
  const start = await impl.observe(session);
  seen.start = start;
  let last: Observation = start;
  const batchable = impl.steps && !s.steps.some((st) => hasExpr(st.args));
  let batch: StepResult[] | null = null;
  let batchRequests: StepRequest[] | null = null;
  if (batchable) {
    try {
      batchRequests = s.steps.map((st) => concreteStep(st, noScope));
      batch = await impl.steps!(session, batchRequests);
    } catch (e) {
      // A batch that failed part way tells which step failed and what the earlier ones returned.
      const detail = e instanceof ImplError || e instanceof ImplFailure ? (e.detail as { step?: number; results?: StepResult[] } | undefined) : undefined;
      if (detail && Number.isInteger(detail.step) && Array.isArray(detail.results)) {
        detail.results.forEach((result, i) => trace.push({ index: i, step: batchRequests![i]!, result, ok: true }));
      }
      throw e;
    }
  }
  // Two paths are followed: the document's expectations, and (on a kernel a known divergence
  // covers) the answers it pins. The scenario fails when neither holds.
  const cite = s.cites[0]!;
  let docOk = true;
  let pinOk = !!divergence;
  let firstDoc: { step: number; c: Comparison; header: string } | null = null;
  const docDiff = () => (firstDoc ? diffText(firstDoc.c, firstDoc.header) : '');
  for (const [i, st] of s.steps.entries()) {
    let req: StepRequest;
    try {
      req = batch ? batchRequests![i]! : concreteStep(st, () => ({ ...last, start }));
    } catch (e) {
      if (e instanceof ExprError) return { status: 'failed', step: i, reason: `step ${i} (${st.op}): ${e.message}` };
      throw e;
    }
    const result = batch ? batch[i]! : await impl.step(session, req);
    // Only a diff needs it.
    const header = () => `step ${i}: ${st.op} ${JSON.stringify(req.args)}${st.proc ? ` in ${st.proc}` : ''} — ${cite.section}: "${cite.quote}"`;
    const cDoc = compareStep(st.expect, result, start);
    const cPin = divergence ? compareStep(divergentExpect(s, divergence, i), result, start) : null;
    trace.push({ index: i, step: req, result, ok: cDoc.ok });
    if (!cDoc.ok && docOk) firstDoc = { step: i, c: cDoc, header: header() };
    docOk &&= cDoc.ok;
    pinOk &&= !!cPin?.ok;
    if (!docOk && !pinOk) {
      if (divergence && cPin) {
        return {
          status: 'failed', step: i,
          reason: `step ${i} (${st.op}) differs from both the document and the known divergence of kernels ${divergence.kernels}`,
          diff: `${diffText(cPin, `${header()} (as the known divergence pins it)`)}\n${docDiff()}`.trimEnd(),
        };
      }
      return { status: 'failed', step: i, reason: `step ${i} (${st.op}) differs`, diff: docDiff() };
    }
    last = result.observation;
  }
  if (docOk) {
    return divergence
      ? { status: 'passed', note: `known divergence (${divergence.kernels}) did not show: the document held, so this kernel may carry the fix` }
      : { status: 'passed' };
  }
  // Its diff is made only when read (-v, a report): a run shows a known divergence as one line.
  return { status: 'known-divergence', step: firstDoc!.step, reason: `known divergence of kernels ${divergence!.kernels}: ${divergence!.summary}`, makeDiff: docDiff };
}

const hasExpr = (args: Record<string, unknown> | undefined): boolean => Object.values(args ?? {}).some(isExpr);

const noScope = (): Record<string, unknown> => ({});

function errorOutcome(e: unknown, name: string, s: LoadedScenario, trace: TraceEntry[], atOpen: boolean): Pick<ScenarioResult, 'status' | 'reason' | 'step'> {
  // Where it happened: at open, or at the step after the last one answered (a batch names it).
  const detail = e instanceof ImplError || e instanceof ImplFailure ? (e.detail as { step?: number } | undefined) : undefined;
  const at = atOpen ? undefined : Number.isInteger(detail?.step) ? detail!.step! : trace.length < s.steps.length ? trace.length : undefined;
  const path = trace.map((t) => `${t.index}:${t.step.op}`);
  const where = atOpen ? '\n  at open (before any step)' : at !== undefined ? `\n  at step ${at} (${s.steps[at]!.op})${path.length ? `, after ${path.join(' → ')}` : ''}` : '';
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
