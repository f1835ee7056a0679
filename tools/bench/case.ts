// A mechanism's bench case: suites/<name>/bench.ts default-exports a list of these, and
// npm run bench runs every one it finds (in this project and in the MMSPEC_MECHANISMS roots).
export interface BenchCase {
  name: string;
  /** Runs the case and says what it measured (a figure with its unit). */
  run: () => string | Promise<string>;
}
