// Runs one generated sequence on one implementation and keeps everything it answered: the
// start observation, then per step the concrete request and its result or error.
import type { GeneratedCase, GenStep } from '../../oracle/core/generate.ts';
import { concreteStep } from '../core/expr.ts';
import { ImplError, ImplFailure, type Implementation, type Observation, type StepRequest, type StepResult } from '../impl/types.ts';

export interface StepAnswer {
  request: StepRequest;
  result?: StepResult;
  /** The implementation refused the step (ImplError kind) or broke (failure). */
  error?: { kind: string; message: string };
}

export interface Trace {
  /** Set when the implementation skipped the sequence (it cannot run this config). */
  skip?: string;
  start?: Observation;
  steps: StepAnswer[];
  /** The implementation broke (crash, hang, protocol error): the sequence ended there. */
  broken?: string;
}

/** The step as sent: expressions evaluated on the latest observation (start.X: at the start). */
export const concrete = (st: GenStep, last: Observation, start: Observation): StepRequest => concreteStep(st, () => ({ ...last, start }));

export interface RunCaseOptions {
  kernel?: string;
  /** Machine facts for a model standing in for a kernel (config.machine). */
  machine?: Record<string, unknown>;
  /** Requests to send as they are, instead of evaluating the case's steps (replaying another side). */
  requests?: StepRequest[];
}

/** Runs a case; never throws for what the implementation does, only reports it. */
export async function runCase(impl: Implementation, mechanism: string, c: GeneratedCase, o: RunCaseOptions = {}): Promise<Trace> {
  const config = o.machine ? { ...c.config, machine: { ...o.machine, ...((c.config.machine as object) ?? {}) } } : c.config;
  const trace: Trace = { steps: [] };
  let session: string | undefined;
  try {
    const opened = await impl.open({ mechanism, config, kernel: o.kernel });
    if ('skip' in opened) return { ...trace, skip: opened.skip };
    session = opened.session;
    const start = await impl.observe(session);
    trace.start = start;
    let last = start;
    const n = o.requests?.length ?? c.steps.length;
    for (let i = 0; i < n; i++) {
      let request: StepRequest;
      try {
        request = o.requests?.[i] ?? concrete(c.steps[i]!, last, start);
      } catch (e) {
        trace.steps.push({ request: { op: c.steps[i]!.op, args: {} }, error: { kind: 'invalid', message: (e as Error).message } });
        continue;
      }
      try {
        const result = await impl.step(session, request);
        trace.steps.push({ request, result });
        last = result.observation;
      } catch (e) {
        if (e instanceof ImplError) trace.steps.push({ request, error: { kind: e.kind, message: e.message } });
        else throw e;
      }
    }
  } catch (e) {
    if (e instanceof ImplFailure || e instanceof ImplError) trace.broken = e.message;
    else throw e;
  } finally {
    if (session) await impl.close(session).catch(() => {});
  }
  return trace;
}
