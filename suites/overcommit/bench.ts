// Bench cases of overcommit (npm run bench): the model's speed on a long random sequence.
import { join } from 'node:path';
import { OvercommitModel } from '../../oracle/overcommit/model.ts';
import { modelStepsPerSecond, type BenchCase } from '../../tools/bench/case.ts';
import { execImplementation } from '../../tools/impl/exec.ts';
import type { StepRequest } from '../../tools/impl/types.ts';
import { projectRoot } from '../../tools/paths.ts';

/** A long random but valid overcommit sequence: mappings made, unmapped, reprotected and touched. */
function* randomSteps(): Generator<StepRequest, never> {
  let seed = 42;
  const rand = (n: number) => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  const live: [string, number][] = [];
  let n = 0;
  for (;;) {
    const r = rand(100);
    if (live.length < 8 || (r < 25 && live.length < 64)) {
      const pages = 1 + rand(4096);
      const name = `m${n++}`;
      live.push([name, pages]);
      yield { op: 'mmap', args: { as: name, pages, prot: ['rw', 'r', 'none'][rand(3)], shared: rand(4) === 0, noreserve: rand(5) === 0 } };
      continue;
    }
    const k = rand(live.length);
    const [map, pages] = live[k]!;
    const offset = rand(pages);
    if (r < 45 || live.length >= 64) {
      live.splice(k, 1);
      yield { op: 'munmap', args: { map, offset: 0, pages } };
    } else if (r < 70) yield { op: 'mprotect', args: { map, offset, pages: 1 + rand(pages - offset), prot: ['rw', 'r'][rand(2)] } };
    else yield { op: 'touch', args: { map, offset, write: rand(2) === 0 } };
  }
}

const CONFIG = { overcommit_memory: 1 as const };

/** The sequence, made by driving a model (untimed). */
function record(steps: number): StepRequest[] {
  const model = create();
  const gen = randomSteps();
  const out: StepRequest[] = [];
  for (let i = 0; i < steps; i++) {
    const step = gen.next().value;
    model.step(step);
    model.observe();
    out.push(step);
  }
  return out;
}

const create = () => new OvercommitModel(CONFIG, { kernel: '6.18' });

/** The same sequence through `mmspec serve` over the line protocol, in batched `steps` requests (each answer carries an observation). */
async function execStepsPerSecond(steps: number, batch = 2000): Promise<number> {
  const served = execImplementation(`"${process.execPath}" "${join(projectRoot(), 'tools/bin/mmspec.js')}" serve`);
  try {
    const opened = await served.open({ mechanism: 'overcommit', config: CONFIG, kernel: '6.18' });
    if (!('session' in opened)) throw new Error(`serve skipped the session: ${opened.skip}`);
    const gen = randomSteps();
    const send = async (n: number) => {
      for (let done = 0; done < n; done += batch) {
        const b: StepRequest[] = [];
        for (let i = 0; i < Math.min(batch, n - done); i++) b.push(gen.next().value);
        await served.steps!(opened.session, b);
      }
    };
    await send(steps / 4); // warm-up
    const t0 = performance.now();
    await send(steps);
    return steps / ((performance.now() - t0) / 1000);
  } finally {
    await served.dispose();
  }
}

const cases: BenchCase[] = [
  { name: 'oracle, random overcommit sequence', run: () => modelStepsPerSecond(create, record, 200_000) },
  {
    name: 'exec: batched via mmspec serve, random overcommit sequence',
    run: async () => `${Math.round(await execStepsPerSecond(200_000)).toLocaleString('en-US')} steps/s (200,000 steps in batches of 2,000, observation after each; target ≥ 100,000)`,
  },
];

export default cases;
