// Bench cases of overcommit (npm run bench): the model's speed on a long random sequence.
import { OvercommitModel } from '../../oracle/overcommit/model.ts';
import type { BenchCase } from '../../tools/bench/case.ts';
import type { StepRequest } from '../../tools/impl/types.ts';

/** A long random but valid overcommit sequence, driven straight into the model. */
function stepsPerSecond(steps: number): number {
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

const cases: BenchCase[] = [
  { name: 'oracle, random overcommit sequence', run: () => `${Math.round(stepsPerSecond(200_000)).toLocaleString('en-US')} steps/s (200,000 steps, observation after each)` },
];

export default cases;
