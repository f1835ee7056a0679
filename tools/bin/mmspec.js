#!/usr/bin/env node
// The mmspec command. It runs the compiled build in dist/ (npm run build; npm ci and npm install
// make it) while that build matches the sources (tools/bin/stamp.js), else the TypeScript sources
// through tsx — so an edited source is never run stale, and nothing needs building by hand.
//   MMSPEC_TSX=1          run the sources through tsx even when dist/ is up to date
//   MMSPEC_TRACE_START=1  say on stderr which of the two runs, and why
import { readFileSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { fileURLToPath } from 'node:url';
import { staleness } from './stamp.js';

const args = process.argv.slice(2);

/** The --impl a command line names (oracle, the default, when none). */
function implOf(argv) {
  const i = argv.indexOf('--impl');
  if (i >= 0) return argv[i + 1];
  const eq = argv.find((a) => a.startsWith('--impl='));
  return eq ? eq.slice('--impl='.length) : 'oracle';
}
if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
  // Answered before loading anything.
  process.stdout.write(`${JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version}\n`);
} else {
  // A run of the tables against the oracle is over in a fraction of a second: V8's optimizing
  // compiler costs more than it gives back before the end (up to a tenth of `mmspec run`
  // while the other CPU is busy; the oracle runs the tables again in no more time). Other
  // implementations keep it (a module: runs in this process), and so do fuzz, record, serve.
  if (args[0] === 'run' && implOf(args) === 'oracle') setFlagsFromString('--no-opt');
  const why = process.env.MMSPEC_TSX === '1' ? 'MMSPEC_TSX=1' : staleness(fileURLToPath(new URL('../..', import.meta.url)));
  if (process.env.MMSPEC_TRACE_START === '1') process.stderr.write(`mmspec: ${why ? `the sources through tsx: ${why}` : 'dist/'}\n`);
  // A bare `mmspec run` (npm start) takes every default: its entry loads no option parser.
  const entry = args.length === 1 && args[0] === 'run' ? 'bare-run' : 'main';
  let main;
  if (why) {
    const { register } = await import('tsx/esm/api');
    register();
    ({ main } = await import(`../cli/${entry}.ts`));
  } else {
    ({ main } = await import(`../../dist/tools/cli/${entry}.js`));
  }
  process.exitCode = await main(process.argv);
  // A run has closed its implementation and written everything (stdout and stderr are synchronous
  // on Linux): leaving now spares waiting for the collector's background work (a few ms).
  if (args[0] === 'run') process.exit();
}
