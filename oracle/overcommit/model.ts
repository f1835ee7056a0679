// The overcommit model: a machine (sysctls, per-CPU commit counter, hugetlb pool) and
// processes whose mappings are charged as the kernel charges them.
import type {
  BrkArgs, ForkArgs, MadviseArgs, MmapArgs, MprotectArgs, MremapArgs, OvercommitConfig,
  Prot, RangeArgs, SysctlArgs, TouchArgs, VmEnoughMemoryArgs, VmUnacctMemoryArgs,
} from '../../spec/types/overcommit.ts';
import type { Observation, StepRequest } from '../../spec/types/protocol.ts';
import { ImplError } from '../../tools/impl/types.ts';
import { namedRange } from '../named.ts';
import { inRange } from '../../tools/core/kernel-version.ts';
import { errno, OK, signal, type MechanismModel, type ModelContext, type Outcome } from '../model.ts';
import { CommittedAs } from './committed-as.ts';
import { Mm, type Vma } from './mm.ts';
import { commitLimitPages, PAGE_KB, vmEnoughMemory, type Caller, type Machine, type Sysctls } from './policy.ts';

/** Machine a scenario gets when it names none. */
export const DEFAULT_MACHINE: Machine = { MemTotal: 4194304, SwapTotal: 0, nr_cpus: 2, Hugepagesize: 2048 };

type Concrete<T> = { [K in keyof T]: Exclude<T[K], { expr: string }> };

export class OvercommitModel implements MechanismModel {
  readonly machine: Machine;
  readonly sysctl: Sysctls;
  readonly committed: CommittedAs;
  readonly procs = new Map<string, Mm>();
  readonly capSysAdmin: boolean;
  /** Huge pages held by hugetlb mappings. */
  hugeInUse = 0;
  /** Since 6.7 a never-faulted anonymous VMA gives its charge back when it loses write permission. */
  readonly unaccountUnfaulted: boolean;

  constructor(config: OvercommitConfig, ctx: ModelContext) {
    this.machine = { ...DEFAULT_MACHINE, ...config.machine };
    const m = this.machine;
    // Boot-time reserves: 1/32 of free memory, capped at 128 MiB and 8 MiB.
    this.sysctl = {
      overcommit_memory: config.overcommit_memory ?? 0,
      overcommit_ratio: config.overcommit_kbytes ? 0 : (config.overcommit_ratio ?? 50),
      overcommit_kbytes: config.overcommit_kbytes ?? 0,
      nr_hugepages: config.nr_hugepages ?? 0,
      user_reserve_kbytes: config.user_reserve_kbytes ?? Math.min(Math.floor(m.MemTotal / 32), 131072),
      admin_reserve_kbytes: config.admin_reserve_kbytes ?? Math.min(Math.floor(m.MemTotal / 32), 8192),
    };
    this.capSysAdmin = config.cap_sys_admin ?? true;
    this.committed = new CommittedAs(m.nr_cpus, m.MemTotal / PAGE_KB, this.sysctl.overcommit_memory);
    this.committed.count = Math.floor((m.Committed_AS ?? 0) / PAGE_KB);
    this.unaccountUnfaulted = inRange(ctx.kernel, '>=6.7');
    this.procs.set('main', new Mm());
  }

  get hugePagesTotal(): number {
    return Math.max(this.sysctl.nr_hugepages, this.hugeInUse);
  }
  get hugePageSize(): number {
    return this.machine.Hugepagesize / PAGE_KB;
  }

  observe(): Observation {
    const s = this.sysctl;
    return {
      CommitLimit: commitLimitPages(s, this.machine, this.hugePagesTotal) * PAGE_KB,
      Committed_AS: this.committed.sum() * PAGE_KB,
      MemTotal: this.machine.MemTotal,
      SwapTotal: this.machine.SwapTotal,
      HugePages_Total: this.hugePagesTotal,
      Hugepagesize: this.machine.Hugepagesize,
      overcommit_memory: s.overcommit_memory,
      overcommit_ratio: s.overcommit_ratio,
      overcommit_kbytes: s.overcommit_kbytes,
      user_reserve_kbytes: s.user_reserve_kbytes,
      admin_reserve_kbytes: s.admin_reserve_kbytes,
      vm_committed_as_count: this.committed.count,
      vm_committed_as_batch: this.committed.batch,
    };
  }

  step({ op, args, proc = 'main' }: StepRequest): Outcome {
    const handler = (this.ops as Record<string, ((mm: Mm, a: never, proc: string) => Outcome) | undefined>)[op];
    if (!handler) throw new ImplError('unsupported', `overcommit op '${op}' is not modelled`);
    const mm = this.procs.get(proc);
    if (!mm) throw new ImplError('invalid', `no process '${proc}' (have: ${[...this.procs.keys()].join(', ')})`);
    return handler.call(this, mm, args as never, proc);
  }

  /** Charge with the admission check of the given process. */
  private charge(mm: Mm, pages: number): boolean {
    if (pages === 0) return true;
    return vmEnoughMemory(pages, this.caller(mm), this.sysctl, this.machine, this.committed, this.hugePagesTotal);
  }
  private uncharge(pages: number): void {
    if (pages) this.committed.add(-pages);
  }
  private caller(mm: Mm | null, cpu = 0): Caller {
    return { capSysAdmin: this.capSysAdmin, totalVm: mm ? mm.totalVm() : null, cpu };
  }

  private mapping(mm: Mm, name: string, offset?: number, pages?: number): [number, number] {
    return namedRange(mm.maps, name, offset, pages);
  }

  /** Drops a VMA and gives back what it holds. */
  private unmapVma(mm: Mm, v: Vma): void {
    const pages = v.end - v.start;
    if (v.account) this.uncharge(pages);
    if (v.backing === 'hugetlb') this.hugeInUse -= pages / this.hugePageSize;
    if (v.shmem && --v.shmem.refs === 0) this.uncharge(v.shmem.charged);
    mm.remove(v);
  }

  private readonly ops = {
    mmap(this: OvercommitModel, mm: Mm, a: Concrete<MmapArgs>): Outcome {
      const prot = a.prot ?? 'rw';
      const shared = a.shared ?? false;
      const backing = a.backing ?? 'anon';
      let pages = a.pages;
      if (pages === 0) return errno('EINVAL');
      if (backing === 'hugetlb') {
        // The length is rounded up to whole huge pages, which must be free in the pool.
        const huge = Math.ceil(pages / this.hugePageSize);
        if (huge > this.sysctl.nr_hugepages - this.hugeInUse) return errno('ENOMEM');
        this.hugeInUse += huge;
        pages = huge * this.hugePageSize;
      }
      // MAP_NORESERVE is ignored in mode 2.
      const noreserve = (a.noreserve ?? false) && this.sysctl.overcommit_memory !== 2;
      const vma: Vma = {
        start: mm.place(pages), end: 0, prot, shared, backing,
        account: false, noreserve, dontcopy: false, anonVma: false, pgoff: 0,
      };
      vma.end = vma.start + pages;
      if (backing !== 'hugetlb' && !shared && !noreserve && prot === 'rw') {
        // accountable_mapping: private, writable, not NORESERVE.
        if (!this.charge(mm, pages)) return errno('ENOMEM');
        vma.account = true;
      } else if (shared && (backing === 'anon' || backing === 'zero')) {
        // shmem_zero_setup: the object is charged its whole size unless NORESERVE, whatever prot.
        if (!noreserve && !this.charge(mm, pages)) return errno('ENOMEM');
        vma.shmem = { pages, noreserve, charged: noreserve ? 0 : pages, allocated: new Set(), refs: 1 };
      }
      mm.insert(vma);
      mm.maps.set(a.as, { start: vma.start, pages });
      return OK;
    },

    munmap(this: OvercommitModel, mm: Mm, a: Concrete<RangeArgs>): Outcome {
      const [start, end] = this.mapping(mm, a.map, a.offset, a.pages);
      if (start === end) return errno('EINVAL');
      for (const v of mm.isolate(start, end)) this.unmapVma(mm, v);
      return OK;
    },

    mprotect(this: OvercommitModel, mm: Mm, a: Concrete<MprotectArgs>): Outcome {
      const [start, end] = this.mapping(mm, a.map, a.offset, a.pages);
      for (const v of mm.isolate(start, end)) {
        const pages = v.end - v.start;
        if (a.prot === 'rw') {
          // Gaining write permission charges a private VMA not yet charged.
          const chargeable = !v.account && v.prot !== 'rw' && v.backing !== 'hugetlb' && !v.shared && !v.noreserve;
          if (chargeable) {
            if (!this.charge(mm, pages)) return errno('ENOMEM');
            v.account = true;
          }
        } else if (v.account && this.unaccountUnfaulted && isAnonymous(v) && !v.anonVma) {
          v.account = false;
          this.uncharge(pages);
        }
        v.prot = a.prot;
      }
      return OK;
    },

    mremap(this: OvercommitModel, mm: Mm, a: Concrete<MremapArgs>): Outcome {
      const m = mm.maps.get(a.map);
      if (!m) throw new ImplError('invalid', `no mapping '${a.map}'`);
      const v = mm.find(m.start);
      // The old range must be one VMA.
      if (!v || v.start !== m.start || v.end !== m.start + m.pages) return errno('EFAULT');
      if (a.pages === 0) return errno('EINVAL');
      const delta = a.pages - m.pages;
      if (delta < 0) {
        for (const t of mm.isolate(v.start + a.pages, v.end)) this.unmapVma(mm, t);
      } else if (delta > 0) {
        if (v.backing === 'hugetlb') return errno('EINVAL');
        // Only a VMA that carries VM_ACCOUNT is charged for its growth; a shmem object keeps its size.
        if (v.account && !this.charge(mm, delta)) return errno('ENOMEM');
        v.end += delta;
      }
      m.pages = a.pages;
      return OK;
    },

    brk(this: OvercommitModel, mm: Mm, a: Concrete<BrkArgs>): Outcome {
      if (a.pages > 0) {
        if (!this.charge(mm, a.pages)) return errno('ENOMEM');
        mm.insert({
          start: mm.brk, end: mm.brk + a.pages, prot: 'rw', shared: false, backing: 'anon',
          account: true, noreserve: false, dontcopy: false, anonVma: false, pgoff: 0,
        });
        mm.brk += a.pages;
      } else if (a.pages < 0) {
        if (mm.brk + a.pages < mm.brkStart) return errno('ENOMEM');
        for (const v of mm.isolate(mm.brk + a.pages, mm.brk)) this.unmapVma(mm, v);
        mm.brk += a.pages;
      }
      return OK;
    },

    touch(this: OvercommitModel, mm: Mm, a: Concrete<TouchArgs>): Outcome {
      const [start, end] = this.mapping(mm, a.map, a.offset, a.pages ?? 1);
      const write = a.write ?? true;
      for (let page = start; page < end; page++) {
        const v = mm.find(page);
        if (!v) return signal('SIGSEGV', 'SEGV_MAPERR');
        if (v.prot === 'none' || (write && v.prot !== 'rw')) return signal('SIGSEGV', 'SEGV_ACCERR');
        const sh = v.shmem;
        if (sh) {
          const index = v.pgoff + (page - v.start);
          if (index >= sh.pages) return signal('SIGBUS', 'BUS_ADRERR');
          // shmem allocates on read as well as write; a NORESERVE object pays per page.
          if (sh.noreserve && !sh.allocated.has(index)) {
            if (!this.charge(mm, 1)) return signal('SIGBUS', 'BUS_ADRERR');
            sh.allocated.add(index);
            sh.charged++;
          }
        } else if (write && !v.shared) {
          v.anonVma = true; // an anonymous page (or COW copy) needs the anon_vma
        }
      }
      return OK;
    },

    madvise(this: OvercommitModel, mm: Mm, a: Concrete<MadviseArgs>): Outcome {
      const [start, end] = this.mapping(mm, a.map, a.offset, a.pages);
      for (const v of mm.isolate(start, end)) v.dontcopy = a.advice === 'dontfork';
      return OK;
    },

    fork(this: OvercommitModel, mm: Mm, a: Concrete<ForkArgs>): Outcome {
      if (this.procs.has(a.as)) throw new ImplError('invalid', `process '${a.as}' exists already`);
      const child = mm.copy();
      // dup_mmap charges the child for each VM_ACCOUNT VMA, checked against the parent's mm.
      let charged = 0;
      for (const v of child.vmas) {
        if (!v.account) continue;
        if (!this.charge(mm, v.end - v.start)) {
          this.uncharge(charged);
          for (const c of child.vmas) if (c.shmem) c.shmem.refs--;
          return errno('ENOMEM');
        }
        charged += v.end - v.start;
      }
      for (const v of child.vmas) if (v.backing === 'hugetlb') this.hugeInUse += (v.end - v.start) / this.hugePageSize;
      this.procs.set(a.as, child);
      return OK;
    },

    exit(this: OvercommitModel, mm: Mm, _a: unknown, proc: string): Outcome {
      if (proc === 'main') throw new ImplError('invalid', "the main process cannot exit; exit a forked child");
      for (const v of [...mm.vmas]) this.unmapVma(mm, v);
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
        default:
          s[a.name] = a.value;
      }
      return OK;
    },

    vm_enough_memory(this: OvercommitModel, _mm: Mm, a: Concrete<VmEnoughMemoryArgs>): Outcome {
      const caller: Caller = { capSysAdmin: a.cap_sys_admin ?? true, totalVm: a.total_vm ?? null, cpu: this.cpu(a.cpu) };
      return vmEnoughMemory(a.pages, caller, this.sysctl, this.machine, this.committed, this.hugePagesTotal)
        ? OK
        : errno('ENOMEM');
    },

    vm_unacct_memory(this: OvercommitModel, _mm: Mm, a: Concrete<VmUnacctMemoryArgs>): Outcome {
      this.committed.add(-a.pages, this.cpu(a.cpu));
      return OK;
    },
  };

  private cpu(cpu = 0): number {
    if (cpu >= this.machine.nr_cpus) throw new ImplError('invalid', `cpu ${cpu} does not exist (nr_cpus ${this.machine.nr_cpus})`);
    return cpu;
  }
}

/** vma_is_anonymous: no file behind it (private /dev/zero mappings become anonymous). */
function isAnonymous(v: Vma): boolean {
  return !v.shared && (v.backing === 'anon' || v.backing === 'zero');
}

export type { Prot };
