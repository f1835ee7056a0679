// What every mechanism's model provides to the oracle implementation.
import type { Observation, StepRequest, StepResult } from '../../spec/types/protocol.ts';
import { ImplError } from './errors.ts';
import type { SequenceGenerator } from './generate.ts';
import type { Behaviour, KernelSwitch } from './switches.ts';

export type Outcome = Omit<StepResult, 'observation'>;

export const OK: Outcome = { ret: 'ok' };
export const errno = (name: string): Outcome => ({ ret: 'errno', errno: name });
export const signal = (name: string, si_code: string): Outcome => ({ ret: 'signal', signal: name, si_code });

/** A step's arguments once the runner has evaluated every expression in them. */
export type Concrete<T> = { [K in keyof T]: Exclude<T[K], { expr: string }> };

/**
 * A model's step: the handler of its op (a method of `ops`, called on the model), in the
 * process the step names. An op the model lacks is unsupported; an unknown process invalid.
 */
export function dispatch<P>(model: object, mechanism: string, ops: object, procs: Map<string, P>, { op, args, proc = 'main' }: StepRequest): Outcome {
  if (!Object.hasOwn(ops, op)) throw new ImplError('unsupported', `${mechanism} op '${op}' is not modelled`);
  const handler = (ops as Record<string, (p: P, a: unknown, name: string) => Outcome>)[op]!;
  const p = procs.get(proc);
  if (p === undefined) throw new ImplError('invalid', `no process '${proc}' (have: ${[...procs.keys()].join(', ')})`);
  return handler.call(model, p, args, proc);
}

export interface ModelContext {
  /** The kernel release to behave as, or 'documented' (every kernel behaviour switch off). */
  kernel: string;
  /** Kernel behaviour switches forced on or off, whatever the release. */
  force?: Record<string, boolean>;
}

export interface MechanismModel {
  step(step: StepRequest): Outcome;
  observe(): Observation;
  /** The switches in force, and those that shaped a result so far. */
  readonly behaviour?: Behaviour;
}

export interface MechanismOracle {
  /** Kernel releases the model knows how to behave as. */
  kernels: string;
  create(config: Record<string, unknown>, ctx: ModelContext): MechanismModel;
  /** How kernel releases depart from the document, as switches of the model. */
  switches?: KernelSwitch[];
  /** Random well-formed sequences of the mechanism's abi ops, for differential fuzzing. */
  generator?: SequenceGenerator;
}
