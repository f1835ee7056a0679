// Properties of the overcommit model over random valid operation sequences (fast-check).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { OvercommitModel } from '../../oracle/overcommit/model.ts';
import type { OvercommitConfig } from '../../spec/mechanisms/overcommit/types.ts';
import type { StepRequest } from '../../tools/impl/types.ts';

const PROT = ['rw', 'r', 'none'] as const;
const BACKING = ['anon', 'file', 'zero'] as const;

const mmapArb = (maxPages: number) =>
  fc.record({
    pages: fc.integer({ min: 1, max: maxPages }),
    prot: fc.constantFrom(...PROT),
    shared: fc.boolean(),
    backing: fc.constantFrom(...BACKING),
    noreserve: fc.boolean(),
  });

/** An abstract command; `pick` selects a target among what exists when it runs. */
const commandArb = fc.oneof(
  { weight: 4, arbitrary: mmapArb(4096).map((a) => ({ kind: 'mmap' as const, a })) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('munmap' as const), pick: fc.nat(), lo: fc.double({ min: 0, max: 1, noNaN: true }), hi: fc.double({ min: 0, max: 1, noNaN: true }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('mprotect' as const), pick: fc.nat(), lo: fc.double({ min: 0, max: 1, noNaN: true }), hi: fc.double({ min: 0, max: 1, noNaN: true }), prot: fc.constantFrom(...PROT) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('touch' as const), pick: fc.nat(), lo: fc.double({ min: 0, max: 1, noNaN: true }), write: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('mremap' as const), pick: fc.nat(), pages: fc.integer({ min: 1, max: 8192 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('brk' as const), pages: fc.integer({ min: -512, max: 2048 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('madvise' as const), pick: fc.nat(), dontfork: fc.boolean() }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'fork' as const }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('exit' as const), pick: fc.nat() }) },
);
type Command = typeof commandArb extends fc.Arbitrary<infer T> ? T : never;

/** Turns abstract commands into valid requests against the model's current state and runs them. */
class Driver {
  readonly model: OvercommitModel;
  private n = 0;
  private heap = 0;
  readonly trace: StepRequest[] = [];

  constructor(config: OvercommitConfig) {
    this.model = new OvercommitModel(config, { kernel: '6.18' });
  }

  private maps(proc = 'main'): [string, number][] {
    return [...this.model.procs.get(proc)!.maps].filter(([, m]) => m.pages > 0).map(([k, m]) => [k, m.pages]);
  }

  private run(step: StepRequest) {
    this.trace.push(step);
    return this.model.step(step);
  }

  apply(c: Command): void {
    const maps = this.maps();
    const target = 'pick' in c && maps.length ? maps[c.pick % maps.length] : undefined;
    const range = (lo: number, hi: number, pages: number) => {
      const a = Math.floor(Math.min(lo, hi) * pages);
      const b = Math.max(a + 1, Math.ceil(Math.max(lo, hi) * pages));
      return { offset: Math.min(a, pages - 1), pages: Math.min(b, pages) - Math.min(a, pages - 1) };
    };
    switch (c.kind) {
      case 'mmap':
        this.run({ op: 'mmap', args: { as: `m${this.n++}`, ...c.a } });
        return;
      case 'munmap':
        if (target) this.run({ op: 'munmap', args: { map: target[0], ...range(c.lo, c.hi, target[1]) } });
        return;
      case 'mprotect':
        if (target) this.run({ op: 'mprotect', args: { map: target[0], prot: c.prot, ...range(c.lo, c.hi, target[1]) } });
        return;
      case 'touch':
        if (target) this.run({ op: 'touch', args: { map: target[0], offset: Math.floor(c.lo * (target[1] - 1)), write: c.write } });
        return;
      case 'mremap':
        if (target) this.run({ op: 'mremap', args: { map: target[0], pages: c.pages } });
        return;
      case 'brk': {
        const pages = Math.max(c.pages, -this.heap);
        if (this.run({ op: 'brk', args: { pages } }).ret === 'ok') this.heap += pages;
        return;
      }
      case 'madvise':
        if (target) this.run({ op: 'madvise', args: { map: target[0], advice: c.dontfork ? 'dontfork' : 'dofork' } });
        return;
      case 'fork':
        this.run({ op: 'fork', args: { as: `c${this.n++}` } });
        return;
      case 'exit': {
        const children = [...this.model.procs.keys()].filter((p) => p !== 'main');
        if (children.length) this.run({ op: 'exit', args: {}, proc: children[c.pick % children.length] });
      }
    }
  }

  /** Ends every child, unmaps every mapping and gives the heap back. */
  teardown(): void {
    for (const p of [...this.model.procs.keys()]) if (p !== 'main') this.run({ op: 'exit', args: {}, proc: p });
    for (const [map, pages] of this.maps()) this.run({ op: 'munmap', args: { map, offset: 0, pages } });
    if (this.heap) this.run({ op: 'brk', args: { pages: -this.heap } });
  }

  committedKb(): number {
    return this.model.observe().Committed_AS as number;
  }
}

const runs = Number(process.env.MMSPEC_PROPERTY_RUNS ?? 300);

describe('overcommit model properties', () => {
  it('charges are additive: mappings together cost the sum of each alone', () => {
    fc.assert(
      fc.property(fc.constantFrom(0, 1) as fc.Arbitrary<0 | 1>, fc.array(mmapArb(4096), { maxLength: 12 }), (mode, maps) => {
        const together = new Driver({ overcommit_memory: mode });
        maps.forEach((a, i) => together.model.step({ op: 'mmap', args: { as: `m${i}`, ...a } }));
        const alone = maps.map((a) => {
          const d = new Driver({ overcommit_memory: mode });
          d.model.step({ op: 'mmap', args: { as: 'm', ...a } });
          return d.committedKb();
        });
        expect(together.committedKb()).toBe(alone.reduce((x, y) => x + y, 0));
      }),
      { numRuns: runs },
    );
  });

  it('unmapping everything returns Committed_AS to its start', () => {
    fc.assert(
      fc.property(fc.constantFrom(0, 1, 2) as fc.Arbitrary<0 | 1 | 2>, fc.array(commandArb, { maxLength: 40 }), (mode, cmds) => {
        const d = new Driver({ overcommit_memory: mode });
        for (const c of cmds) d.apply(c);
        d.teardown();
        expect(d.committedKb(), JSON.stringify(d.trace)).toBe(0);
        expect(d.model.observe().HugePages_Free).toBe(d.model.observe().HugePages_Total);
      }),
      { numRuns: runs },
    );
  });

  it('mode 2 never lets Committed_AS exceed CommitLimit by more than the per-CPU slack', () => {
    // The check reads the counter's global part; a request smaller than the batch stays in
    // the CPU's delta and is not seen, so the exact sum may pass the limit by under one batch.
    // Requests of a batch or more fold first, so with those alone the limit holds exactly.
    const config: OvercommitConfig = { overcommit_memory: 2, user_reserve_kbytes: 0, admin_reserve_kbytes: 0, machine: { MemTotal: 65536, SwapTotal: 0, nr_cpus: 2, Hugepagesize: 2048 } };
    fc.assert(
      fc.property(fc.array(commandArb, { maxLength: 60 }), (cmds) => {
        const d = new Driver(config);
        for (const c of cmds) {
          d.apply(c);
          const o = d.model.observe() as Record<string, number>;
          expect(o.Committed_AS).toBeLessThan(o.CommitLimit! + o.vm_committed_as_batch! * 4);
        }
      }),
      { numRuns: runs },
    );
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 32, max: 8192 }), { maxLength: 30 }), (sizes) => {
        const d = new Driver(config);
        sizes.forEach((pages, i) => {
          d.model.step({ op: 'mmap', args: { as: `m${i}`, pages } });
          const o = d.model.observe() as Record<string, number>;
          expect(o.Committed_AS).toBeLessThan(o.CommitLimit!);
        });
      }),
      { numRuns: runs },
    );
  });
});
