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

export { ImplError, type ImplErrorKind } from '../../oracle/core/errors.ts';

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
