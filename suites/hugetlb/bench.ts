// Bench cases of hugetlb (npm run bench): the model on a long random sequence, and the
// reserve map's region operations as the map grows (the log n claim).
import { HugetlbModel } from '../../oracle/hugetlb/model.ts';
import { nodeVisits, ResvMap } from '../../oracle/hugetlb/resv-map.ts';
import { modelStepsPerSecond, type BenchCase } from '../../tools/bench/case.ts';
import type { StepRequest } from '../../tools/impl/types.ts';

const CONFIG = { nr_hugepages: 256, nr_overcommit_hugepages: 32 };
const create = () => new HugetlbModel(CONFIG, { kernel: '6.18' });

/** A long random but valid hugetlb sequence (files, mappings, faults, COW, fork), made by driving a model. */
function record(steps: number): StepRequest[] {
  let seed = 7;
  const rand = (n: number) => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  const model = create();
  const out: StepRequest[] = [];
  const run = (step: StepRequest) => {
    out.push(step);
    model.step(step);
    model.observe();
  };
  run({ op: 'mount', args: { as: 'h', size: 200, min_size: 16 } });
  const files: string[] = [];
  const live: [string, number][] = [];
  const freeNames: string[] = [];
  let child = false;
  let n = 0;
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
  return out;
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

const cases: BenchCase[] = [
  { name: 'oracle, random hugetlb sequence', run: () => modelStepsPerSecond(create, record, 200_000) },
  {
    name: 'reserve map, region_chg+region_add at 10^3 vs 10^6 regions (log2 n grows 2.0x)',
    run: () => {
      regionNsPerOp(1000, 200_000); // warm up
      const small = regionNsPerOp(1000, 400_000);
      const large = regionNsPerOp(1_000_000, 400_000);
      // Work (nodes visited) is the log n claim; time also pays for cache misses once the tree outgrows the cache.
      return [
        `nodes visited per op: ${small.visits.toFixed(1)} vs ${large.visits.toFixed(1)}: ratio ${(large.visits / small.visits).toFixed(2)}`,
        `time per op: ${small.ns.toFixed(0)} ns vs ${large.ns.toFixed(0)} ns: ratio ${(large.ns / small.ns).toFixed(2)}`,
      ].join('; ');
    },
  },
];

export default cases;
