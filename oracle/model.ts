// What every mechanism's model provides to the oracle implementation.
import type { Observation, StepRequest, StepResult } from '../spec/types/protocol.ts';

export type Outcome = Omit<StepResult, 'observation'>;

export const OK: Outcome = { ret: 'ok' };
export const errno = (name: string): Outcome => ({ ret: 'errno', errno: name });
export const signal = (name: string, si_code: string): Outcome => ({ ret: 'signal', signal: name, si_code });

export interface ModelContext {
  /** The kernel release to behave as. */
  kernel: string;
}

export interface MechanismModel {
  step(step: StepRequest): Outcome;
  observe(): Observation;
}

export interface MechanismOracle {
  /** Kernel releases the model knows how to behave as. */
  kernels: string;
  create(config: Record<string, unknown>, ctx: ModelContext): MechanismModel;
}
