// Runs one mechanism's bench cases (suites/<name>/bench.ts, given as the argument) and prints
// each figure: npm run bench starts it once per mechanism, in a process of its own, so that
// what the JavaScript engine learnt from one workload neither slows nor speeds up another.
import { pathToFileURL } from 'node:url';
import type { BenchCase } from './case.ts';

const file = process.argv[2];
if (!file) throw new Error('usage: cases.ts suites/<name>/bench.ts');
const cases = ((await import(pathToFileURL(file).href)) as { default: BenchCase[] }).default;
for (const c of cases) console.log(`${c.name}: ${await c.run()}`);
