// What a mechanism's sequence generator produces for differential fuzzing: a config and a
// sequence of steps, well-formed by construction (every name a step uses was made by an
// earlier step of the same process). Arguments may be expressions over the observation,
// so one sequence fits any machine.
import type { Random } from './random.ts';

export interface GenStep {
  op: string;
  args: Record<string, unknown>;
  proc?: string;
}

export interface GeneratedCase {
  config: Record<string, unknown>;
  steps: GenStep[];
}

export interface GenerateOptions {
  /** Steps per sequence. */
  length: number;
  /**
   * The machine is disposable (a QEMU guest, or a model): sequences may leave state no step
   * can undo (known leaks) or take machine-wide limits to their edge. Otherwise (a host
   * others use) they keep clear of both.
   */
  disposable: boolean;
  /** The kernel release the sequences will run on, when known: a generator may leave out what it lacks. */
  kernel?: string;
}

export interface SequenceGenerator {
  generate(rng: Random, opts: GenerateOptions): GeneratedCase;
  /** The document fuzz-found rows cite, and the passage the mechanism's ops follow. */
  doc: string;
  cite: { section: string; quote: string };
}

/** The expression of a page count: `{expr}` when it reads the observation, else the number. */
export const expr = (e: string) => ({ expr: e });

/** A step done by process proc (the main process's steps name none). */
export function inProc(proc: string): (st: GenStep) => GenStep {
  return (st) => (proc === 'main' ? st : { ...st, proc });
}

/** Adds steps from next() until there are `length` (next gives null when its pick does not fit). */
export function fillSteps(steps: GenStep[], length: number, next: () => GenStep | null): GenStep[] {
  while (steps.length < length) {
    const st = next();
    if (st) steps.push(st);
  }
  return steps;
}
