// npm run bench: throughput figures. Targets live here, never in timed unit tests. The
// generic figures (runner, serve, fuzzing) run for every mechanism; each mechanism adds its own
// cases in suites/<name>/bench.ts.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { MECHANISMS } from '../../oracle/index.ts';
import { mechanismRoots } from '../core/roots.ts';
import { fuzz } from '../fuzz/engine.ts';
import { execImplementation } from '../impl/exec.ts';
import { OracleImplementation } from '../impl/oracle.ts';
import type { Implementation } from '../impl/types.ts';
import { linuxImplementation } from '../linux/impl.ts';
import { projectRoot } from '../paths.ts';
import { runScenarios } from '../runner/run.ts';
import { mechanisms } from '../spec/mechanisms.ts';
import { loadScenarios } from '../spec/tables.ts';

const scenarios = loadScenarios();
const fmt = (x: number) => Math.round(x).toLocaleString('en-US');

/** Start-up as a user waits for it: the command spawned, median of 9 wall times; and what it ran (dist/ or tsx). */
function startup(command: string, args: string[]): { seconds: number; from: string } {
  const times: number[] = [];
  let from = '';
  for (let i = 0; i < 9; i++) {
    const t0 = performance.now();
    const r = spawnSync(command, args, { cwd: projectRoot(), encoding: 'utf8', env: { ...process.env, MMSPEC_TRACE_START: '1' } });
    times.push((performance.now() - t0) / 1000);
    // Exit 1 is a run with failures, still a start-up to time; anything else is not.
    if (r.status !== 0 && r.status !== 1) throw new Error(`${command} ${args.join(' ')} failed (exit ${r.status ?? r.signal}): ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`);
    from = /^mmspec: (dist\/|the sources through tsx)/m.exec(r.stderr)?.[1] ?? from;
  }
  return { seconds: times.sort((a, b) => a - b)[4]!, from };
}
const mmspec = (...args: string[]) => startup(process.execPath, [join(projectRoot(), 'tools/bin/mmspec.js'), ...args]);
const version = mmspec('--version');
const run = mmspec('run');
// npm itself (its own start-up, then a shell) comes on top of the run.
const npmStart = startup('npm', ['start', '--silent']);
const npmAlone = startup('npm', ['run', '--silent', 'env']); // a script that starts nothing: npm's own share
// Node reads the file NODE_EXTRA_CA_CERTS names at every start; npm start spares its own process that.
const certs = process.env.NODE_EXTRA_CA_CERTS ? `; node loads NODE_EXTRA_CA_CERTS at each start, ${startup(process.execPath, ['-e', '']).seconds.toFixed(3)} s with it, ${startup('env', ['NODE_EXTRA_CA_CERTS=', process.execPath, '-e', '']).seconds.toFixed(3)} s without` : '';
console.log(`start-up (load average ${loadavg()[0]!.toFixed(2)}): mmspec --version ${version.seconds.toFixed(3)} s (target ≤ 0.12 s); ` +
  `mmspec run ${run.seconds.toFixed(3)} s (from ${run.from || '?'}); npm start ${npmStart.seconds.toFixed(3)} s (target ≤ 0.3 s; npm running a script that starts nothing takes ${npmAlone.seconds.toFixed(3)} s${certs})`);

async function scenariosPerSecond(impl: Implementation, seconds: number): Promise<number> {
  await runScenarios(impl, scenarios); // warm up
  let n = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < seconds * 1000) {
    n += (await runScenarios(impl, scenarios)).results.length;
  }
  return n / ((performance.now() - t0) / 1000);
}

/** Differential fuzzing throughput of one mechanism: A against the oracle as A's kernel. */
async function fuzzThroughput(mechanism: string, a: Implementation, count: number, disposable: boolean): Promise<string> {
  const report = await fuzz({
    spec: mechanisms().get(mechanism)!, generate: MECHANISMS[mechanism]!.generator!.generate,
    a, b: new OracleImplementation(), seed: 99, count, length: [12, 25], disposable,
    confirmations: 0, shrinkBudget: 0,
  });
  const s = report.elapsedMs / 1000;
  return `${fmt(report.sequences / s)} sequences/s, ${fmt(report.steps / s)} steps/s (${report.sequences} sequences)`;
}

console.log(`mmspec bench: ${scenarios.length} scenarios in the tables`);
console.log(`oracle in-process:        ${fmt(await scenariosPerSecond(new OracleImplementation(), 3))} scenarios/s`);
const served = execImplementation(`"${process.execPath}" "${join(projectRoot(), 'tools/bin/mmspec.js')}" serve`);
try {
  console.log(`exec: via mmspec serve:   ${fmt(await scenariosPerSecond(served, 3))} scenarios/s`);
} finally {
  await served.dispose();
}

// Each mechanism's cases in a process of their own (tools/bench/cases.ts).
for (const root of mechanismRoots()) {
  for (const name of Object.keys(MECHANISMS).sort()) {
    const file = join(root, 'suites', name, 'bench.ts');
    if (!existsSync(file)) continue;
    const r = spawnSync(process.execPath, [join(projectRoot(), 'tools/bin/run-ts.js'), join(projectRoot(), 'tools/bench/cases.ts'), file], { stdio: 'inherit' });
    if (r.status !== 0) throw new Error(`the bench cases of ${name} (${file}) failed (exit ${r.status ?? r.signal})`);
  }
}

const fuzzed = Object.keys(MECHANISMS).filter((m) => MECHANISMS[m]!.generator && mechanisms().has(m)).sort();
for (const m of fuzzed) {
  console.log(`fuzz ${m}, oracle against oracle: ${await fuzzThroughput(m, new OracleImplementation(), 2000, true)}`);
}
if (process.getuid?.() === 0 && process.env.MMSPEC_ALLOW_HOST_CHANGES === '1') {
  for (const m of fuzzed) {
    const host = await linuxImplementation({ allowHostChanges: true });
    try {
      console.log(`fuzz ${m}, host kernel against oracle: ${await fuzzThroughput(m, host, 300, false)}`);
    } finally {
      await host.dispose?.();
    }
  }
} else {
  console.log('fuzz against the host kernel: skipped (needs root and MMSPEC_ALLOW_HOST_CHANGES=1)');
}
