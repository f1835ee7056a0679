// Properties of the hugetlb model over random valid operation sequences (fast-check).
// Each command is a list of random numbers; the driver turns it into one of the operations
// valid in the current state, so every command runs and none is skipped.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HugetlbModel } from '../../oracle/hugetlb/model.ts';
import type { Inode } from '../../oracle/hugetlb/objects.ts';
import { ResvMap } from '../../oracle/hugetlb/resv-map.ts';
import type { HugetlbConfig } from '../../spec/mechanisms/hugetlb/types.ts';
import type { StepRequest } from '../../tools/impl/types.ts';

const runs = Number(process.env.MMSPEC_PROPERTY_RUNS ?? 300);

type Action = { name: string; run: (r: () => number) => StepRequest };

/** How often each operation is drawn when valid: faults and mappings are where the rules are. */
const WEIGHT: Record<string, number> = { 'mmap-anon': 3, 'mmap-file': 4, create: 2, fallocate: 2, munmap: 2, touch: 8 };

export class Driver {
  readonly model: HugetlbModel;
  readonly trace: StepRequest[] = [];
  private n = 0;

  constructor(config: HugetlbConfig, kernel = 'documented') {
    this.model = new HugetlbModel(config, { kernel });
  }

  private run(step: StepRequest) {
    this.trace.push(step);
    return this.model.step(step);
  }

  /** The operations valid now, each with a way to draw its arguments. */
  private actions(): Action[] {
    const m = this.model;
    const procs = [...m.procs.keys()];
    const pick = <T,>(xs: T[], r: () => number): T => xs[r() % xs.length]!;
    const out: Action[] = [
      { name: 'sysctl', run: (r) => ({ op: 'sysctl', args: r() % 3 ? { name: 'nr_hugepages', value: r() % 11 } : { name: 'nr_overcommit_hugepages', value: r() % 5 } }) },
      { name: 'memfd', run: (r) => ({ op: 'memfd_create', args: { as: `f${this.n++}` }, proc: pick(procs, r) }) },
      {
        name: 'mmap-anon',
        run: (r) => ({
          op: 'mmap',
          args: { as: `m${this.n++}`, pages: 1 + (r() % 6), shared: r() % 2 === 0, noreserve: r() % 4 === 0, prot: r() % 5 ? 'rw' : 'r' },
          proc: pick(procs, r),
        }),
      },
    ];
    if (m.mounts.size < 3) {
      out.push({
        name: 'mount',
        run: (r) => {
          const kind = r() % 4;
          const size = 2 + (r() % 8);
          const min = r() % 5;
          const args = kind === 0 ? {} : kind === 1 ? { size } : kind === 2 ? { min_size: min } : { size, min_size: Math.min(min, size) };
          return { op: 'mount', args: { as: `mnt${this.n++}`, ...args } };
        },
      });
    }
    // Mount and file names live in each process's table, as the probe keeps them: mounts
    // and named files are made and removed by main, so main knows every one of them.
    const main = m.procs.get('main')!;
    const mounts = [...main.mounts.keys()];
    const idle = mounts.filter((name) => ![...m.inodes].some((f) => f.mount?.name === name && (f.fds > 0 || f.vmas > 0)));
    if (idle.length) out.push({ name: 'umount', run: (r) => ({ op: 'umount', args: { mount: pick(idle, r) } }) });
    if (mounts.length) out.push({ name: 'create', run: (r) => ({ op: 'create', args: { as: `f${this.n++}`, mount: pick(mounts, r) } }) });

    const withFd = procs.flatMap((p) => [...m.procs.get(p)!.fds].map((f) => [p, f] as const));
    if (withFd.length) {
      out.push({ name: 'close', run: (r) => { const [p, f] = pick(withFd, r); return { op: 'close', args: { file: f }, proc: p }; } });
      out.push({ name: 'ftruncate', run: (r) => { const [p, f] = pick(withFd, r); return { op: 'ftruncate', args: { file: f, pages: r() % 8 }, proc: p }; } });
      out.push({
        name: 'fallocate',
        run: (r) => {
          const [p, f] = pick(withFd, r);
          const mode = r() % 3;
          return { op: 'fallocate', args: { file: f, offset: r() % 6, pages: 1 + (r() % 4), punch_hole: mode === 0, keep_size: mode === 1 }, proc: p };
        },
      });
      out.push({
        name: 'mmap-file',
        run: (r) => {
          const [p, f] = pick(withFd, r);
          return {
            op: 'mmap',
            args: { as: `m${this.n++}`, file: f, offset: r() % 4, pages: 1 + (r() % 6), shared: r() % 3 !== 0, noreserve: r() % 4 === 0, prot: r() % 5 ? 'rw' : 'r' },
            proc: p,
          };
        },
      });
    }
    const linked = [...main.files.values()].filter((f) => f.linked).map((f) => f.name);
    if (linked.length) out.push({ name: 'unlink', run: (r) => ({ op: 'unlink', args: { file: pick(linked, r) } }) });

    const maps = procs.flatMap((p) =>
      [...m.procs.get(p)!.maps].filter(([, mp]) => m.procs.get(p)!.vmas().some((v) => v.start < mp.start + mp.pages && v.end > mp.start)).map(([name, mp]) => [p, name, mp.pages] as const),
    );
    if (maps.length) {
      out.push({
        name: 'munmap',
        run: (r) => {
          const [p, map, pages] = pick(maps, r);
          const offset = r() % pages;
          return { op: 'munmap', args: { map, offset, pages: 1 + (r() % (pages - offset)) }, proc: p };
        },
      });
      out.push({
        name: 'touch',
        run: (r) => {
          const [p, map, pages] = pick(maps, r);
          const offset = r() % pages;
          return { op: 'touch', args: { map, offset, pages: 1 + (r() % (pages - offset)), write: r() % 3 !== 0 }, proc: p };
        },
      });
    }
    if (procs.length < 4) out.push({ name: 'fork', run: (r) => ({ op: 'fork', args: { as: `p${this.n++}` }, proc: pick(procs, r) }) });
    const children = procs.filter((p) => p !== 'main');
    if (children.length) out.push({ name: 'exit', run: (r) => ({ op: 'exit', args: {}, proc: pick(children, r) }) });
    return out;
  }

  apply(nums: number[]): void {
    let i = 0;
    const r = () => nums[i++ % nums.length]!;
    const actions = this.actions().flatMap((a) => new Array<Action>(WEIGHT[a.name] ?? 1).fill(a));
    this.run(actions[r() % actions.length]!.run(r));
  }

  /** Every child exits; every mapping, descriptor, name and mount goes. */
  teardown(): void {
    const m = this.model;
    for (const p of [...m.procs.keys()]) if (p !== 'main') this.run({ op: 'exit', args: {}, proc: p });
    const main = m.procs.get('main')!;
    for (const [map] of main.maps) if (main.vmaCount) this.run({ op: 'munmap', args: { map }, proc: 'main' });
    for (const f of [...main.fds]) this.run({ op: 'close', args: { file: f } });
    for (const f of [...main.files.values()]) if (f.linked) this.run({ op: 'unlink', args: { file: f.name } });
    for (const mnt of [...main.mounts.keys()]) this.run({ op: 'umount', args: { mount: mnt } });
  }

  /** Every reserve map alive: inodes' and private VMAs'. */
  maps(): ResvMap[] {
    const inodes = new Set<Inode>(this.model.inodes);
    const out: ResvMap[] = [];
    for (const mm of this.model.procs.values()) {
      for (const v of mm.vmas()) {
        inodes.add(v.inode);
        if (v.resv) out.push(v.resv);
      }
    }
    for (const i of inodes) out.push(i.resv);
    return out;
  }
}

const commandsArb = fc.array(fc.array(fc.nat({ max: 1 << 20 }), { minLength: 12, maxLength: 12 }), { maxLength: 60, size: 'max' });
const configArb = fc.record({ nr_hugepages: fc.integer({ min: 0, max: 10 }), nr_overcommit_hugepages: fc.integer({ min: 0, max: 4 }) });

function wellFormed(map: ResvMap): void {
  const regions = map.regions();
  for (const [f, t] of regions) expect(f).toBeLessThan(t);
  // Sorted, disjoint and coalesced: each region ends strictly before the next starts.
  for (let k = 1; k < regions.length; k++) expect(regions[k - 1]![1]).toBeLessThan(regions[k]![0]);
  expect(map.size).toBe(regions.length);
  // Every region_chg was settled by exactly one region_add or region_abort.
  expect(map.addsInProgress).toBe(0);
  expect(map.unannouncedAdds).toBe(0);
}

describe('hugetlb model properties', () => {
  it('Rsvd <= Free <= Total and Surp <= Total after every step; reserve maps stay well formed', () => {
    fc.assert(
      fc.property(configArb, commandsArb, (config, cmds) => {
        const d = new Driver(config);
        for (const c of cmds) {
          d.apply(c);
          const o = d.model.observe() as Record<string, number>;
          const where = JSON.stringify(d.trace);
          expect(o.HugePages_Rsvd, where).toBeGreaterThanOrEqual(0);
          expect(o.HugePages_Rsvd, where).toBeLessThanOrEqual(o.HugePages_Free!);
          expect(o.HugePages_Free, where).toBeLessThanOrEqual(o.HugePages_Total!);
          expect(o.HugePages_Surp, where).toBeGreaterThanOrEqual(0);
          expect(o.HugePages_Surp, where).toBeLessThanOrEqual(o.HugePages_Total!);
          for (const map of d.maps()) wellFormed(map);
        }
      }),
      { numRuns: runs },
    );
  });

  it('once everything is unmapped, closed, removed, unmounted and every child has exited: Rsvd 0, Free = Total', () => {
    fc.assert(
      fc.property(configArb, commandsArb, (config, cmds) => {
        const d = new Driver(config);
        for (const c of cmds) d.apply(c);
        d.teardown();
        const o = d.model.observe();
        const where = JSON.stringify(d.trace);
        expect(o.HugePages_Rsvd, where).toBe(0);
        expect(o.HugePages_Free, where).toBe(o.HugePages_Total);
        expect(d.model.inodes.size, where).toBe(0);
      }),
      { numRuns: runs },
    );
  });

  it('as each kernel seen (switches on, two NUMA nodes in the guests): counters stay whole, maps well formed', () => {
    const kernels = ['6.18.44-fc-v1252', '6.12.118+deb12-amd64', '6.1.0-57-amd64', '7.2.13+deb14-amd64'];
    fc.assert(
      fc.property(fc.constantFrom(...kernels), configArb, commandsArb, (kernel, config, cmds) => {
        const d = new Driver(config, kernel);
        const h = d.model.h;
        for (const c of cmds) {
          d.apply(c);
          const where = `${kernel} ${JSON.stringify(d.trace)}`;
          // Kernel bugs may take Rsvd below zero or above Free, never the page counts.
          expect(h.free, where).toBeGreaterThanOrEqual(0);
          expect(h.free, where).toBeLessThanOrEqual(h.nr);
          expect(h.surplus, where).toBeGreaterThanOrEqual(0);
          expect(h.surplus, where).toBeLessThanOrEqual(h.nr);
          for (let n = 0; n < h.nodes; n++) {
            expect(h.freeNode[n]!, where).toBeGreaterThanOrEqual(0);
            expect(h.freeNode[n]!, where).toBeLessThanOrEqual(h.nrNode[n]!);
            expect(h.surplusNode[n]!, where).toBeLessThanOrEqual(h.nrNode[n]!);
          }
          for (const map of d.maps()) wellFormed(map);
        }
      }),
      { numRuns: runs },
    );
  });

  it('a reserve map agrees with a plain set of indices under random region operations', () => {
    const opArb = fc.tuple(fc.constantFrom('chg-add', 'chg-abort', 'del', 'count'), fc.nat({ max: 60 }), fc.nat({ max: 12 }));
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 80 }), (ops) => {
        const map = new ResvMap();
        const set = new Set<number>();
        const inSet = (f: number, t: number) => {
          let c = 0;
          for (let x = f; x < t; x++) if (set.has(x)) c++;
          return c;
        };
        for (const [op, f, len] of ops) {
          const t = f + len;
          if (op === 'chg-add' || op === 'chg-abort') {
            expect(map.chg(f, t)).toBe(len - inSet(f, t));
            if (op === 'chg-abort') map.abort(f, t);
            else {
              expect(map.add(f, t)).toBe(len - inSet(f, t));
              for (let x = f; x < t; x++) set.add(x);
            }
          } else if (op === 'del') {
            expect(map.del(f, t)).toBe(inSet(f, t));
            for (let x = f; x < t; x++) set.delete(x);
          } else expect(map.count(f, t)).toBe(inSet(f, t));
          wellFormed(map);
          expect(map.count(0, 100)).toBe(set.size);
        }
      }),
      { numRuns: runs },
    );
  });
});
