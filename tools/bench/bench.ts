// npm run bench: throughput figures. Targets live here, never in timed unit tests.
import { HugetlbModel } from '../../oracle/hugetlb/model.ts';
import { nodeVisits, ResvMap } from '../../oracle/hugetlb/resv-map.ts';
import { OvercommitModel } from '../../oracle/overcommit/model.ts';
import { execImplementation } from '../impl/exec.ts';
import { OracleImplementation } from '../impl/oracle.ts';
import type { Implementation, StepRequest } from '../impl/types.ts';
import { projectRoot } from '../paths.ts';
import { runScenarios } from '../runner/run.ts';
import { loadScenarios } from '../spec/tables.ts';
import { join } from 'node:path';
import { MECHANISMS } from '../../oracle/index.ts';
import { fuzz } from '../fuzz/engine.ts';
import { linuxImplementation } from '../linux/impl.ts';
import { mechanisms } from '../spec/mechanisms.ts';

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
    if (live.length < 8 || (r < 25 && live.length < 64)) {
      const pages = 1 + rand(4096);
      const name = `m${n++}`;
      step = { op: 'mmap', args: { as: name, pages, prot: ['rw', 'r', 'none'][rand(3)], shared: rand(4) === 0, noreserve: rand(5) === 0 } };
      live.push([name, pages]);
    } else {
      const k = rand(live.length);
      const [map, pages] = live[k]!;
      const offset = rand(pages);
      if (r < 45 || live.length >= 64) {
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

/** A long random but valid hugetlb sequence (files, mappings, faults, COW, fork), straight into the model. */
function hugetlbStepsPerSecond(steps: number): number {
  let seed = 7;
  const rand = (n: number) => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  const model = new HugetlbModel({ nr_hugepages: 256, nr_overcommit_hugepages: 32 }, { kernel: '6.18' });
  const run = (step: StepRequest) => {
    model.step(step);
    model.observe();
  };
  run({ op: 'mount', args: { as: 'h', size: 200, min_size: 16 } });
  const files: string[] = [];
  const live: [string, number][] = [];
  const freeNames: string[] = [];
  let child = false;
  let n = 0;
  const t0 = performance.now();
  for (let i = 0; i < steps; i++) {
    const r = rand(100);
    if (live.length < 4 || (r < 20 && live.length < 40)) {
      const pages = 1 + rand(16);
      const name = freeNames.pop() ?? `m${n++}`; // names are reused, as a program reuses addresses
      const file = files.length && rand(2) ? files[rand(files.length)] : undefined;
      run({ op: 'mmap', args: { as: name, pages, file, shared: rand(2) === 0, noreserve: rand(6) === 0 } });
      if (model.procs.get('main')!.maps.has(name)) live.push([name, pages]);
    } else if (r < 30) {
      const [map, pages] = live.splice(rand(live.length), 1)[0]!;
      run({ op: 'munmap', args: { map, offset: 0, pages } });
      freeNames.push(map);
    } else if (r < 33 && files.length < 8) {
      const name = `f${n++}`;
      run({ op: 'create', args: { as: name, mount: 'h' } });
      files.push(name);
    } else if (r < 35 && files.length) {
      const file = files[rand(files.length)]!;
      if (rand(2)) run({ op: 'ftruncate', args: { file, pages: rand(8) } });
      else run({ op: 'fallocate', args: { file, offset: rand(8), pages: 1 + rand(4), punch_hole: rand(2) === 0 } });
    } else if (r < 37) {
      run(child ? { op: 'exit', args: {}, proc: 'c' } : { op: 'fork', args: { as: 'c' } });
      child = !child;
    } else {
      const proc = child && rand(3) === 0 ? 'c' : 'main';
      const maps = proc === 'main' ? live : [...model.procs.get(proc)!.maps].map(([k, m]): [string, number] => [k, m.pages]);
      const [map, pages] = maps[rand(maps.length)]!;
      const offset = rand(pages);
      run({ op: 'touch', args: { map, offset, pages: 1 + rand(pages - offset), write: rand(3) !== 0 }, proc });
    }
  }
  return steps / ((performance.now() - t0) / 1000);
}

/**
 * Nanoseconds per region_chg + region_add on a reserve map of `regions` regions [4i, 4i+1).
 * Each op adds a new region [4i+2, 4i+3) for a spread of i; the map is put back between
 * batches, outside the timing, so its size stays near `regions`.
 */
function regionNsPerOp(regions: number, ops: number): { ns: number; visits: number } {
  const map = new ResvMap();
  for (let i = 0; i < regions; i++) {
    map.chg(4 * i, 4 * i + 1);
    map.add(4 * i, 4 * i + 1);
  }
  const batch = Math.min(regions, 1000);
  let base = 0;
  let timed = 0;
  let visited = 0;
  for (let done = 0; done < ops; done += batch) {
    const slots: number[] = [];
    for (let j = 0; j < batch; j++) slots.push((base + j * 7919) % regions);
    base = (base + 104729) % regions;
    const v0 = nodeVisits();
    const t0 = performance.now();
    for (const i of slots) {
      map.chg(4 * i + 2, 4 * i + 3);
      map.add(4 * i + 2, 4 * i + 3);
    }
    timed += performance.now() - t0;
    visited += nodeVisits() - v0;
    for (const i of slots) map.del(4 * i + 2, 4 * i + 3);
  }
  if (map.size !== regions) throw new Error('reserve map bench: the map did not return to its size');
  const n = Math.ceil(ops / batch) * batch;
  return { ns: (timed * 1e6) / n, visits: visited / n };
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
console.log(`oracle, random hugetlb sequence:    ${fmt(hugetlbStepsPerSecond(200_000))} steps/s (200,000 steps, observation after each)`);
regionNsPerOp(1000, 200_000); // warm up
const small = regionNsPerOp(1000, 400_000);
const large = regionNsPerOp(1_000_000, 400_000);
// Work (nodes visited) is the log n claim; time also pays for cache misses once the tree outgrows the cache.
console.log(`reserve map, region_chg+region_add at 10^3 vs 10^6 regions (log2 n grows 2.0x):`);
console.log(`  nodes visited per op: ${small.visits.toFixed(1)} vs ${large.visits.toFixed(1)}: ratio ${(large.visits / small.visits).toFixed(2)}`);
console.log(`  time per op:          ${small.ns.toFixed(0)} ns vs ${large.ns.toFixed(0)} ns: ratio ${(large.ns / small.ns).toFixed(2)}`);

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

for (const m of ['overcommit', 'hugetlb']) {
  console.log(`fuzz ${m}, oracle against oracle: ${await fuzzThroughput(m, new OracleImplementation(), 2000, true)}`);
}
if (process.getuid?.() === 0 && process.env.MMSPEC_ALLOW_HOST_CHANGES === '1') {
  for (const m of ['overcommit', 'hugetlb']) {
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
