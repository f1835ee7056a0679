// The overcommit policy functions, against numbers a real 6.18 host showed and hand derivations.
import { describe, expect, it } from 'vitest';
import { CommittedAs, computeBatch } from '../../oracle/overcommit/committed-as.ts';
import { OvercommitModel } from '../../oracle/overcommit/model.ts';
import { commitLimitPages, vmEnoughMemory, type Machine, type Sysctls } from '../../oracle/overcommit/policy.ts';

const host: Machine = { MemTotal: 24683656, SwapTotal: 0, nr_cpus: 2, Hugepagesize: 2048 };
const sysctls = (s: Partial<Sysctls> = {}): Sysctls => ({
  overcommit_memory: 0, overcommit_ratio: 50, overcommit_kbytes: 0,
  user_reserve_kbytes: 131072, admin_reserve_kbytes: 8192, ...s,
});

describe('CommitLimit', () => {
  // notes/live-kernel.md §2.4 and seed-digest-A §2.6: /proc/meminfo CommitLimit on the 6.18 host.
  it.each([
    [{ overcommit_ratio: 50 }, 0, 12341828],
    [{ overcommit_ratio: 50 }, 8, 12333636],
    [{ overcommit_ratio: 10 }, 8, 2466724],
    [{ overcommit_ratio: 20 }, 8, 4933452],
    [{ overcommit_kbytes: 2097152, overcommit_ratio: 0 }, 8, 2097152],
  ])('host %o with %i huge pages → %i kB', (s, huge, kb) => {
    expect(commitLimitPages(sysctls(s), host, huge) * 4).toBe(kb);
  });

  it('adds swap, and kbytes wins over the ratio (O3: 2 GiB + 1 GiB swap = 3 GiB)', () => {
    const m = { ...host, SwapTotal: 1048576 };
    expect(commitLimitPages(sysctls({ overcommit_kbytes: 2097152 }), m, 0) * 4).toBe(3145728);
  });

  it('leaves the hugetlb pool out (O4: 16 GiB RAM, 2 GiB of huge pages, 50% → 7 GiB)', () => {
    const m = { ...host, MemTotal: 16 * 1048576 };
    expect(commitLimitPages(sysctls(), m, 1024) * 4).toBe(7 * 1048576);
  });
});

describe('__vm_enough_memory in mode 2 (O8, O9)', () => {
  // CommitLimit 1,000,000 pages (kbytes 4,000,000); admin reserve 2048 pages; user reserve
  // min(total_vm/32 = 10,000, 32,768) = 10,000; 900,000 pages already committed.
  const s = sysctls({ overcommit_memory: 2, overcommit_kbytes: 4_000_000, overcommit_ratio: 0 });
  const setup = () => {
    const c = new CommittedAs(2, host.MemTotal / 4, 2);
    c.add(900_000);
    return c;
  };
  const ask = (c: CommittedAs, pages: number, capSysAdmin: boolean) =>
    vmEnoughMemory(pages, { capSysAdmin, totalVm: 320_000, cpu: 0 }, s, host, c, 0);

  it('non-root: allowed 987,952, so 87,951 pages fit and 87,952 do not', () => {
    expect(ask(setup(), 87_951, false)).toBe(true);
    const c = setup();
    expect(ask(c, 87_952, false)).toBe(false);
    expect(c.sum()).toBe(900_000); // a refusal undoes the charge
  });

  it('CAP_SYS_ADMIN skips the admin reserve: 89,999 fit, 90,000 do not', () => {
    expect(ask(setup(), 89_999, true)).toBe(true);
    expect(ask(setup(), 90_000, true)).toBe(false);
  });

  it("counts the huge pages the pool holds for others, which CommitLimit as shown leaves out (the 6.18 host's 2)", () => {
    // Ratio 100 on the host: CommitLimit shows 6,170,914 pages (the pool net of others' pages,
    // as on a clean machine). The kernel's limit leaves out every huge page: 2 * 512 pages
    // fewer, 6,169,890. Root, user reserve 32,768: allowed 6,137,122. With 6,000,000 committed,
    // 137,121 pages fit and 137,122 do not. The 6.18 host, with its 2, refused a shared mapping
    // of the room CommitLimit shows less the user reserve less 1,024 pages and took one 1,025
    // pages smaller.
    const ratio = sysctls({ overcommit_memory: 2, overcommit_ratio: 100 });
    const others = { ...host, hugepages_others: 2 };
    expect(commitLimitPages(ratio, others, 0)).toBe(6_170_914);
    const at = (pages: number) => {
      const c = new CommittedAs(2, host.MemTotal / 4, 2);
      c.add(6_000_000);
      return vmEnoughMemory(pages, { capSysAdmin: true, totalVm: 6_000_000, cpu: 0 }, ratio, others, c, 0);
    };
    expect(at(137_121)).toBe(true);
    expect(at(137_122)).toBe(false);
    // Without others' pages the same request fits: the limit is 1,024 pages higher.
    const c = new CommittedAs(2, host.MemTotal / 4, 2);
    c.add(6_000_000);
    expect(vmEnoughMemory(137_122, { capSysAdmin: true, totalVm: 6_000_000, cpu: 0 }, ratio, host, c, 0)).toBe(true);
  });
});

describe('the per-CPU commit counter', () => {
  it('sizes its batch as mm_compute_batch does (host: 6,170,914 pages on 2 CPUs)', () => {
    expect(computeBatch(6_170_914, 2, 2)).toBe(12_052); // /2/256
    expect(computeBatch(6_170_914, 2, 0)).toBe(771_364); // /2/4
    expect(computeBatch(1000, 2, 2)).toBe(32); // floor of max(2*cpus, 32)
  });

  it('folds a CPU delta into the global count only at the batch', () => {
    const c = new CommittedAs(2, 262_144, 2); // batch 512
    c.add(511);
    expect([c.read(), c.sum()]).toEqual([0, 511]);
    c.add(1);
    expect([c.read(), c.sum()]).toEqual([512, 512]);
    c.add(10, 1);
    c.setMode(2); // entering mode 2 folds every CPU
    expect(c.read()).toBe(522);
  });
});

describe('fork charges the heap as one VMA', () => {
  // Found by mmspec fuzz (seed 16016) on Debian 6.1.0-57 in a QEMU guest: mode 2, ratio 1,
  // MemTotal 981,476 kB (CommitLimit 9,812 kB = 2,453 pages), Committed_AS 4,792 kB at the
  // start, user reserve 30,117 kB; the guest's kernel answered ENOMEM to the second fork.
  // By hand, 2 CPUs, batch 245,369 / 2 / 256 = 479 pages; the static probe's own memory:
  // 140 pages accounted, 107 of them below the mappings, 34 of those its heap. Two brk steps
  // (204 + 168 = 372 pages) grow that heap: one VMA of 406 pages.
  //   fork c0: 73 (data, bss) → CPU delta 372 + 73 = 445; 406 (heap) → 851 ≥ 479, folds:
  //            global 1,198 + 851 = 2,049; the other 33 → delta 33.
  //   fork c1 (in c0): 73 → delta 106; 406 → 512 ≥ 479, folds: global 2,561, at or above
  //            the 2,453 − min(1,238 / 32, 7,529) = 2,415 allowed: ENOMEM.
  // Charged as two pieces (107, then the 372 brk grew) the fold comes earlier and the check
  // sees 2,189: the fork would pass.
  it('so a fork near the mode-2 limit is refused where the kernel refuses it', () => {
    const m = new OvercommitModel(
      { overcommit_memory: 2, overcommit_ratio: 1, machine: { MemTotal: 981476, SwapTotal: 0, Committed_AS: 4792, user_reserve_kbytes: 30117 } },
      { kernel: '6.1.0-57-amd64' },
    );
    expect(m.step({ op: 'brk', args: { pages: 204 } }).ret).toBe('ok');
    expect(m.step({ op: 'brk', args: { pages: 168 } }).ret).toBe('ok');
    expect(m.step({ op: 'fork', args: { as: 'c0' } }).ret).toBe('ok');
    expect(m.observe().Committed_AS).toBe(7768); // as the guest showed
    expect(m.step({ op: 'fork', args: { as: 'c1' }, proc: 'c0' })).toEqual({ ret: 'errno', errno: 'ENOMEM' });
  });
});

describe('the address space', () => {
  // Mode 1 "always overcommit" (overcommit-accounting.rst): a mapping of 8 TiB, larger than the
  // 4 TiB the model first looks in, must still be made, and smaller ones after it too (x86-64
  // gives a process 128 TiB).
  it('holds mappings of terabytes in mode 1', () => {
    const m = new OvercommitModel({ overcommit_memory: 1 }, { kernel: '6.18' });
    const start = m.observe().Committed_AS as number;
    expect(m.step({ op: 'mmap', args: { as: 'huge', pages: 2 ** 31 } })).toEqual({ ret: 'ok' });
    expect(m.step({ op: 'mmap', args: { as: 'small', pages: 16 } })).toEqual({ ret: 'ok' });
    expect(m.step({ op: 'touch', args: { map: 'huge', offset: 2 ** 31 - 1 } })).toEqual({ ret: 'ok' });
    expect((m.observe().Committed_AS as number) - start).toBe((2 ** 31 + 16) * 4);
  });
});
