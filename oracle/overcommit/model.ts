// The overcommit model: a machine (sysctls, per-CPU commit counter, hugetlb pool) and
// processes whose mappings are charged as the kernel charges them.
//
// Each op follows the kernel's own order of checks, so that a refused or partly done call
// leaves what the kernel leaves: mprotect and madvise work VMA by VMA and stop (or carry on)
// at a hole, munmap and exit give a whole range back at once, fork charges the child VMA by
// VMA. Hugetlb mappings are the hugetlb model's: this one keeps their place in the address
// space and hands their reservations, faults and pool to it.
import type {
  BrkArgs, ForkArgs, MadviseArgs, MmapArgs, MprotectArgs, MremapArgs, OvercommitConfig,
  RangeArgs, SysctlArgs, TouchArgs, VmEnoughMemoryArgs, VmUnacctMemoryArgs,
} from '../../spec/mechanisms/overcommit/types.ts';
import type { Observation, StepRequest } from '../../spec/types/protocol.ts';
import { ImplError } from '../core/errors.ts';
import { namedRange } from '../core/named.ts';
import { dispatch, errno, OK, signal, type Concrete, type MechanismModel, type ModelContext, type Outcome } from '../core/model.ts';
import { HugetlbModel } from '../hugetlb/model.ts';
import { CommittedAs } from './committed-as.ts';
import { isAnonymous, Mm, newAnonVma, newObject, PMD_PAGES, type MemObject, type Vma } from './mm.ts';
import { commitLimitPages, PAGE_KB, vmEnoughMemory, type Caller, type Machine, type Sysctls } from './policy.ts';
import { Behaviour } from '../core/switches.ts';
import { machineDefaults, OVERCOMMIT_SWITCHES } from './switches.ts';

/** Machine a scenario gets when it names none. */
export const DEFAULT_MACHINE: Machine = { MemTotal: 4194304, SwapTotal: 0, nr_cpus: 2, Hugepagesize: 2048 };


const SEGV_MAPERR = signal('SIGSEGV', 'SEGV_MAPERR');
const SEGV_ACCERR = signal('SIGSEGV', 'SEGV_ACCERR');
const SIGBUS = signal('SIGBUS', 'BUS_ADRERR');

export class OvercommitModel implements MechanismModel {
  readonly machine: Machine;
  readonly sysctl: Sysctls;
  readonly committed: CommittedAs;
  readonly procs = new Map<string, Mm>();
  readonly capSysAdmin: boolean;
  /** The hugetlb pool and every MAP_HUGETLB mapping's reservations and pages. */
  readonly huge: HugetlbModel;
  readonly behaviour: Behaviour;
  /** Pages the processes' own runtime memory holds charged: in the counter, not in what is shown. */
  private hidden = 0;
  /** Whether any hugetlb mapping was ever made (until then no step needs to look for one). */
  private hugeMapped = false;

  constructor(config: OvercommitConfig, ctx: ModelContext) {
    this.behaviour = new Behaviour(OVERCOMMIT_SWITCHES, ctx);
    this.machine = { ...DEFAULT_MACHINE, ...machineDefaults(ctx.kernel), ...config.machine };
    const m = this.machine;
    // Boot-time reserves: 1/32 of free memory, capped at 128 MiB and 8 MiB.
    this.sysctl = {
      overcommit_memory: config.overcommit_memory ?? 0,
      overcommit_ratio: config.overcommit_kbytes ? 0 : (config.overcommit_ratio ?? 50),
      overcommit_kbytes: config.overcommit_kbytes ?? 0,
      user_reserve_kbytes: config.user_reserve_kbytes ?? m.user_reserve_kbytes ?? Math.min(Math.floor(m.MemTotal / 32), 131072),
      admin_reserve_kbytes: config.admin_reserve_kbytes ?? m.admin_reserve_kbytes ?? Math.min(Math.floor(m.MemTotal / 32), 8192),
    };
    this.capSysAdmin = config.cap_sys_admin ?? true;
    this.huge = new HugetlbModel(
      { nr_hugepages: config.nr_hugepages ?? m.HugePages_Total ?? 0, machine: { Hugepagesize: m.Hugepagesize } },
      ctx,
    );
    this.committed = new CommittedAs(m.nr_cpus, m.MemTotal / PAGE_KB, this.sysctl.overcommit_memory, this.behaviour);
    this.committed.count = Math.floor((m.Committed_AS ?? 0) / PAGE_KB);
    const main = new Mm();
    main.copiesAnonVma = () => this.behaviour.on('merge-copies-anon-vma');
    this.procs.set('main', main);
  }

  /** Base pages per huge page. */
  get hpage(): number {
    return this.machine.Hugepagesize / PAGE_KB;
  }

  /** Built after every step: one object, fields written in place, nothing spread or made on the way. */
  observe(): Observation {
    const s = this.sysctl;
    const m = this.machine;
    const h = this.huge.h;
    const o: Observation = {
      CommitLimit: commitLimitPages(s, m, h.nr) * PAGE_KB,
      Committed_AS: Math.max(0, this.committed.sum() - this.hidden) * PAGE_KB,
      MemTotal: m.MemTotal,
      SwapTotal: m.SwapTotal,
      HugePages_Total: h.nr,
      HugePages_Free: h.free,
      HugePages_Rsvd: h.resv,
      HugePages_Surp: h.surplus,
      Hugepagesize: m.Hugepagesize,
      overcommit_memory: s.overcommit_memory,
      overcommit_ratio: s.overcommit_ratio,
      overcommit_kbytes: s.overcommit_kbytes,
      user_reserve_kbytes: s.user_reserve_kbytes,
      admin_reserve_kbytes: s.admin_reserve_kbytes,
      vm_committed_as_count: this.committed.count,
      vm_committed_as_batch: this.committed.batch,
    };
    // The process facts a real kernel's probe measures at open, as this machine has them. Added
    // only when known: a field that is sometimes undefined in the literal sent V8 into a loop
    // of deoptimizations once machines of both kinds had been seen (a third of the speed).
    if (m.process_vm_kb !== undefined) o.process_vm_kb = m.process_vm_kb;
    if (m.process_accounted_kb !== undefined) o.process_accounted_kb = m.process_accounted_kb;
    if (m.process_accounted_low_kb !== undefined) o.process_accounted_low_kb = m.process_accounted_low_kb;
    o.hugepages_others = m.hugepages_others ?? 0;
    // No reservation count below zero, as the hugetlb model shows none (the kernel's wraps).
    if (h.resv < 0) delete o.HugePages_Rsvd;
    return o;
  }

  step(req: StepRequest): Outcome {
    return dispatch(this, 'overcommit', this.ops, this.procs, req);
  }

  // ---- charging

  /**
   * security_vm_enough_memory_mm: charge with the admission check of the given process.
   * extraVm: address space the process holds at that moment beyond its VMAs here (mmap's
   * check runs while the probe's PROT_NONE reservation it maps over is still counted).
   */
  protected charge(mm: Mm, pages: number, extraVm = 0): boolean {
    if (pages === 0) return true;
    const caller = this.caller(mm);
    caller.totalVm! += extraVm;
    return vmEnoughMemory(pages, caller, this.sysctl, this.machine, this.committed, this.totalHugePages());
  }
  /** vm_unacct_memory. */
  protected uncharge(pages: number): void {
    if (pages) this.committed.add(-pages);
  }
  protected caller(mm: Mm | null, cpu = 0): Caller {
    return { capSysAdmin: this.capSysAdmin, totalVm: mm ? this.totalVm(mm) : null, cpu };
  }
  /** mm->total_vm: the scenario's VMAs and the process's own. */
  protected totalVm(mm: Mm): number {
    return mm.totalVm() + this.pages(this.machine.process_vm_kb) - this.ownHeapFreed(mm);
  }
  /** The process's own VM_ACCOUNT memory: what a fork charges again and an exit gives back. */
  protected ownAccounted(mm: Mm): number {
    return this.pages(this.machine.process_accounted_kb) - this.ownHeapFreed(mm);
  }
  /** Pages of the process's own heap (below where brk steps started) a brk step gave back. */
  protected ownHeapFreed(mm: Mm): number {
    return Math.max(0, mm.brkStart - mm.brk);
  }
  protected pages(kb = 0): number {
    return Math.round(kb / PAGE_KB);
  }
  protected totalHugePages(): number {
    return this.huge.h.nr; // HugePages_Total
  }

  protected mapping(mm: Mm, name: string, offset?: number, pages?: number): [number, number] {
    return namedRange(mm.maps, name, offset, pages);
  }

  /** A hugetlb VMA's mapping in the hugetlb model, and the huge page offset of page in it. */
  protected hugeAt(v: Vma, page: number): [string, number] {
    if (!v.huge) throw new ImplError('internal', 'a hugetlb VMA without its mapping');
    return [v.huge.name, Math.floor((page - v.huge.base) / this.hpage)];
  }

  /** A range split inside a hugetlb VMA off a huge page boundary: EINVAL (hugetlb_vm_op_split). */
  protected splitsHugePage(mm: Mm, start: number, end: number): boolean {
    // Only the VMAs holding start or end can be split there; none can before the first hugetlb mapping.
    if (!this.hugeMapped) return false;
    return this.splitsHugeVma(mm.find(start), start, end) || this.splitsHugeVma(mm.find(end), start, end);
  }

  private splitsHugeVma(v: Vma | undefined, start: number, end: number): boolean {
    return v !== undefined && v.backing === 'hugetlb' && (this.offHugePage(start, v) || this.offHugePage(end, v));
  }

  /** Whether page lies inside v off a huge page boundary. */
  private offHugePage(page: number, v: Vma): boolean {
    return page > v.start && page < v.end && (page - v.start) % this.hpage !== 0;
  }

  /** Unmaps [start, end): the VMAs there go, their charge back at once (vm_unacct_memory once). */
  protected unmapRange(mm: Mm, proc: string, start: number, end: number): void {
    let pages = 0;
    for (const v of mm.isolate(start, end)) {
      if (v.account) pages += v.end - v.start;
      this.dropVma(mm, proc, v);
    }
    this.uncharge(pages);
  }

  /** A VMA leaves the address space: its object loses a user, a hugetlb VMA goes in the hugetlb model too. */
  protected dropVma(mm: Mm, proc: string, v: Vma): void {
    if (v.backing === 'hugetlb') {
      const [name, offset] = this.hugeAt(v, v.start);
      this.huge.step({ op: 'munmap', args: { map: name, offset, pages: (v.end - v.start) / this.hpage }, proc });
    }
    if (v.obj) {
      v.obj.refs--;
      this.release(v.obj);
    }
    mm.remove(v);
  }

  /** An object nothing maps or holds open any more goes, and gives back what it was charged. */
  protected release(o: MemObject): number {
    if (o.refs > 0 || o.fds > 0 || !o.charged) return 0;
    const pages = o.charged;
    o.charged = 0;
    this.uncharge(pages);
    return pages;
  }

  /**
   * The probe forgets a mapping: its name, and the file it held open for it. It closes the
   * file after it has measured the munmap, so what the file gives back then is never seen.
   */
  protected forget(mm: Mm, name: string): void {
    mm.maps.delete(name);
    const o = mm.files.get(name);
    if (!o) return;
    mm.files.delete(name);
    o.fds--;
    this.hidden -= this.release(o);
  }

  private readonly ops = {
    mmap(this: OvercommitModel, mm: Mm, a: Concrete<MmapArgs>, proc: string): Outcome {
      const prot = a.prot ?? 'rw';
      const shared = a.shared ?? false;
      const backing = a.backing ?? 'anon';
      if (mm.maps.has(a.as)) throw new ImplError('invalid', `mapping '${a.as}' already exists in this process`);
      if (a.pages === 0) return errno('EINVAL');
      // MAP_NORESERVE is ignored in mode 2, except by hugetlb, which always honours it.
      const noreserve = (a.noreserve ?? false) && (this.sysctl.overcommit_memory !== 2 || backing === 'hugetlb');
      // While the charge is checked, the process holds the probe's PROT_NONE reservation: its
      // guards, and (on kernels that unmap it only afterwards) the part the mapping replaces.
      const reservation = 2 * PMD_PAGES + (this.behaviour.on('map-fixed-counts-replaced') ? a.pages : 0);
      const v: Vma = {
        start: 0, end: a.pages, pgoff: 0, role: 'map', prot, shared, backing,
        account: false, noreserve, dontcopy: false, anonVma: 0, forked: false, obj: null,
      };
      if (backing === 'hugetlb') {
        // The length is rounded up to whole huge pages; reservations are the pool's business.
        const huge = Math.ceil(a.pages / this.hpage);
        const r = this.huge.step({
          op: 'mmap', args: { as: a.as, pages: huge, shared, noreserve, prot: prot === 'rw' ? 'rw' : 'r' }, proc,
        });
        if (r.ret !== 'ok') return r;
        this.hugeMapped = true;
        v.end = huge * this.hpage;
        mm.placeMapping(v, { guards: false, guardNoreserve: false, thpAlign: false });
        v.huge = { name: a.as, base: v.start };
        mm.maps.set(a.as, { start: v.start, pages: a.pages });
        return OK;
      }
      // A regular file of the mapping's size (on tmpfs, each page is charged as it is allocated).
      if (backing === 'file') v.obj = newObject('file', a.pages, this.machine.file_backing === 'tmpfs', 1);
      else if (backing === 'zero' && !shared) v.obj = newObject('zero', Infinity, false);
      if (!shared && !noreserve && prot === 'rw') {
        // accountable_mapping: private, writable, not NORESERVE.
        if (!this.charge(mm, a.pages, reservation)) return errno('ENOMEM');
        v.account = true;
      } else if (shared && backing !== 'file') {
        // shmem_zero_setup: the object is charged its whole size unless NORESERVE, whatever prot.
        if (!noreserve && !this.charge(mm, a.pages, reservation)) return errno('ENOMEM');
        v.obj = newObject('shmem', a.pages, noreserve);
        if (!noreserve) v.obj.charged = a.pages;
      }
      // The probe's guards are MAP_NORESERVE, which mode 2 ignores.
      mm.placeMapping(v, {
        guards: true,
        guardNoreserve: this.sysctl.overcommit_memory !== 2,
        // The reservation is whole PMDs only when the mapping is.
        thpAlign: a.pages % PMD_PAGES === 0 && this.behaviour.on('thp-aligned-placement'),
      });
      mm.maps.set(a.as, { start: v.start, pages: a.pages });
      if (v.obj?.kind === 'file') mm.files.set(a.as, v.obj);
      return OK;
    },

    munmap(this: OvercommitModel, mm: Mm, a: Concrete<RangeArgs>, proc: string): Outcome {
      const [start, end] = this.mapping(mm, a.map, a.offset, a.pages);
      if (start === end) return errno('EINVAL');
      if (this.splitsHugePage(mm, start, end)) return errno('EINVAL');
      this.unmapRange(mm, proc, start, end);
      // The probe forgets a mapping unmapped whole.
      if (start === mm.maps.get(a.map)!.start && end - start === mm.maps.get(a.map)!.pages) this.forget(mm, a.map);
      return OK;
    },

    mprotect(this: OvercommitModel, mm: Mm, a: Concrete<MprotectArgs>, proc: string): Outcome {
      const [start, end] = this.mapping(mm, a.map, a.offset, a.pages);
      if (start === end) return OK;
      const first = mm.findFrom(start);
      if (!first || first.start > start) return errno('ENOMEM');
      let at = first.start;
      for (const v of mm.overlapping(start, end)) {
        if (v.start !== at) return errno('ENOMEM'); // a hole: what came before stays changed
        const from = Math.max(start, v.start);
        const to = Math.min(end, v.end);
        at = to;
        if (v.prot === a.prot) continue;
        const pages = to - from;
        const wasAccount = v.account;
        let account = v.account;
        if (a.prot === 'rw') {
          // Gaining write permission charges a private VMA not charged yet.
          if (!v.account && v.prot !== 'rw' && v.backing !== 'hugetlb' && !v.shared && !v.noreserve) {
            if (!this.charge(mm, pages)) return errno('ENOMEM');
            account = true;
          }
        } else if (v.account && isAnonymous(v) && !v.anonVma && this.behaviour.on('mprotect-unaccounts-unfaulted')) {
          account = false;
        }
        if (v.backing === 'hugetlb') {
          if (this.splitsHugePage(mm, from, to)) return errno('EINVAL');
          const [name, first] = this.hugeAt(v, from);
          this.huge.setVmaFlags(proc, name, first, first + (to - from) / this.hpage, { writable: a.prot === 'rw' });
        }
        for (const piece of mm.isolate(from, to)) {
          piece.prot = a.prot;
          piece.account = account;
        }
        if (wasAccount && !account) this.uncharge(pages);
        mm.settle(from, to);
      }
      return at < end ? errno('ENOMEM') : OK;
    },

    mremap(this: OvercommitModel, mm: Mm, a: Concrete<MremapArgs>, proc: string): Outcome {
      const m = mm.maps.get(a.map);
      if (!m) throw new ImplError('invalid', `no mapping '${a.map}'`);
      if (a.pages === 0) return errno('EINVAL');
      const v = mm.find(m.start);
      if (!v) return errno('EFAULT');
      let oldPages = m.pages;
      let newPages = a.pages;
      if (v.backing === 'hugetlb') {
        // Lengths round up to huge pages; hugetlb mappings never grow.
        oldPages = Math.ceil(oldPages / this.hpage) * this.hpage;
        newPages = Math.ceil(newPages / this.hpage) * this.hpage;
        if ((m.start - v.start) % this.hpage || newPages > oldPages) return errno('EINVAL');
      }
      if (newPages === oldPages) {
        m.pages = a.pages;
        return OK;
      }
      if (newPages < oldPages) {
        // Shrinking always works in place: it unmaps the tail, across VMAs and holes alike.
        const [from, to] = [m.start + newPages, m.start + oldPages];
        if (this.splitsHugePage(mm, from, to)) return errno('EINVAL');
        this.unmapRange(mm, proc, from, to);
        m.pages = a.pages;
        return OK;
      }
      const delta = newPages - oldPages;
      // Growing: the old range must lie in one VMA.
      if (v.end - m.start < oldPages) return errno('EFAULT');
      if (v.end === m.start + oldPages && mm.roomAfter(v) >= delta) {
        if (v.account && !this.charge(mm, delta)) return errno('ENOMEM');
        mm.resize(v, v.end + delta);
        mm.settle(v.start, v.end);
        m.pages = newPages;
        return OK;
      }
      if (!(a.maymove ?? true)) return errno('ENOMEM');
      // move_vma: the grown copy is charged the difference; the old range goes uncharged.
      if (v.account && !this.charge(mm, delta)) return errno('ENOMEM');
      const [piece] = mm.isolate(m.start, m.start + oldPages);
      const o = piece!.obj;
      const anon = o === null && !piece!.shared && newPages % PMD_PAGES === 0;
      const file = newPages >= PMD_PAGES && ((o?.kind === 'zero' && !piece!.shared) || (o?.kind === 'file' && !o.noreserve));
      mm.placeMoved(piece!, newPages, {
        anon: anon && this.behaviour.on('thp-aligned-placement'),
        file: file && this.behaviour.on('thp-aligned-file-placement'),
      });
      m.start = piece!.start;
      m.pages = newPages;
      return OK;
    },

    brk(this: OvercommitModel, mm: Mm, a: Concrete<BrkArgs>): Outcome {
      const to = mm.brk + a.pages;
      if (a.pages > 0) {
        if (!this.charge(mm, a.pages)) return errno('ENOMEM');
        const from = Math.max(mm.brk, mm.brkStart);
        if (to > from) {
          mm.insert({
            start: from, end: to, pgoff: from, role: 'heap', prot: 'rw', shared: false, backing: 'anon',
            account: true, noreserve: false, dontcopy: false, anonVma: 0, forked: false, obj: null,
          });
          mm.settle(from - 1, to);
        }
      } else if (a.pages < 0) {
        // sbrk refuses to go below address 0; below the heap's start the kernel keeps the
        // break, and sbrk sees no error. Above it, the heap shrinks: the scenario's part, then
        // what the C library took at start.
        const at = this.pages(this.machine.process_brk_kb ?? 2 ** 50) + (mm.brk - mm.brkStart);
        if (-a.pages > at) return errno('ENOMEM');
        if (to < mm.brkStart - this.pages(this.machine.process_heap_kb)) return OK;
        let pages = Math.max(0, Math.min(mm.brk, mm.brkStart) - to);
        if (mm.brk > mm.brkStart) {
          for (const v of mm.isolate(Math.max(to, mm.brkStart), mm.brk)) {
            pages += v.end - v.start;
            mm.remove(v);
          }
        }
        this.uncharge(pages);
      }
      mm.brk = to;
      return OK;
    },

    touch(this: OvercommitModel, mm: Mm, a: Concrete<TouchArgs>, proc: string): Outcome {
      const [start, end] = this.mapping(mm, a.map, a.offset, a.pages ?? 1);
      const write = a.write ?? true;
      for (let page = start; page < end; page++) {
        const v = mm.find(page);
        if (!v) return SEGV_MAPERR;
        if (v.prot === 'none' || (write && v.prot !== 'rw')) return SEGV_ACCERR;
        if (v.backing === 'hugetlb') {
          // One fault per huge page; the probe's touches of its other base pages find it mapped.
          const [name, idx] = this.hugeAt(v, page);
          const r = this.huge.step({ op: 'touch', args: { map: name, offset: idx, pages: 1, write }, proc });
          if (r.ret !== 'ok') return r;
          page = v.huge!.base + (idx + 1) * this.hpage - 1;
          continue;
        }
        const r = this.fault(mm, v, page, write);
        if (r) return r;
      }
      return OK;
    },

    madvise(this: OvercommitModel, mm: Mm, a: Concrete<MadviseArgs>, proc: string): Outcome {
      const [start, end] = this.mapping(mm, a.map, a.offset, a.pages);
      if (start === end) return OK;
      let hole = false;
      let at = start;
      for (const v of mm.overlapping(start, end)) {
        if (v.start > at) hole = true;
        const from = Math.max(start, v.start);
        const to = Math.min(end, v.end);
        at = to;
        const dontcopy = a.advice === 'dontfork';
        if (!dontcopy && v.backing === 'hugetlb' && this.behaviour.on('dofork-refuses-special')) return errno('EINVAL');
        if (v.dontcopy === dontcopy) continue;
        if (v.backing === 'hugetlb') {
          if (this.splitsHugePage(mm, from, to)) return errno('EINVAL');
          const [name, first] = this.hugeAt(v, from);
          this.huge.setVmaFlags(proc, name, first, first + (to - from) / this.hpage, { dontcopy });
        }
        for (const piece of mm.isolate(from, to)) piece.dontcopy = dontcopy;
        mm.settle(from, to);
      }
      return hole || at < end ? errno('ENOMEM') : OK;
    },

    fork(this: OvercommitModel, mm: Mm, a: Concrete<ForkArgs>, proc: string): Outcome {
      if (this.procs.has(a.as)) throw new ImplError('invalid', `process '${a.as}' exists already`);
      // dup_mmap charges the child's copy of each VM_ACCOUNT VMA in address order, the
      // process's own memory included (its data and heap below the scenario's mappings, its
      // libraries' data and stack above), each checked against the parent's mm; one refusal
      // undoes the fork. The order decides where the per-CPU count spills into the global one.
      const own = this.ownAccounted(mm);
      const low = Math.min(own, Math.max(0, this.pages(this.machine.process_accounted_low_kb ?? this.machine.process_accounted_kb) - this.ownHeapFreed(mm)));
      const accounted = mm.vmas().filter((v) => !v.dontcopy && v.account);
      const copies = accounted.map((v) => v.end - v.start);
      // The heap brk steps grew extends the one the C library took at start: one VMA, one
      // charge (where the charge folds into the global count depends on the pieces).
      const heap = Math.min(low, Math.max(0, this.pages(this.machine.process_heap_kb) - this.ownHeapFreed(mm)));
      const pieces = heap && accounted[0]?.role === 'heap' && accounted[0].start === mm.brkStart
        ? [low - heap, heap + copies[0]!, ...copies.slice(1), own - low]
        : [low, ...copies, own - low];
      let charged = 0;
      for (const pages of pieces) {
        if (!this.charge(mm, pages)) {
          this.uncharge(charged);
          return errno('ENOMEM');
        }
        charged += pages;
      }
      this.hidden += own;
      this.procs.set(a.as, mm.copy());
      this.huge.step({ op: 'fork', args: { as: a.as }, proc });
      return OK;
    },

    exit(this: OvercommitModel, mm: Mm, _a: unknown, proc: string): Outcome {
      if (proc === 'main') throw new ImplError('invalid', 'the main process cannot exit; exit a forked child');
      // exit_mmap gives back everything at once: the scenario's memory and the process's own.
      const own = this.ownAccounted(mm);
      let pages = own;
      const objects = new Set<MemObject>();
      for (const v of mm.vmas()) {
        if (v.account) pages += v.end - v.start;
        if (v.obj) {
          v.obj.refs--;
          objects.add(v.obj);
        }
      }
      mm.clear();
      for (const o of mm.files.values()) {
        o.fds--;
        objects.add(o);
      }
      mm.files.clear();
      this.hidden -= own;
      this.uncharge(pages);
      for (const o of objects) this.release(o);
      this.huge.step({ op: 'exit', args: {}, proc });
      this.procs.delete(proc);
      return OK;
    },

    sysctl(this: OvercommitModel, _mm: Mm, a: Concrete<SysctlArgs>): Outcome {
      const s = this.sysctl;
      switch (a.name) {
        case 'overcommit_memory':
          if (a.value > 2) return errno('EINVAL');
          s.overcommit_memory = a.value as 0 | 1 | 2;
          this.committed.setMode(s.overcommit_memory);
          break;
        case 'overcommit_ratio': // the two ways of sizing the limit exclude each other
          s.overcommit_ratio = a.value;
          s.overcommit_kbytes = 0;
          break;
        case 'overcommit_kbytes':
          s.overcommit_kbytes = a.value;
          s.overcommit_ratio = 0;
          break;
        case 'nr_hugepages':
          return this.huge.step({ op: 'sysctl', args: { name: 'nr_hugepages', value: a.value } });
        default:
          s[a.name] = a.value;
      }
      return OK;
    },

    vm_enough_memory(this: OvercommitModel, _mm: Mm, a: Concrete<VmEnoughMemoryArgs>): Outcome {
      const caller: Caller = { capSysAdmin: a.cap_sys_admin ?? true, totalVm: a.total_vm ?? null, cpu: this.cpu(a.cpu) };
      return vmEnoughMemory(a.pages, caller, this.sysctl, this.machine, this.committed, this.totalHugePages()) ? OK : errno('ENOMEM');
    },

    vm_unacct_memory(this: OvercommitModel, _mm: Mm, a: Concrete<VmUnacctMemoryArgs>): Outcome {
      this.committed.add(-a.pages, this.cpu(a.cpu));
      return OK;
    },
  };

  /** A fault on one base page of a non-hugetlb VMA: SIGBUS past the object's end, else null. */
  protected fault(mm: Mm, v: Vma, page: number, write: boolean): Outcome | null {
    const o = v.obj;
    const index = v.pgoff + (page - v.start);
    if (o && index >= o.pages) return SIGBUS;
    if (o && o.kind !== 'zero' && o.noreserve && !o.allocated.has(index)) {
      // shmem and tmpfs allocate on read as well as write (a private mapping's write copies the
      // file's page); a NORESERVE object pays per page, and a refused page is SIGBUS.
      if (!this.charge(mm, 1)) return SIGBUS;
      o.allocated.add(index);
      o.charged++;
    }
    if (o?.kind === 'shmem') return null;
    if (v.shared) return null;
    if (write) {
      v.anonVma ||= newAnonVma(); // an anonymous page (or COW copy) needs the anon_vma
    } else if (isAnonymous(v) && this.machine.transparent_hugepage === 'always') {
      // A read fault where a whole PMD fits the VMA takes the THP path, which prepares the
      // anon_vma before it maps the huge zero page.
      const pmd = Math.floor(page / PMD_PAGES) * PMD_PAGES;
      if (pmd >= v.start && pmd + PMD_PAGES <= v.end) v.anonVma ||= newAnonVma();
    }
    return null;
  }

  protected cpu(cpu = 0): number {
    if (cpu >= this.machine.nr_cpus) throw new ImplError('invalid', `cpu ${cpu} does not exist (nr_cpus ${this.machine.nr_cpus})`);
    return cpu;
  }
}
