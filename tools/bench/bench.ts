// npm run bench: throughput figures. Targets live here, never in timed unit tests.
import { OvercommitModel } from '../../oracle/overcommit/model.ts';
import { execImplementation } from '../impl/exec.ts';
import { OracleImplementation } from '../impl/oracle.ts';
import type { Implementation, StepRequest } from '../impl/types.ts';
import { projectRoot } from '../paths.ts';
import { runScenarios } from '../runner/run.ts';
import { loadScenarios } from '../spec/tables.ts';
import { join } from 'node:path';

const scenarios = loadScenarios();

async function scenariosPerSecond(impl: Implementation, seconds: number): Promise<number> {
  await runScenarios(impl, scenarios); // warm up
  let n = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < seconds * 1000) {
    n += (await runScenarios(impl, scenarios)).results.length;
  }
  return n / ((performance.now() - t0) / 1000);
}

/** A long random but valid overcommit sequence, driven straight into the model. */
function oracleStepsPerSecond(steps: number): number {
  let seed = 42;
  const rand = (n: number) => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  const model = new OvercommitModel({ overcommit_memory: 1 }, { kernel: '6.18' });
  const live: [string, number][] = [];
  let n = 0;
  const t0 = performance.now();
  for (let i = 0; i < steps; i++) {
    const r = rand(100);
    let step: StepRequest;
    if (live.length < 8 || r < 25) {
      const pages = 1 + rand(4096);
      const name = `m${n++}`;
      step = { op: 'mmap', args: { as: name, pages, prot: ['rw', 'r', 'none'][rand(3)], shared: rand(4) === 0, noreserve: rand(5) === 0 } };
      live.push([name, pages]);
    } else {
      const k = rand(live.length);
      const [map, pages] = live[k]!;
      const offset = rand(pages);
      if (r < 45) {
        step = { op: 'munmap', args: { map, offset: 0, pages } };
        live.splice(k, 1);
      } else if (r < 70) step = { op: 'mprotect', args: { map, offset, pages: 1 + rand(pages - offset), prot: ['rw', 'r'][rand(2)] } };
      else step = { op: 'touch', args: { map, offset, write: rand(2) === 0 } };
    }
    model.step(step);
    model.observe();
  }
  return steps / ((performance.now() - t0) / 1000);
}

const fmt = (x: number) => Math.round(x).toLocaleString('en-US');

console.log(`mmspec bench: ${scenarios.length} scenarios in the tables`);
console.log(`oracle in-process:        ${fmt(await scenariosPerSecond(new OracleImplementation(), 3))} scenarios/s`);
const served = execImplementation(`"${process.execPath}" "${join(projectRoot(), 'tools/bin/mmspec.js')}" serve`);
try {
  console.log(`exec: via mmspec serve:   ${fmt(await scenariosPerSecond(served, 3))} scenarios/s`);
} finally {
  await served.dispose();
}
console.log(`oracle, random overcommit sequence: ${fmt(oracleStepsPerSecond(200_000))} steps/s (200,000 steps, observation after each)`);
