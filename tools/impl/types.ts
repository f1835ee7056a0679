// The one interface every implementation under test speaks: the oracle, JS modules,
// exec programs and real kernels alike. The runner knows no mechanism by name.
import type {
  ImplementationInfo,
  Observation,
  OpenParams,
  StepRequest,
  StepResult,
} from '../../spec/types/protocol.ts';

export type { ImplementationInfo, Observation, OpenParams, StepRequest, StepResult };

export type OpenOutcome = { session: string } | { skip: string; lacks?: boolean; polluted?: boolean };

export interface Implementation {
  describe(): Promise<ImplementationInfo>;
  open(params: OpenParams): Promise<OpenOutcome>;
  step(session: string, step: StepRequest): Promise<StepResult>;
  /** Optional batch; the runner falls back to step() one at a time. */
  steps?(session: string, steps: StepRequest[]): Promise<StepResult[]>;
  observe(session: string): Promise<Observation>;
  close(session: string): Promise<void>;
  /** Releases processes, locks and machine state; called once when the run ends. */
  dispose?(): Promise<void>;
  /** A model's kernel behaviour switches that shaped the session's results (for reports). */
  switchesUsed?(session: string): Promise<string[]>;
}

import { ImplError } from '../../oracle/core/errors.ts';
export { ImplError };
export type { ImplErrorKind } from '../../oracle/core/errors.ts';

/** The implementation broke (crash, hang, garbage, wrong id): the scenario fails, the run goes on. */
export class ImplFailure extends Error {
  constructor(
    message: string,
    readonly stderr = '',
    /** In a batch: the step that broke and what the steps before it answered ({step, results}). */
    readonly detail?: unknown,
  ) {
    super(message);
    this.name = 'ImplFailure';
  }
}

/**
 * A batch served one step at a time, as a batch would be: the step that fails is named, with
 * what the steps before it answered ({step, results} in the error's detail), and nameStep puts
 * "step i (op): " before an error's message for readers who see only the message.
 */
export async function stepByStep(
  steps: StepRequest[],
  step: (s: StepRequest) => Promise<StepResult>,
  nameStep = false,
): Promise<StepResult[]> {
  const results: StepResult[] = [];
  for (const [i, s] of steps.entries()) {
    try {
      results.push(await step(s));
    } catch (e) {
      const detail = { step: i, results };
      if (e instanceof ImplError) throw new ImplError(e.kind, nameStep ? `step ${i} (${s.op}): ${e.message}` : e.message, detail);
      if (e instanceof ImplFailure) throw new ImplFailure(e.message, e.stderr, detail);
      throw e;
    }
  }
  return results;
}
