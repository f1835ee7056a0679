// A mechanism's bench case: suites/<name>/bench.ts default-exports a list of these, and
// npm run bench runs every one it finds (in this project and in the MMSPEC_MECHANISMS roots).
export interface BenchCase {
  name: string;
  /** Runs the case and says what it measured (a figure with its unit). */
  run: () => string | Promise<string>;
}

/**
 * A model's steps per second on a sequence `steps` long, measured after a shorter run of the
 * same kind has let the JIT compile its code: what a long fuzz campaign or table run sees.
 */
export function warmStepsPerSecond(rate: (steps: number) => number, steps: number): string {
  const warmup = Math.round(steps / 4);
  rate(warmup);
  const n = (x: number) => Math.round(x).toLocaleString('en-US');
  return `${n(rate(steps))} steps/s (${n(steps)} steps, observation after each; after a warm-up of ${n(warmup)}; target ≥ 1,000,000)`;
}
