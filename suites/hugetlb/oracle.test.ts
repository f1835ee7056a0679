// The hugetlb model against the worked examples of seed-digest-A §1.3 (H1–H21) and the live
// 6.18 trace of notes/live-kernel.md §1. Every expectation is derived by hand next to its step;
// tuples are (HugePages_Total, HugePages_Free, HugePages_Rsvd, HugePages_Surp).
import { describe, expect, it } from 'vitest';
import { HugetlbModel } from '../../oracle/hugetlb/model.ts';
import { ResvMap } from '../../oracle/hugetlb/resv-map.ts';
import { Subpool } from '../../oracle/hugetlb/subpool.ts';
import type { HugetlbConfig } from '../../spec/mechanisms/hugetlb/types.ts';
import type { StepResult } from '../../tools/impl/types.ts';

type Outcome = Omit<StepResult, 'observation'>;

function machine(config: HugetlbConfig) {
  const model = new HugetlbModel(config, { kernel: '6.18' });
  const run = (op: string, args: Record<string, unknown> = {}, proc?: string): Outcome => model.step({ op, args, proc });
  const ok = (op: string, args: Record<string, unknown> = {}, proc?: string): Outcome => {
    const r = run(op, args, proc);
    expect(r.ret, `${op} ${JSON.stringify(args)}`).toBe('ok');
    return r;
  };
  const tuple = () => {
    const o = model.observe();
    return [o.HugePages_Total, o.HugePages_Free, o.HugePages_Rsvd, o.HugePages_Surp];
  };
  /** Free and Rsvd, as the live trace lists them. */
  const fr = () => tuple().slice(1, 3);
  const fileMap = (name: string) => model.procs.get('main')!.files.get(name)!.resv.toString();
  const vma = (map: string, index = 0, proc = 'main') => {
    const mm = model.procs.get(proc)!;
    return mm.find(mm.maps.get(map)!.start + index)!;
  };
  return { model, run, ok, tuple, fr, fileMap, vma };
}

const SIGBUS = { ret: 'signal', signal: 'SIGBUS', si_code: 'BUS_ADRERR' };

describe('reserve maps (region_chg/add/abort/del/count)', () => {
  it('keeps regions sorted, disjoint and coalesced, and counts as the document says', () => {
    const m = new ResvMap();
    // Empty map: all of [0,2) is missing.
    expect(m.chg(0, 2)).toBe(2);
    expect(m.add(0, 2)).toBe(2);
    expect(m.chg(4, 5)).toBe(1);
    expect(m.add(4, 5)).toBe(1);
    expect(m.toString()).toBe('[0,2) [4,5)');
    // [1,6) overlaps [0,2) by 1 and [4,5) by 1: 3 pages missing; adding joins everything.
    expect(m.chg(1, 6)).toBe(3);
    m.abort(1, 6);
    expect(m.toString()).toBe('[0,2) [4,5)');
    expect(m.count(0, 10)).toBe(3);
    expect(m.count(1, 5)).toBe(2);
    // Adjacent regions merge: [2,4) fills the gap exactly.
    expect(m.chg(2, 4)).toBe(2);
    expect(m.add(2, 4)).toBe(2);
    expect(m.toString()).toBe('[0,5)');
    // Deleting from the middle splits; the return is the pages removed.
    expect(m.del(1, 3)).toBe(2);
    expect(m.toString()).toBe('[0,1) [3,5)');
    expect(m.del(0, Number.POSITIVE_INFINITY)).toBe(3);
    expect(m.toString()).toBe('');
    expect(m.addsInProgress).toBe(0);
    expect(m.unannouncedAdds).toBe(0);
  });

  it('counts region_chg calls in flight (adds_in_progress) until add or abort settles them', () => {
    const m = new ResvMap();
    m.chg(0, 1);
    m.chg(3, 4);
    expect(m.addsInProgress).toBe(2);
    m.add(0, 1);
    m.abort(3, 4);
    expect(m.addsInProgress).toBe(0);
    expect(() => m.abort(3, 4)).toThrow(/without a region_chg/);
  });

  it('region_add returns less than region_chg when the map grew in between', () => {
    const m = new ResvMap();
    expect(m.chg(0, 4)).toBe(4);
    m.chg(2, 3);
    m.add(2, 3); // someone else's add lands first
    expect(m.add(0, 4)).toBe(3);
  });
});

describe('subpools (hugepage_subpool_get_pages/put_pages)', () => {
  it("the document's example: 3 reserved in the subpool, ask 5 → 2 from the global pool", () => {
    const s = new Subpool(-1, 3);
    expect(s.get(5)).toBe(2);
    expect(s.rsv).toBe(0);
  });

  it('size= refuses past the limit; put below min_size refills the reserve', () => {
    const s = new Subpool(8, 4);
    expect(s.get(9)).toBe('ENOMEM');
    expect(s.get(6)).toBe(2); // used 6; reserve 4 covers 4 of them
    expect(s.put(1)).toBe(1); // used 5 >= min: all back to the global pool
    expect(s.put(5)).toBe(1); // used 0 < min: reserve 0+5 capped at 4, one goes back
    expect([s.used, s.rsv]).toEqual([0, 4]);
  });

  it('through the ops: subpool_new reserves min, get answers in value', () => {
    const { run, ok, tuple } = machine({ nr_hugepages: 4 });
    ok('subpool_new', { as: 's', min: 3 });
    expect(tuple()).toEqual([4, 4, 3, 0]);
    expect(run('hugepage_subpool_get_pages', { subpool: 's', delta: 5 })).toEqual({ ret: 'ok', value: 2 });
    ok('subpool_new', { as: 'lim', max: 2 });
    expect(run('hugepage_subpool_get_pages', { subpool: 'lim', delta: 3 })).toEqual({ ret: 'errno', errno: 'ENOMEM' });
    expect(run('hugepage_subpool_put_pages', { subpool: 's', delta: 5 })).toEqual({ ret: 'ok', value: 2 });
  });
});

describe('hugetlb_acct_memory', () => {
  it('takes delta iff delta <= free - resv (the kernel, not the backwards document line)', () => {
    const { run, tuple } = machine({ nr_hugepages: 4 });
    expect(run('hugetlb_acct_memory', { delta: 3 }).ret).toBe('ok'); // 3 <= 4 - 0
    expect(run('hugetlb_acct_memory', { delta: 2 })).toEqual({ ret: 'errno', errno: 'ENOMEM' }); // 2 > 4 - 3
    expect(run('hugetlb_acct_memory', { delta: 1 }).ret).toBe('ok'); // 1 <= 1
    expect(run('hugetlb_acct_memory', { delta: -4 }).ret).toBe('ok');
    expect(tuple()).toEqual([4, 4, 0, 0]);
  });
});

describe('worked examples (seed-digest-A §1.3)', () => {
  it('H1 shared file mapping lifecycle', () => {
    const { ok, tuple, fileMap } = machine({ nr_hugepages: 4 });
    ok('mount', { as: 'h' });
    ok('create', { as: 'f', mount: 'h' });
    ok('mmap', { as: 'a', file: 'f', pages: 2, shared: true }); // region_chg 2 <= avail 4
    expect(tuple()).toEqual([4, 4, 2, 0]);
    expect(fileMap('f')).toBe('[0,2)');
    ok('touch', { map: 'a', offset: 0 }); // consumes idx0's reservation
    expect(tuple()).toEqual([4, 3, 1, 0]);
    ok('touch', { map: 'a', offset: 1 });
    expect(tuple()).toEqual([4, 2, 0, 0]);
    expect(fileMap('f')).toBe('[0,2)'); // shared maps are not changed by consumption
    ok('munmap', { map: 'a' });
    expect(tuple()).toEqual([4, 2, 0, 0]);
    ok('mmap', { as: 'b', file: 'f', pages: 2, shared: true }); // region_chg 0
    expect(tuple()).toEqual([4, 2, 0, 0]);
    ok('ftruncate', { file: 'f', pages: 0 }); // 2 freed; region_del 2 - freed 2 = 0 released
    expect(tuple()).toEqual([4, 4, 0, 0]);
    expect(fileMap('f')).toBe('');
  });

  it('H2 unfaulted shared reservations survive munmap until the inode goes', () => {
    const { ok, tuple } = machine({ nr_hugepages: 4 });
    ok('mount', { as: 'h' });
    ok('create', { as: 'f', mount: 'h' });
    ok('mmap', { as: 'a', file: 'f', pages: 3, shared: true });
    expect(tuple()).toEqual([4, 4, 3, 0]);
    ok('munmap', { map: 'a' });
    expect(tuple()).toEqual([4, 4, 3, 0]);
    ok('close', { file: 'f' });
    expect(tuple()).toEqual([4, 4, 3, 0]); // still named
    ok('unlink', { file: 'f' }); // evicted: region_del 3, freed 0
    expect(tuple()).toEqual([4, 4, 0, 0]);
  });

  it('H2 anonymous shared and MFD_HUGETLB: the last reference going evicts the inode', () => {
    const { ok, tuple } = machine({ nr_hugepages: 4 });
    ok('mmap', { as: 'a', pages: 3, shared: true });
    expect(tuple()).toEqual([4, 4, 3, 0]);
    ok('munmap', { map: 'a' });
    expect(tuple()).toEqual([4, 4, 0, 0]);
    ok('memfd_create', { as: 'm' });
    ok('mmap', { as: 'b', file: 'm', pages: 3, shared: true });
    ok('close', { file: 'm' });
    expect(tuple()).toEqual([4, 4, 3, 0]); // the mapping still holds the file
    ok('munmap', { map: 'b' });
    expect(tuple()).toEqual([4, 4, 0, 0]);
  });

  it('H3 insufficient pages: mmap fails and nothing changes', () => {
    const { ok, run, tuple, fileMap } = machine({ nr_hugepages: 4 });
    ok('mount', { as: 'h' });
    ok('create', { as: 'a', mount: 'h' });
    ok('create', { as: 'b', mount: 'h' });
    ok('mmap', { as: 'ma', file: 'a', pages: 3, shared: true });
    expect(run('mmap', { as: 'mb', file: 'b', pages: 2, shared: true })).toEqual({ ret: 'errno', errno: 'ENOMEM' }); // 2 > 1
    expect(tuple()).toEqual([4, 4, 3, 0]);
    expect(fileMap('b')).toBe(''); // region_abort
    expect(run('mmap', { as: 'mp', file: 'b', pages: 2 })).toEqual({ ret: 'errno', errno: 'ENOMEM' });
    expect(tuple()).toEqual([4, 4, 3, 0]);
  });

  it('H4 private anonymous mapping: consumption is recorded in the VMA map', () => {
    const { ok, tuple, vma } = machine({ nr_hugepages: 4 });
    ok('mmap', { as: 'a', pages: 3 });
    expect(tuple()).toEqual([4, 4, 3, 0]);
    expect(vma('a').owner).toBe(true);
    ok('touch', { map: 'a', offset: 0 });
    expect(tuple()).toEqual([4, 3, 2, 0]);
    ok('touch', { map: 'a', offset: 2 });
    expect(tuple()).toEqual([4, 2, 1, 0]);
    expect(vma('a').resv!.toString()).toBe('[0,1) [2,3)');
    ok('munmap', { map: 'a' }); // outstanding 3 - region_count 2 = 1
    expect(tuple()).toEqual([4, 4, 0, 0]);
  });

  it('H5 partial munmap of a private mapping', () => {
    const { ok, tuple } = machine({ nr_hugepages: 4 });
    ok('mmap', { as: 'a', pages: 4 });
    ok('touch', { map: 'a', offset: 0 });
    expect(tuple()).toEqual([4, 3, 3, 0]);
    ok('munmap', { map: 'a', offset: 2, pages: 2 }); // outstanding 2 - 0
    expect(tuple()).toEqual([4, 3, 1, 0]);
    ok('munmap', { map: 'a', offset: 0, pages: 2 }); // outstanding 2 - 1; idx0 freed
    expect(tuple()).toEqual([4, 4, 0, 0]);
  });

  it('H6 fork: the child has no reservations', () => {
    const { ok, run, tuple } = machine({ nr_hugepages: 4 });
    ok('mmap', { as: 'a', pages: 3 });
    ok('touch', { map: 'a', offset: 0 });
    expect(tuple()).toEqual([4, 3, 2, 0]);
    ok('fork', { as: 'c' });
    expect(tuple()).toEqual([4, 3, 2, 0]);
    ok('touch', { map: 'a', offset: 1, write: false }, 'c'); // needs=1, avail 3-2 = 1
    expect(tuple()).toEqual([4, 2, 2, 0]);
    expect(run('touch', { map: 'a', offset: 2, write: false }, 'c')).toEqual(SIGBUS); // avail 0
    expect(tuple()).toEqual([4, 2, 2, 0]);
    ok('touch', { map: 'a', offset: 1 });
    expect(tuple()).toEqual([4, 1, 1, 0]);
    ok('touch', { map: 'a', offset: 2 });
    expect(tuple()).toEqual([4, 0, 0, 0]);
    ok('exit', {}, 'c'); // the child's idx1 page is freed, restoring nothing
    expect(tuple()).toEqual([4, 1, 0, 0]);
  });

  it('H7 owner COW with an exhausted pool: the child loses the page and gets SIGBUS later', () => {
    const { ok, run, tuple, vma } = machine({ nr_hugepages: 1 });
    ok('mmap', { as: 'a', pages: 1 });
    expect(tuple()).toEqual([1, 1, 1, 0]);
    ok('touch', { map: 'a' });
    expect(tuple()).toEqual([1, 0, 0, 0]);
    ok('fork', { as: 'c' });
    ok('touch', { map: 'a' }); // COW fails: unmapped from the child, parent keeps the page
    expect(tuple()).toEqual([1, 0, 0, 0]);
    expect(vma('a', 0, 'c').unmapped).toBe(true);
    expect(run('touch', { map: 'a', write: false }, 'c')).toEqual(SIGBUS);
  });

  it('H8 non-owner COW failure: SIGBUS in the child, parent unaffected', () => {
    const { ok, run, tuple } = machine({ nr_hugepages: 1 });
    ok('mmap', { as: 'a', pages: 1 });
    ok('touch', { map: 'a' });
    ok('fork', { as: 'c' });
    expect(run('touch', { map: 'a' }, 'c')).toEqual(SIGBUS);
    expect(tuple()).toEqual([1, 0, 0, 0]);
    ok('touch', { map: 'a' }); // the page is still shared with the child: COW from owner fails, unmap
    ok('touch', { map: 'a' });
    expect(tuple()).toEqual([1, 0, 0, 0]);
  });

  it('H9 COW succeeds when an unreserved page exists (child first, or owner first)', () => {
    for (const who of ['c', 'main']) {
      const { ok, tuple } = machine({ nr_hugepages: 2 });
      ok('mmap', { as: 'a', pages: 1 });
      expect(tuple()).toEqual([2, 2, 1, 0]);
      ok('touch', { map: 'a' });
      expect(tuple()).toEqual([2, 1, 0, 0]);
      ok('fork', { as: 'c' });
      ok('touch', { map: 'a' }, who);
      expect(tuple()).toEqual([2, 0, 0, 0]);
    }
  });

  it('H10 MAP_NORESERVE shared: faults use a reservation someone else made', () => {
    const { ok, tuple, fileMap } = machine({ nr_hugepages: 4 });
    ok('mount', { as: 'h' });
    ok('create', { as: 'f', mount: 'h' });
    ok('mmap', { as: 'p', file: 'f', pages: 4, shared: true, noreserve: true });
    expect(tuple()).toEqual([4, 4, 0, 0]);
    ok('touch', { map: 'p', offset: 0 }); // needs=1, unreserved; commit adds [0,1)
    expect(tuple()).toEqual([4, 3, 0, 0]);
    expect(fileMap('f')).toBe('[0,1)');
    ok('mmap', { as: 'q', file: 'f', pages: 4, shared: true }); // region_chg [0,4) = 3
    expect(tuple()).toEqual([4, 3, 3, 0]);
    expect(fileMap('f')).toBe('[0,4)');
    ok('touch', { map: 'p', offset: 1 }); // entry exists: uses the reserve
    expect(tuple()).toEqual([4, 2, 2, 0]);
  });

  it('H10b NORESERVE fault when every free page is reserved: SIGBUS', () => {
    const { ok, run, tuple } = machine({ nr_hugepages: 4 });
    ok('mount', { as: 'h' });
    ok('create', { as: 'g', mount: 'h' });
    ok('create', { as: 'f', mount: 'h' });
    ok('mmap', { as: 'full', file: 'g', pages: 4, shared: true });
    expect(tuple()).toEqual([4, 4, 4, 0]);
    ok('mmap', { as: 'p', file: 'f', pages: 1, shared: true, noreserve: true });
    expect(run('touch', { map: 'p' })).toEqual(SIGBUS);
    expect(tuple()).toEqual([4, 4, 4, 0]);
  });

  it('H12 min_size subpool lifecycle (size=8, min_size=4)', () => {
    const { ok, run, tuple, model } = machine({ nr_hugepages: 8 });
    const statfs = () => run('statfs', { mount: 'h' }).value;
    const spool = () => model.mounts.get('h')!.spool!;
    ok('mount', { as: 'h', size: 8, min_size: 4 }); // acct(+4)
    expect(tuple()).toEqual([8, 8, 4, 0]);
    expect([spool().used, spool().rsv, statfs()]).toEqual([0, 4, 0]);
    ok('create', { as: 'f1', mount: 'h' });
    ok('mmap', { as: 'a', file: 'f1', pages: 2, shared: true }); // get(2) = 0
    expect(tuple()).toEqual([8, 8, 4, 0]);
    expect([spool().used, spool().rsv, statfs()]).toEqual([2, 2, 2]);
    ok('touch', { map: 'a', offset: 0 });
    expect(tuple()).toEqual([8, 7, 3, 0]);
    ok('create', { as: 'f2', mount: 'h' });
    ok('mmap', { as: 'b', file: 'f2', pages: 4, shared: true }); // get(4) = 2 → acct(+2)
    expect(tuple()).toEqual([8, 7, 5, 0]);
    expect([spool().used, spool().rsv, statfs()]).toEqual([6, 0, 6]);
    ok('munmap', { map: 'a' });
    ok('close', { file: 'f1' });
    // 5a: idx0 freed, put(1) with used 5 >= 4 → 1, no restore; 5b: region_del 2 - freed 1 → put(1) → acct(-1).
    ok('unlink', { file: 'f1' });
    expect(tuple()).toEqual([8, 8, 4, 0]);
    expect([spool().used, spool().rsv]).toEqual([4, 0]);
    ok('munmap', { map: 'b' });
    ok('close', { file: 'f2' });
    ok('unlink', { file: 'f2' }); // put(4): used 0 < 4 → 0, reserve back to 4
    expect(tuple()).toEqual([8, 8, 4, 0]);
    expect([spool().used, spool().rsv]).toEqual([0, 4]);
    ok('umount', { mount: 'h' }); // acct(-4)
    expect(tuple()).toEqual([8, 8, 0, 0]);
  });

  it('H13 mount fails when min_size cannot be reserved', () => {
    const { ok, run, tuple, model } = machine({ nr_hugepages: 8 });
    ok('mmap', { as: 'a', pages: 6 });
    expect(tuple()).toEqual([8, 8, 6, 0]);
    expect(run('mount', { as: 'h', min_size: 4 })).toEqual({ ret: 'errno', errno: 'ENOMEM' }); // 4 > 2
    expect(tuple()).toEqual([8, 8, 6, 0]);
    expect(model.mounts.has('h')).toBe(false);
  });

  it('H14 size= limit: mmap beyond it fails; a fault beyond it gets SIGBUS', () => {
    const { ok, run, tuple } = machine({ nr_hugepages: 4 });
    ok('mount', { as: 'h', size: 2 });
    ok('create', { as: 'f', mount: 'h' });
    expect(run('mmap', { as: 'a', file: 'f', pages: 3, shared: true })).toEqual({ ret: 'errno', errno: 'ENOMEM' });
    expect(tuple()).toEqual([4, 4, 0, 0]);
    expect(run('statfs', { mount: 'h' }).value).toBe(0);
    // NORESERVE gets past mmap; the third fault is refused by the subpool.
    ok('mmap', { as: 'n', file: 'f', pages: 3, shared: true, noreserve: true });
    expect(run('touch', { map: 'n', pages: 3 })).toEqual(SIGBUS);
    expect(tuple()).toEqual([4, 2, 0, 0]);
    expect(run('statfs', { mount: 'h' }).value).toBe(2);
  });

  it('H15 truncate of a partially faulted file', () => {
    const { ok, tuple, fileMap } = machine({ nr_hugepages: 4 });
    ok('mount', { as: 'h' });
    ok('create', { as: 'f', mount: 'h' });
    ok('mmap', { as: 'a', file: 'f', pages: 4, shared: true });
    expect(tuple()).toEqual([4, 4, 4, 0]);
    ok('touch', { map: 'a', offset: 0 });
    ok('touch', { map: 'a', offset: 3 });
    expect(tuple()).toEqual([4, 2, 2, 0]);
    ok('ftruncate', { file: 'f', pages: 2 }); // idx3 freed; region_del [2,∞) = 2, freed 1 → release 1
    expect(tuple()).toEqual([4, 3, 1, 0]);
    expect(fileMap('f')).toBe('[0,2)');
  });

  it('H16 hole punch keeps the reservations of unfaulted pages', () => {
    const { ok, tuple, fileMap } = machine({ nr_hugepages: 4 });
    ok('mount', { as: 'h' });
    ok('create', { as: 'f', mount: 'h' });
    ok('mmap', { as: 'a', file: 'f', pages: 4, shared: true });
    ok('touch', { map: 'a', offset: 1 });
    expect(tuple()).toEqual([4, 3, 3, 0]);
    ok('fallocate', { file: 'f', offset: 1, pages: 2, punch_hole: true });
    expect(tuple()).toEqual([4, 4, 3, 0]);
    expect(fileMap('f')).toBe('[0,1) [2,4)');
    ok('touch', { map: 'a', offset: 1 }); // needs=1: an unreserved page (avail 1)
    expect(tuple()).toEqual([4, 3, 3, 0]);
    expect(fileMap('f')).toBe('[0,4)');
  });

  it('H17 fallocate preallocation, before and after mmap', () => {
    {
      const { ok, tuple, fileMap } = machine({ nr_hugepages: 4 });
      ok('mount', { as: 'h' });
      ok('create', { as: 'f', mount: 'h' });
      ok('fallocate', { file: 'f', pages: 2 }); // two unreserved allocations
      expect(tuple()).toEqual([4, 2, 0, 0]);
      expect(fileMap('f')).toBe('[0,2)');
      ok('mmap', { as: 'a', file: 'f', pages: 2, shared: true }); // region_chg 0
      expect(tuple()).toEqual([4, 2, 0, 0]);
    }
    {
      const { ok, tuple } = machine({ nr_hugepages: 4 });
      ok('mount', { as: 'h' });
      ok('create', { as: 'f', mount: 'h' });
      ok('mmap', { as: 'a', file: 'f', pages: 2, shared: true });
      expect(tuple()).toEqual([4, 4, 2, 0]);
      ok('fallocate', { file: 'f', pages: 2 }); // consumes the reservations
      expect(tuple()).toEqual([4, 2, 0, 0]);
    }
  });

  it('H19 surplus pages back a reservation and leave with it', () => {
    const { ok, tuple, model } = machine({ nr_hugepages: 0, nr_overcommit_hugepages: 2 });
    ok('mount', { as: 'h' });
    ok('create', { as: 'f', mount: 'h' });
    ok('mmap', { as: 'a', file: 'f', pages: 2, shared: true }); // 2 surplus pages
    expect(tuple()).toEqual([2, 2, 2, 2]);
    ok('touch', { map: 'a', offset: 0 });
    expect(tuple()).toEqual([2, 1, 1, 2]);
    ok('munmap', { map: 'a' });
    ok('close', { file: 'f' });
    // Eviction: idx0 (surplus) goes to buddy → (1,1,1,1); unreserve 1 → its surplus page goes → (0,0,0,0).
    ok('unlink', { file: 'f' });
    expect(tuple()).toEqual([0, 0, 0, 0]);
    expect(model.observe().nr_hugepages).toBe(0);

    const short = machine({ nr_hugepages: 0, nr_overcommit_hugepages: 1 });
    short.ok('mount', { as: 'h' });
    short.ok('create', { as: 'f', mount: 'h' });
    expect(short.run('mmap', { as: 'a', file: 'f', pages: 2, shared: true })).toEqual({ ret: 'errno', errno: 'ENOMEM' });
    expect(short.tuple()).toEqual([0, 0, 0, 0]);
  });

  it('H20 error before instantiation: restore_reserve_on_error keeps map and count in step', () => {
    for (const mapFails of [false, true]) {
      const { ok, tuple, model, vma } = machine({ nr_hugepages: 4 });
      ok('mmap', { as: 'a', pages: 1 });
      expect(tuple()).toEqual([4, 4, 1, 0]);
      const v = vma('a');
      const page = model.resv.allocFolio(v, 0, false)!;
      expect(tuple()).toEqual([4, 3, 0, 0]);
      expect(page.restoreReserve).toBe(true);
      expect(v.resv!.toString()).toBe('[0,1)');
      model.resv.restoreReserveOnError(v, 0, page, mapFails);
      model.resv.freeFolio(page);
      if (!mapFails) {
        expect(v.resv!.toString()).toBe(''); // region_del: the reservation exists again
        expect(tuple()).toEqual([4, 4, 1, 0]);
      } else {
        expect(v.resv!.toString()).toBe('[0,1)'); // still "consumed"; flag cleared
        expect(tuple()).toEqual([4, 4, 0, 0]);
        ok('touch', { map: 'a' }); // a later fault is an unreserved allocation
        expect(tuple()).toEqual([4, 3, 0, 0]);
      }
      ok('munmap', { map: 'a' });
      expect(tuple()).toEqual([4, 4, 0, 0]);
      expect(v.resv!.addsInProgress).toBe(0);
    }
  });

  it('H21 needs/commit race: the racing reservation is the faulting page', () => {
    const { ok, run, tuple, model, vma } = machine({ nr_hugepages: 8 });
    ok('mount', { as: 'h' });
    ok('create', { as: 'f', mount: 'h' });
    ok('mmap', { as: 'a', file: 'f', pages: 6, shared: true, noreserve: true });
    expect(tuple()).toEqual([8, 8, 0, 0]);
    // Task A faults idx5 (needs=1: unreserved page, F-1); task B reserves idx5 (R+1) before A commits.
    const page = model.resv.allocFolio(vma('a', 5), 5, false, {
      beforeCommit: () => ok('mmap', { as: 'b', file: 'f', offset: 5, pages: 1, shared: true }),
    });
    expect(page).not.toBeNull();
    // commit returned 0 ≠ 1: R-1. Net: F-1, R unchanged.
    expect(tuple()).toEqual([8, 7, 0, 0]);
    // The same race through the helpers: needs says 1, commit then says 0.
    expect(run('vma_needs_reservation', { map: 'a', index: 3 }).value).toBe(1);
    ok('mmap', { as: 'c', file: 'f', offset: 3, pages: 1, shared: true });
    expect(run('vma_commit_reservation', { map: 'a', index: 3 }).value).toBe(0);
  });
});

describe('live 6.18 trace (notes/live-kernel.md §1), pool of 8: (Free, Rsvd)', () => {
  it('A: a hugetlbfs file mapped shared', () => {
    const { ok, fr, model } = machine({ nr_hugepages: 8 });
    ok('mount', { as: 'h' });
    ok('create', { as: 'f', mount: 'h' });
    expect(fr()).toEqual([8, 0]);
    ok('mmap', { as: 'a', file: 'f', pages: 4, shared: true }); // A1, no ftruncate
    expect(fr()).toEqual([8, 4]);
    expect(model.procs.get('main')!.files.get('f')!.size).toBe(4); // the mmap extends i_size
    ok('touch', { map: 'a', offset: 0 }); // A2
    expect(fr()).toEqual([7, 3]);
    ok('munmap', { map: 'a' }); // A3
    expect(fr()).toEqual([7, 3]);
    ok('mmap', { as: 'a', file: 'f', pages: 4, shared: true }); // A4
    expect(fr()).toEqual([7, 3]);
    ok('touch', { map: 'a', offset: 1 }); // A5
    expect(fr()).toEqual([6, 2]);
    ok('fallocate', { file: 'f', offset: 0, pages: 1, punch_hole: true }); // A6: freed, not re-reserved
    expect(fr()).toEqual([7, 2]);
    ok('fallocate', { file: 'f', offset: 3, pages: 1 }); // A7: consumes idx3's reservation
    expect(fr()).toEqual([6, 1]);
    ok('ftruncate', { file: 'f', pages: 2 }); // A8: idx3 freed, idx2's reservation dropped
    expect(fr()).toEqual([7, 0]);
    ok('munmap', { map: 'a' }); // A9
    expect(fr()).toEqual([7, 0]);
    ok('ftruncate', { file: 'f', pages: 0 }); // A10
    expect(fr()).toEqual([8, 0]);
  });

  it('B: a hugetlbfs file mapped private, with a fork', () => {
    const { ok, fr } = machine({ nr_hugepages: 8 });
    ok('mount', { as: 'h' });
    ok('create', { as: 'g', mount: 'h' });
    ok('mmap', { as: 'b', file: 'g', pages: 4 }); // B1
    expect(fr()).toEqual([8, 4]);
    ok('touch', { map: 'b', offset: 0 }); // B2
    expect(fr()).toEqual([7, 3]);
    ok('touch', { map: 'b', offset: 1, write: false }); // B3: a read fault allocates too
    expect(fr()).toEqual([6, 2]);
    ok('fork', { as: 'c' }); // B4
    expect(fr()).toEqual([6, 2]);
    ok('touch', { map: 'b', offset: 0 }, 'c'); // B5: COW from the free pool
    expect(fr()).toEqual([5, 2]);
    ok('touch', { map: 'b', offset: 2 }, 'c'); // B6
    expect(fr()).toEqual([4, 2]);
    ok('touch', { map: 'b', offset: 0 }); // B7: now exclusive, no copy
    expect(fr()).toEqual([4, 2]);
    ok('touch', { map: 'b', offset: 3 }); // B8: parent's reservation
    expect(fr()).toEqual([3, 1]);
    ok('exit', {}, 'c'); // B9: the child's idx0 copy and idx2 go
    expect(fr()).toEqual([5, 1]);
    ok('munmap', { map: 'b' }); // B10
    expect(fr()).toEqual([8, 0]);
  });

  it('C: MAP_NORESERVE, file shared and anonymous private', () => {
    const { ok, fr } = machine({ nr_hugepages: 8 });
    ok('mount', { as: 'h' });
    ok('create', { as: 'f', mount: 'h' });
    ok('mmap', { as: 'c', file: 'f', pages: 4, shared: true, noreserve: true });
    expect(fr()).toEqual([8, 0]);
    ok('touch', { map: 'c' });
    expect(fr()).toEqual([7, 0]);
    ok('munmap', { map: 'c' });
    expect(fr()).toEqual([7, 0]);
    ok('ftruncate', { file: 'f', pages: 0 });
    expect(fr()).toEqual([8, 0]);
    ok('mmap', { as: 'd', pages: 4, noreserve: true }); // C5
    expect(fr()).toEqual([8, 0]);
    ok('touch', { map: 'd' });
    expect(fr()).toEqual([7, 0]);
    ok('munmap', { map: 'd' });
    expect(fr()).toEqual([8, 0]);
  });

  it('D: memfd_create(MFD_HUGETLB): mmap of the size-0 file reserves; the last close releases', () => {
    const { ok, fr, model } = machine({ nr_hugepages: 8 });
    ok('memfd_create', { as: 'm' }); // D1
    expect(fr()).toEqual([8, 0]);
    ok('mmap', { as: 'a', file: 'm', pages: 4, shared: true }); // D2
    expect(fr()).toEqual([8, 4]);
    expect(model.procs.get('main')!.files.get('m')!.size).toBe(4);
    ok('ftruncate', { file: 'm', pages: 4 }); // D3
    ok('mmap', { as: 'b', file: 'm', pages: 4, shared: true }); // D4
    expect(fr()).toEqual([8, 4]);
    ok('touch', { map: 'a' }); // D5
    expect(fr()).toEqual([7, 3]);
    ok('munmap', { map: 'a' }); // D6
    ok('munmap', { map: 'b' });
    expect(fr()).toEqual([7, 3]);
    ok('close', { file: 'm' }); // D7
    expect(fr()).toEqual([8, 0]);
  });

  it('E: anonymous MAP_HUGETLB private (partial munmap) and shared', () => {
    const { ok, fr } = machine({ nr_hugepages: 8 });
    ok('mmap', { as: 'e', pages: 4 }); // E1
    expect(fr()).toEqual([8, 4]);
    ok('touch', { map: 'e', offset: 0 }); // E2
    expect(fr()).toEqual([7, 3]);
    ok('munmap', { map: 'e', offset: 1, pages: 1 }); // E3: that page's reservation goes
    expect(fr()).toEqual([7, 2]);
    ok('munmap', { map: 'e' }); // E4
    expect(fr()).toEqual([8, 0]);
    ok('mmap', { as: 's', pages: 4, shared: true }); // E5
    expect(fr()).toEqual([8, 4]);
    ok('touch', { map: 's' }); // E6
    expect(fr()).toEqual([7, 3]);
    ok('munmap', { map: 's' }); // E7
    expect(fr()).toEqual([8, 0]);
  });

  it('F: ENOMEM at mmap past the pool; NORESERVE faults until SIGBUS', () => {
    const { ok, run, fr } = machine({ nr_hugepages: 8 });
    expect(run('mmap', { as: 'big', pages: 9 })).toEqual({ ret: 'errno', errno: 'ENOMEM' }); // F1
    ok('mmap', { as: 'n', pages: 9, noreserve: true }); // F2
    ok('fork', { as: 'c' });
    expect(run('touch', { map: 'n', pages: 9 }, 'c')).toEqual(SIGBUS); // pages 0-7 succeed, page 8 does not
    expect(fr()).toEqual([0, 0]);
    ok('exit', {}, 'c');
    expect(fr()).toEqual([8, 0]);
  });

  it('G: the owner writes a shared page with the pool exhausted: the child gets SIGBUS', () => {
    const { ok, run, tuple } = machine({ nr_hugepages: 8 });
    ok('mmap', { as: 'p', pages: 1 });
    ok('touch', { map: 'p' });
    ok('fork', { as: 'c' });
    ok('mmap', { as: 'rest', pages: 7, noreserve: true });
    ok('touch', { map: 'rest', pages: 7 });
    expect(tuple()).toEqual([8, 0, 0, 0]);
    ok('touch', { map: 'p' }); // the parent's write succeeds
    expect(run('touch', { map: 'p', write: false }, 'c')).toEqual(SIGBUS);
    expect(tuple()).toEqual([8, 0, 0, 0]);
  });

  it('H: surplus pages with nr_overcommit_hugepages=2', () => {
    const { ok, run, model } = machine({ nr_hugepages: 8 });
    ok('sysctl', { name: 'nr_overcommit_hugepages', value: 2 });
    const o = () => {
      const x = model.observe();
      return [x.HugePages_Total, x.HugePages_Free, x.HugePages_Rsvd, x.HugePages_Surp, x.nr_hugepages];
    };
    ok('mmap', { as: 'a', pages: 10 }); // H1
    expect(o()).toEqual([10, 10, 10, 2, 8]);
    ok('touch', { map: 'a', pages: 10 }); // H2
    expect(o()).toEqual([10, 0, 0, 2, 8]);
    ok('munmap', { map: 'a' }); // H3: surplus pages returned
    expect(o()).toEqual([8, 8, 0, 0, 8]);
    expect(run('mmap', { as: 'b', pages: 11 })).toEqual({ ret: 'errno', errno: 'ENOMEM' });
  });
});

describe('pool resizing and the rest of the ABI', () => {
  it('shrinking below the pages in use makes surplus; growing takes surplus back first', () => {
    const { ok, tuple, model } = machine({ nr_hugepages: 4 });
    ok('mmap', { as: 'a', pages: 2 });
    ok('touch', { map: 'a', pages: 2 });
    expect(tuple()).toEqual([4, 2, 0, 0]);
    // min_count = max(0, resv 0 + in use 2) = 2: two free pages go, the two in use become surplus.
    ok('sysctl', { name: 'nr_hugepages', value: 0 });
    expect(tuple()).toEqual([2, 0, 0, 2]);
    expect(model.observe().nr_hugepages).toBe(0);
    // Growing to 3: both surplus pages become persistent, then one fresh page.
    ok('sysctl', { name: 'nr_hugepages', value: 3 });
    expect(tuple()).toEqual([3, 1, 0, 0]);
    ok('sysctl', { name: 'nr_hugepages', value: 0 });
    expect(tuple()).toEqual([2, 0, 0, 2]);
    ok('munmap', { map: 'a' }); // surplus pages leave as they are freed
    expect(tuple()).toEqual([0, 0, 0, 0]);
  });

  it('shrinking keeps reserved free pages', () => {
    const { ok, tuple } = machine({ nr_hugepages: 4 });
    ok('mmap', { as: 'a', pages: 3 });
    ok('sysctl', { name: 'nr_hugepages', value: 1 }); // min_count = 3
    expect(tuple()).toEqual([3, 3, 3, 2]);
  });

  it('prot r: reservations as for rw, a write touch is SIGSEGV/SEGV_ACCERR, no i_size growth', () => {
    const { ok, run, tuple } = machine({ nr_hugepages: 4 });
    ok('mmap', { as: 'a', pages: 2, prot: 'r' });
    expect(tuple()).toEqual([4, 4, 2, 0]);
    expect(run('touch', { map: 'a' })).toEqual({ ret: 'signal', signal: 'SIGSEGV', si_code: 'SEGV_ACCERR' });
    ok('touch', { map: 'a', write: false });
    expect(tuple()).toEqual([4, 3, 1, 0]);
    ok('mount', { as: 'h' });
    ok('create', { as: 'f', mount: 'h' });
    ok('mmap', { as: 'r', file: 'f', pages: 1, shared: true, prot: 'r' }); // i_size stays 0
    expect(run('touch', { map: 'r', write: false })).toEqual(SIGBUS);
  });

  it('a touch of an unmapped piece is SIGSEGV/SEGV_MAPERR; umount of a busy mount is EBUSY', () => {
    const { ok, run } = machine({ nr_hugepages: 4 });
    ok('mmap', { as: 'a', pages: 2 });
    ok('munmap', { map: 'a', offset: 0, pages: 1 });
    expect(run('touch', { map: 'a' })).toEqual({ ret: 'signal', signal: 'SIGSEGV', si_code: 'SEGV_MAPERR' });
    ok('mount', { as: 'h' });
    ok('create', { as: 'f', mount: 'h' });
    expect(run('umount', { mount: 'h' })).toEqual({ ret: 'errno', errno: 'EBUSY' });
    ok('close', { file: 'f' });
    ok('umount', { mount: 'h' });
  });

  it('mount with min_size > size is EINVAL; unknown ops are unsupported', () => {
    const { run, model } = machine({ nr_hugepages: 4 });
    expect(run('mount', { as: 'h', size: 1, min_size: 2 })).toEqual({ ret: 'errno', errno: 'EINVAL' });
    expect(() => model.step({ op: 'shmget', args: {} })).toThrow(/not modelled/);
  });

  it('observes Hugepagesize from the machine (default 2048 kB)', () => {
    expect(machine({}).model.observe().Hugepagesize).toBe(2048);
    expect(machine({ machine: { Hugepagesize: 1048576 } }).model.observe().Hugepagesize).toBe(1048576);
  });

  it('internal ops: standalone reserve maps answer in value', () => {
    const { ok, run } = machine({});
    ok('resv_map_new', { as: 'r' });
    expect(run('resv_map_regions', { resv: 'r' }).value).toBe('');
    expect(run('region_chg', { resv: 'r', from: 0, to: 2 }).value).toBe(2);
    expect(run('region_add', { resv: 'r', from: 0, to: 2 }).value).toBe(2);
    expect(run('region_chg', { resv: 'r', from: 4, to: 5 }).value).toBe(1);
    expect(run('region_add', { resv: 'r', from: 4, to: 5 }).value).toBe(1);
    expect(run('resv_map_regions', { resv: 'r' }).value).toBe('[0,2) [4,5)');
    expect(run('region_count', { resv: 'r', from: 1, to: 5 }).value).toBe(2);
    expect(run('region_del', { resv: 'r', from: 1, to: 5 }).value).toBe(2);
    expect(run('resv_map_regions', { resv: 'r' }).value).toBe('[0,1)');
  });

  it('internal ops: vma helpers hide the private/shared inversion (1 = no reservation)', () => {
    const { ok, run } = machine({ nr_hugepages: 4 });
    ok('mmap', { as: 'p', pages: 2 });
    expect(run('vma_needs_reservation', { map: 'p', index: 0 }).value).toBe(0); // private, no entry: reserved
    expect(run('vma_end_reservation', { map: 'p', index: 0 }).value).toBe(1);
    ok('touch', { map: 'p', offset: 1 });
    expect(run('vma_needs_reservation', { map: 'p', index: 1 }).value).toBe(1); // consumed
    expect(run('vma_end_reservation', { map: 'p', index: 1 }).value).toBe(1);
    ok('fork', { as: 'c' });
    expect(run('vma_needs_reservation', { map: 'p', index: 0 }, 'c').value).toBe(1); // no map in the child
    ok('mmap', { as: 's', pages: 2, shared: true });
    expect(run('vma_needs_reservation', { map: 's', index: 0 }).value).toBe(0); // shared, entry: reserved
    expect(run('vma_commit_reservation', { map: 's', index: 0 }).value).toBe(0);
  });
});

// The model as each kernel: the behaviour switches (oracle/hugetlb/switches.ts) and the
// machine facts of the kernels they were seen on. Expectations are the real kernels' answers
// (6.18.44 host, Debian 6.1.192, 6.12.118 and 7.2.13 guests), derived by hand beside each step.
describe('kernel behaviour switches', () => {
  const as = (kernel: string, config: HugetlbConfig) => {
    const model = new HugetlbModel(config, { kernel });
    const run = (op: string, args: Record<string, unknown> = {}, proc?: string) => model.step({ op, args, proc });
    const fr = () => [model.observe().HugePages_Free, model.observe().HugePages_Rsvd];
    return { model, run, fr };
  };

  it('documented turns every switch off; a release turns on those whose range holds it', () => {
    expect(as('documented', {}).model.behaviour.enabled).toEqual([]);
    expect(as('6.18.44-fc-v1252', {}).model.behaviour.enabled.sort()).toEqual([
      'failed-fault-keeps-subpool-charge', 'failed-reserve-drops-subpool-reserve', 'restored-reserve-page-freed-as-surplus',
      'unmap-restore-ignores-other-mappers', 'unmap-restores-reserve',
    ]);
    expect(as('6.12.118+deb12-amd64', {}).model.behaviour.enabled).not.toContain('unmap-restore-ignores-other-mappers');
    expect(as('6.1.0-57-amd64', {}).model.behaviour.enabled).not.toContain('unmap-restores-reserve');
  });

  it('truncating a faulted private page restores its reservation from 6.9 on', () => {
    for (const [kernel, rsvd] of [['6.1.0-57-amd64', 1], ['6.12.118+deb12-amd64', 2], ['6.18.44-fc-v1252', 2], ['documented', 1]] as const) {
      const { run, fr } = as(kernel, { nr_hugepages: 4 });
      run('memfd_create', { as: 'f' });
      run('mmap', { as: 'a', pages: 2, file: 'f' }); // (4,2)
      run('touch', { map: 'a', offset: 1 }); // (3,1)
      run('ftruncate', { file: 'f', pages: 1 }); // page 1 freed; restored or not
      expect(fr(), kernel).toEqual([4, rsvd]);
      run('munmap', { map: 'a' }); // the close gives back what the map counts unused
      expect(fr(), kernel).toEqual([4, 0]);
    }
  });

  it("the owner's unmap of a page a child maps: 6.18 gives back one reservation too many, Rsvd is left out below zero", () => {
    for (const [kernel, after] of [['6.18.44-fc-v1252', undefined], ['7.2.13+deb14-amd64', 0]] as const) {
      const { model, run } = as(kernel, { nr_hugepages: 4 });
      run('mmap', { as: 'a', pages: 2 }); // (4,2)
      run('touch', { map: 'a', offset: 0 }); // (3,1)
      run('fork', { as: 'c' });
      run('munmap', { map: 'a' }); // 6.18: 1 - 2 = -1, not shown; 7.2: 1 - 1 = 0
      expect(model.observe().HugePages_Rsvd, kernel).toBe(after);
      run('exit', {}, 'c'); // 6.18: the page restores one: 0
      expect(model.observe().HugePages_Rsvd, kernel).toBe(0);
    }
  });

  it('a new mapping reuses a freed range when it fits with the alignment slack', () => {
    const { run } = as('6.18', { nr_hugepages: 6 });
    run('mmap', { as: 'a', pages: 4, shared: true });
    run('munmap', { map: 'a', offset: 1, pages: 2 }); // a 2-page hole inside a's old range
    run('mmap', { as: 'b', pages: 1, shared: true, prot: 'r' }); // at the hole's top: a's page 2
    expect(run('touch', { map: 'a', offset: 2 })).toEqual({ ret: 'signal', signal: 'SIGSEGV', si_code: 'SEGV_ACCERR' });
    expect(run('touch', { map: 'a', offset: 1 })).toEqual({ ret: 'signal', signal: 'SIGSEGV', si_code: 'SEGV_MAPERR' });
  });

  it('a reservation with no page free is refused even when a count wrapped below zero says none is needed', () => {
    // The Debian 6.1 and 6.12 guests' answers (seed 44044, 30–80 steps). A min_size=1
    // subpool's reserve comes from a surplus page (1,1,1,1); m1 reserves two more (2,2,2,2),
    // m2 finds none to add (ENOMEM); faulting m1 uses its two (2,0,0,2). f2's preallocated
    // page takes the subpool's reserve and frees it twice over: Rsvd wraps to -1 (3,0,-1,3).
    // A 1-page MAP_HUGETLB mapping then needs (-1 + 1) - 0 = 0 new pages, so
    // gather_surplus_pages reserves it (Rsvd 0) without one; but no page is free
    // (allowed_mems_nr 0 < 1): the reservation is given back (-1) and mmap fails with ENOMEM.
    for (const kernel of ['6.1.0-57-amd64', '6.12.118+deb12-amd64']) {
      const { model, run } = as(kernel, { nr_hugepages: 0, nr_overcommit_hugepages: 3 });
      run('mount', { as: 't0', min_size: 1 });
      run('create', { as: 'f1', mount: 't0' });
      run('mmap', { as: 'm1', pages: 2, file: 'f1', shared: true });
      expect(run('mmap', { as: 'm2', pages: 2, file: 'f1' })).toEqual({ ret: 'errno', errno: 'ENOMEM' });
      run('create', { as: 'f2', mount: 't0' });
      run('touch', { map: 'm1', offset: 0, pages: 2 });
      run('fallocate', { file: 'f2', offset: 1, pages: 1, keep_size: true });
      expect(model.h.resv, kernel).toBe(-1);
      expect(run('mmap', { as: 'm6', pages: 1 }), kernel).toEqual({ ret: 'errno', errno: 'ENOMEM' });
      expect(model.h.resv, kernel).toBe(-1);
    }
  });

  it('two NUMA nodes: a page freed on a node without surplus pages stays in the pool', () => {
    // Pool 2 (one page per node), one surplus page gathered on node 0. Faults take node 0's
    // pages first (s1, s2), then node 1's (s3). Freeing s3's page: node 1 has no surplus
    // page, so it joins node 1's free list (3,1,0,1), as the Debian 6.12.118 guest showed
    // when it booted with two nodes; a single node hands it to the buddy allocator (2,0,0,0),
    // as the 6.18 host and the one-node guests do.
    const tuple = (m: HugetlbModel) => {
      const o = m.observe();
      return [o.HugePages_Total, o.HugePages_Free, o.HugePages_Rsvd, o.HugePages_Surp];
    };
    for (const [nodes, after] of [[2, [3, 1, 0, 1]], [1, [2, 0, 0, 0]]] as const) {
      const { model, run } = as('6.12.118+deb12-amd64', { nr_hugepages: 2, nr_overcommit_hugepages: 1, machine: { numa_nodes: nodes } });
      expect(model.observe().numa_nodes).toBe(nodes);
      for (const s of ['s1', 's2', 's3']) run('mmap', { as: s, pages: 1, shared: true }); // (3,3,3,1)
      for (const s of ['s1', 's2', 's3']) run('touch', { map: s }); // (3,0,0,1)
      run('munmap', { map: 's3' });
      expect(tuple(model), `${nodes} nodes`).toEqual(after);
    }
  });
});

describe('names as the probe keeps them (answers of the 6.18 host probe, seed 41041)', () => {
  const refused = (run: () => unknown) => {
    try {
      run();
    } catch (e) {
      return (e as { kind?: string }).kind;
    }
    return 'answered';
  };

  it('a mapping unmapped whole is forgotten: a later step naming it is invalid, in that process only', () => {
    const { model, run, ok } = machine({ nr_hugepages: 6 });
    ok('mmap', { as: 'm0', pages: 2, shared: true, prot: 'r' });
    ok('munmap', { map: 'm0' });
    expect(refused(() => model.step({ op: 'munmap', args: { map: 'm0', offset: 0, pages: 1 } }))).toBe('invalid');
    // offset 0 and every page is the whole mapping too; the parent keeps its name
    ok('mmap', { as: 'm1', pages: 1, shared: true });
    ok('fork', { as: 'c1' });
    ok('munmap', { map: 'm1', offset: 0, pages: 1 }, 'c1');
    expect(refused(() => model.step({ op: 'touch', args: { map: 'm1', write: false }, proc: 'c1' }))).toBe('invalid');
    expect(run('touch', { map: 'm1', write: false }).ret).toBe('ok');
  });

  it("file and mount names are each process's: a child's memfd and its parent's of the same name are two files (host, seed 45045 mutated)", () => {
    const { model, ok } = machine({ nr_hugepages: 2 });
    ok('fork', { as: 'c0' });
    ok('memfd_create', { as: 'f0' }, 'c0');
    ok('memfd_create', { as: 'f0' });
    expect(model.inodes.size).toBe(2);
    expect(refused(() => model.step({ op: 'memfd_create', args: { as: 'f0' } }))).toBe('invalid');
    // So are mount names: the probe mounts each in a directory of its own (seed 46046 mutated).
    ok('mount', { as: 't0', size: 1 });
    ok('mount', { as: 't0', size: 2 }, 'c0');
    expect(refused(() => model.step({ op: 'mount', args: { as: 't0' } }))).toBe('invalid');
    ok('umount', { mount: 't0' }, 'c0');
    ok('create', { as: 'f1', mount: 't0' }); // main's t0 is still mounted
  });

  it('a part unmapped keeps the name', () => {
    const { run, ok } = machine({ nr_hugepages: 6 });
    ok('mmap', { as: 'm0', pages: 3 });
    ok('munmap', { map: 'm0', offset: 1 });
    expect(run('touch', { map: 'm0', offset: 1 })).toEqual({ ret: 'signal', signal: 'SIGSEGV', si_code: 'SEGV_MAPERR' });
  });

  it('a second mapping of the same name is invalid before anything is mapped; an offset without a file is ignored', () => {
    const { model, ok, tuple } = machine({ nr_hugepages: 8 });
    ok('mmap', { as: 'm1', pages: 1, shared: true }); // (8,8,1,0)
    expect(refused(() => model.step({ op: 'mmap', args: { as: 'm1', pages: 1 } }))).toBe('invalid');
    expect(refused(() => model.step({ op: 'mmap', args: { as: 'm1', pages: 0 } }))).toBe('invalid'); // the name before the length
    expect(tuple()).toEqual([8, 8, 1, 0]);
    ok('mmap', { as: 'm2', pages: 1, offset: 3 }); // MAP_HUGETLB with no file: the probe maps at offset 0
    expect(tuple()).toEqual([8, 8, 2, 0]);
  });
});
