/* Generated from the JSON Schemas in spec/ by `npm run gen`. Do not edit. */

/**
 * A count of 4 KiB pages, or an expression evaluated against the latest observation.
 *
 * This interface was referenced by `Overcommit`'s JSON-Schema
 * via the `definition` "Pages".
 */
export type Pages = number | Expr;
/**
 * This interface was referenced by `Overcommit`'s JSON-Schema
 * via the `definition` "Name".
 */
export type Name = string;
/**
 * PROT_READ|PROT_WRITE, PROT_READ, PROT_NONE.
 *
 * This interface was referenced by `Overcommit`'s JSON-Schema
 * via the `definition` "Prot".
 */
export type Prot = 'rw' | 'r' | 'none';
/**
 * This interface was referenced by `Overcommit`'s JSON-Schema
 * via the `definition` "SignedPages".
 */
export type SignedPages = number | Expr;

/**
 * Overcommit accounting (Documentation/mm/overcommit-accounting.rst). Sizes in steps are 4 KiB base pages; observations are in the units /proc shows (kB for meminfo).
 */
export interface Overcommit {
  config?: OvercommitConfig;
  observation?: OvercommitObservation;
  /**
   * Each operation's arguments, by op name.
   */
  ops?: {
    mmap?: MmapArgs;
    munmap?: RangeArgs;
    mprotect?: MprotectArgs;
    mremap?: MremapArgs;
    brk?: BrkArgs;
    touch?: TouchArgs;
    madvise?: MadviseArgs;
    fork?: ForkArgs;
    exit?: NoArgs;
    sysctl?: SysctlArgs;
    vm_enough_memory?: VmEnoughMemoryArgs;
    vm_unacct_memory?: VmUnacctMemoryArgs;
  };
}
/**
 * This interface was referenced by `Overcommit`'s JSON-Schema
 * via the `definition` "OvercommitConfig".
 */
export interface OvercommitConfig {
  overcommit_memory?: 0 | 1 | 2;
  overcommit_ratio?: number;
  /**
   * Wins over the ratio when non-zero.
   */
  overcommit_kbytes?: number;
  /**
   * Default-size huge pages in the pool.
   */
  nr_hugepages?: number;
  /**
   * Left as the kernel set it at boot when absent.
   */
  user_reserve_kbytes?: number;
  /**
   * Left as the kernel set it at boot when absent.
   */
  admin_reserve_kbytes?: number;
  /**
   * Whether the main process holds CAP_SYS_ADMIN; forked children inherit it.
   */
  cap_sys_admin?: boolean;
  machine?: Machine;
}
/**
 * Facts of the machine a model should assume. A real kernel cannot take them and skips the scenario.
 *
 * This interface was referenced by `Overcommit`'s JSON-Schema
 * via the `definition` "Machine".
 */
export interface Machine {
  /**
   * kB of usable RAM (totalram_pages * 4).
   */
  MemTotal?: number;
  /**
   * kB of swap.
   */
  SwapTotal?: number;
  nr_cpus?: number;
  /**
   * kB per default-size huge page.
   */
  Hugepagesize?: number;
  /**
   * kB already committed by the rest of the system when the scenario starts (default 0).
   */
  Committed_AS?: number;
  /**
   * The boot-time vm.user_reserve_kbytes (min(free memory at boot / 32, 128 MiB)); default from MemTotal. config.user_reserve_kbytes, when given, is written over it.
   */
  user_reserve_kbytes?: number;
  /**
   * The boot-time vm.admin_reserve_kbytes (min(free memory at boot / 32, 8 MiB)); default from MemTotal. config.admin_reserve_kbytes, when given, is written over it.
   */
  admin_reserve_kbytes?: number;
  /**
   * Huge pages in the pool when the scenario starts and its config sets none (default 0).
   */
  HugePages_Total?: number;
  /**
   * Huge pages the pool holds for others: reservations nobody can give back, left by earlier runs. The HugePages_ counts and CommitLimit leave them out, as on a machine without them; the limit mode 2 checks in ratio mode still counts them, as it counts every huge page (default 0).
   */
  hugepages_others?: number;
  /**
   * /sys/kernel/mm/transparent_hugepage/enabled. Under always, a read fault where a whole PMD fits the VMA prepares an anon_vma. Default: always for Debian's kernels, madvise otherwise.
   */
  transparent_hugepage?: 'always' | 'madvise' | 'never';
  /**
   * A scenario process's own total_vm in kB before any step (the mode-2 user reserve reads total_vm/32). Default: the probe's (4528 on the host, 3464 in guests; the probe measures it at open and reports it as an observation).
   */
  process_vm_kb?: number;
  /**
   * A scenario process's own VM_ACCOUNT memory in kB: a fork charges a copy of it, not shown in Committed_AS. Default: the probe's (488 on the host, 560 in guests).
   */
  process_accounted_kb?: number;
  /**
   * Of process_accounted_kb, the part at addresses below the scenario's mappings (the program's data and heap): fork charges VMAs in address order, this part first, the rest (libraries, stack) last. Default: the probe's (244 on the host, 428 in guests).
   */
  process_accounted_low_kb?: number;
  /**
   * Of that memory, the heap below the break a scenario's brk steps start from (a brk step can shrink into it). Default: the probe's (0 on the host, 136 in guests).
   */
  process_heap_kb?: number;
  /**
   * Where the scenario process's break is, in kB of address: sbrk refuses to shrink it past address 0 (ENOMEM). Default: the probe's (at a high address on the host, 5280 in guests).
   */
  process_brk_kb?: number;
  /**
   * Where backing: file mappings' files live. tmpfs charges each page as it is allocated (its files are VM_NORESERVE). Default: disk on the host, tmpfs in guests (the initramfs).
   */
  file_backing?: 'disk' | 'tmpfs';
}
/**
 * This interface was referenced by `Overcommit`'s JSON-Schema
 * via the `definition` "OvercommitObservation".
 */
export interface OvercommitObservation {
  /**
   * kB, /proc/meminfo.
   */
  CommitLimit?: number;
  /**
   * kB, /proc/meminfo (exact sum of the per-CPU counter).
   */
  Committed_AS?: number;
  MemTotal?: number;
  SwapTotal?: number;
  HugePages_Total?: number;
  HugePages_Free?: number;
  HugePages_Rsvd?: number;
  HugePages_Surp?: number;
  Hugepagesize?: number;
  overcommit_memory?: number;
  overcommit_ratio?: number;
  overcommit_kbytes?: number;
  user_reserve_kbytes?: number;
  admin_reserve_kbytes?: number;
  /**
   * Internal: pages in the per-CPU counter's global part, what the mode-2 check reads.
   */
  vm_committed_as_count?: number;
  /**
   * Internal: the per-CPU counter's batch, in pages.
   */
  vm_committed_as_batch?: number;
  /**
   * The scenario process's own size (VmSize) when the scenario started, before any step: the machine fact of the same name.
   */
  process_vm_kb?: number;
  /**
   * Its own VM_ACCOUNT memory then (smaps 'ac'): the machine fact of the same name.
   */
  process_accounted_kb?: number;
  /**
   * Of that, the part below its heap's end: the machine fact of the same name.
   */
  process_accounted_low_kb?: number;
  /**
   * Huge pages the pool holds for others: the machine fact of the same name.
   */
  hugepages_others?: number;
}
/**
 * This interface was referenced by `Overcommit`'s JSON-Schema
 * via the `definition` "MmapArgs".
 */
export interface MmapArgs {
  /**
   * Name later steps use for this mapping.
   */
  as: string;
  pages: Pages;
  /**
   * PROT_READ|PROT_WRITE, PROT_READ, PROT_NONE.
   */
  prot?: 'rw' | 'r' | 'none';
  shared?: boolean;
  /**
   * anon: MAP_ANONYMOUS; file: a regular file of that size on a disk file system; zero: /dev/zero; hugetlb: MAP_ANONYMOUS|MAP_HUGETLB (pages a multiple of the huge page).
   */
  backing?: 'anon' | 'file' | 'zero' | 'hugetlb';
  /**
   * MAP_NORESERVE.
   */
  noreserve?: boolean;
}
/**
 * This interface was referenced by `Overcommit`'s JSON-Schema
 * via the `definition` "Expr".
 */
export interface Expr {
  expr: string;
}
/**
 * This interface was referenced by `Overcommit`'s JSON-Schema
 * via the `definition` "RangeArgs".
 */
export interface RangeArgs {
  map: Name;
  /**
   * A count of 4 KiB pages, or an expression evaluated against the latest observation.
   */
  offset?: number | Expr;
  /**
   * A count of 4 KiB pages, or an expression evaluated against the latest observation.
   */
  pages?: number | Expr;
}
/**
 * This interface was referenced by `Overcommit`'s JSON-Schema
 * via the `definition` "MprotectArgs".
 */
export interface MprotectArgs {
  map: Name;
  offset?: Pages;
  pages?: Pages;
  prot: Prot;
}
/**
 * This interface was referenced by `Overcommit`'s JSON-Schema
 * via the `definition` "MremapArgs".
 */
export interface MremapArgs {
  map: Name;
  /**
   * A count of 4 KiB pages, or an expression evaluated against the latest observation.
   */
  pages: number | Expr;
  /**
   * MREMAP_MAYMOVE.
   */
  maymove?: boolean;
}
/**
 * This interface was referenced by `Overcommit`'s JSON-Schema
 * via the `definition` "BrkArgs".
 */
export interface BrkArgs {
  /**
   * Growth (negative: shrink) of the heap, as sbrk takes it.
   */
  pages: number | Expr;
}
/**
 * This interface was referenced by `Overcommit`'s JSON-Schema
 * via the `definition` "TouchArgs".
 */
export interface TouchArgs {
  map: Name;
  offset?: Pages;
  /**
   * A count of 4 KiB pages, or an expression evaluated against the latest observation.
   */
  pages?: number | Expr;
  /**
   * Write fault; false reads.
   */
  write?: boolean;
}
/**
 * This interface was referenced by `Overcommit`'s JSON-Schema
 * via the `definition` "MadviseArgs".
 */
export interface MadviseArgs {
  map: Name;
  offset?: Pages;
  pages?: Pages;
  advice: 'dontfork' | 'dofork';
}
/**
 * This interface was referenced by `Overcommit`'s JSON-Schema
 * via the `definition` "ForkArgs".
 */
export interface ForkArgs {
  /**
   * Name of the child process. The copy of each charged VMA is checked against the parent's total_vm.
   */
  as: string;
}
/**
 * This interface was referenced by `Overcommit`'s JSON-Schema
 * via the `definition` "NoArgs".
 */
export interface NoArgs {}
/**
 * This interface was referenced by `Overcommit`'s JSON-Schema
 * via the `definition` "SysctlArgs".
 */
export interface SysctlArgs {
  name:
    | 'overcommit_memory'
    | 'overcommit_ratio'
    | 'overcommit_kbytes'
    | 'nr_hugepages'
    | 'user_reserve_kbytes'
    | 'admin_reserve_kbytes';
  /**
   * The value written, or an expression over the observation (e.g. a limit a little above Committed_AS).
   */
  value: number | Expr;
}
/**
 * This interface was referenced by `Overcommit`'s JSON-Schema
 * via the `definition` "VmEnoughMemoryArgs".
 */
export interface VmEnoughMemoryArgs {
  pages: Pages;
  cap_sys_admin?: boolean;
  /**
   * The caller's mm->total_vm in pages; absent: no mm (no user reserve).
   */
  total_vm?: number;
  cpu?: number;
}
/**
 * This interface was referenced by `Overcommit`'s JSON-Schema
 * via the `definition` "VmUnacctMemoryArgs".
 */
export interface VmUnacctMemoryArgs {
  pages: Pages;
  cpu?: number;
}
