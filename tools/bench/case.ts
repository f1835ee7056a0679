// A mechanism's bench case: suites/<name>/bench.ts default-exports a list of these, and
// npm run bench runs every one it finds (in this project and in the MMSPEC_MECHANISMS roots).
import type { MechanismModel } from '../../oracle/core/model.ts';
import type { Observation, StepRequest } from '../../spec/types/protocol.ts';

export interface BenchCase {
  name: string;
  /** Runs the case and says what it measured (a figure with its unit). */
  run: () => string | Promise<string>;
}

/**
 * A model's steps per second, an observation after each. `record` makes a random sequence by
 * driving a model of its own (which also lets the JIT compile the model's code); fresh models
 * then replay it against the clock, so the figure is the model's alone, not the generator's.
 * The median of five replays is the figure: one replay's rate moves by a fifth with when the
 * collector runs.
 */
export function modelStepsPerSecond(create: () => MechanismModel, record: (steps: number) => StepRequest[], steps: number): string {
  const sequence = record(steps);
  const rates: number[] = [];
  // Each observation is kept where the engine cannot see it go unused (else it may leave the
  // object unmade, and the figure would not include observing).
  const kept: Observation[] = [];
  for (let round = 0; round < 5; round++) {
    const model = create();
    const t0 = performance.now();
    for (const step of sequence) {
      model.step(step);
      kept[0] = model.observe();
    }
    rates.push(sequence.length / ((performance.now() - t0) / 1000));
  }
  rates.sort((a, b) => a - b);
  const n = (x: number) => Math.round(x).toLocaleString('en-US');
  return `${n(rates[2]!)} steps/s (median of 5 replays of ${n(sequence.length)} steps, ${n(rates[0]!)}–${n(rates[4]!)}; observation after each; target ≥ 1,000,000)`;
}
