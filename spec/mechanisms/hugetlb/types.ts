/* Generated from the JSON Schemas in spec/ by `npm run gen`. Do not edit. */

/**
 * This interface was referenced by `Hugetlb`'s JSON-Schema
 * via the `definition` "Name".
 */
export type Name = string;
/**
 * A count or index of huge pages (of the default size), or an expression.
 *
 * This interface was referenced by `Hugetlb`'s JSON-Schema
 * via the `definition` "HugePages".
 */
export type HugePages = number | Expr;

/**
 * Hugetlbfs reservations (Documentation/mm/hugetlbfs_reserv.rst). Sizes, offsets and indices in steps are huge pages of the default size; observations are /proc/meminfo's HugePages_* counts. Internal ops answer in the step result's value (a number, or for resv_map_regions a string like '[0,2) [4,5)').
 */
export interface Hugetlb {
  config?: HugetlbConfig;
  observation?: HugetlbObservation;
  /**
   * Each operation's arguments, by op name.
   */
  ops?: {
    sysctl?: SysctlArgs;
    mount?: MountArgs;
    umount?: UmountArgs;
    create?: CreateArgs;
    memfd_create?: MemfdCreateArgs;
    close?: FileArgs;
    unlink?: FileArgs;
    ftruncate?: FtruncateArgs;
    fallocate?: FallocateArgs;
    mmap?: MmapArgs;
    munmap?: RangeArgs;
    touch?: TouchArgs;
    fork?: ForkArgs;
    exit?: NoArgs;
    statfs?: StatfsArgs;
    resv_map_new?: ResvMapNewArgs;
    region_chg?: RegionArgs;
    region_add?: RegionArgs;
    region_abort?: RegionArgs;
    region_del?: RegionArgs;
    region_count?: RegionArgs;
    resv_map_regions?: ResvArgs;
    vma_needs_reservation?: VmaResvArgs;
    vma_commit_reservation?: VmaResvArgs;
    vma_end_reservation?: VmaResvArgs;
    vma_add_reservation?: VmaResvArgs;
    subpool_new?: SubpoolNewArgs;
    hugepage_subpool_get_pages?: SubpoolPagesArgs;
    hugepage_subpool_put_pages?: SubpoolPagesArgs;
    hugetlb_acct_memory?: AcctArgs;
  };
}
/**
 * This interface was referenced by `Hugetlb`'s JSON-Schema
 * via the `definition` "HugetlbConfig".
 */
export interface HugetlbConfig {
  /**
   * Persistent pool size (vm.nr_hugepages).
   */
  nr_hugepages?: number;
  /**
   * Surplus limit (vm.nr_overcommit_hugepages).
   */
  nr_overcommit_hugepages?: number;
  machine?: {
    /**
     * kB per default-size huge page (default 2048).
     */
    Hugepagesize?: number;
    /**
     * NUMA nodes with memory: the pool's pages are spread over them, new pages go round-robin and surplus pages are freed from nodes that have both surplus and free pages (so which page goes can depend on the node). Default 1; a real kernel's probe reports its own as an observation.
     */
    numa_nodes?: number;
  };
  /**
   * The scenario leaves state behind that no step can undo (a leaked reservation): real kernels run it only in a disposable guest (qemu:) and skip it on the host.
   */
  needs_disposable_machine?: boolean;
}
/**
 * This interface was referenced by `Hugetlb`'s JSON-Schema
 * via the `definition` "HugetlbObservation".
 */
export interface HugetlbObservation {
  HugePages_Total?: number;
  HugePages_Free?: number;
  HugePages_Rsvd?: number;
  HugePages_Surp?: number;
  /**
   * kB
   */
  Hugepagesize?: number;
  nr_hugepages?: number;
  nr_overcommit_hugepages?: number;
  /**
   * NUMA nodes with memory (/sys/devices/system/node/has_memory): the machine fact of the same name.
   */
  numa_nodes?: number;
}
/**
 * This interface was referenced by `Hugetlb`'s JSON-Schema
 * via the `definition` "SysctlArgs".
 */
export interface SysctlArgs {
  name: 'nr_hugepages' | 'nr_overcommit_hugepages';
  value: number;
}
/**
 * This interface was referenced by `Hugetlb`'s JSON-Schema
 * via the `definition` "MountArgs".
 */
export interface MountArgs {
  as: Name;
  /**
   * size= option in huge pages (the subpool's max)
   */
  size?: number | Expr;
  /**
   * min_size= option in huge pages (reserved at mount time)
   */
  min_size?: number | Expr;
}
/**
 * This interface was referenced by `Hugetlb`'s JSON-Schema
 * via the `definition` "Expr".
 */
export interface Expr {
  expr: string;
}
/**
 * This interface was referenced by `Hugetlb`'s JSON-Schema
 * via the `definition` "UmountArgs".
 */
export interface UmountArgs {
  mount: Name;
}
/**
 * This interface was referenced by `Hugetlb`'s JSON-Schema
 * via the `definition` "CreateArgs".
 */
export interface CreateArgs {
  as: Name;
  mount: Name;
}
/**
 * This interface was referenced by `Hugetlb`'s JSON-Schema
 * via the `definition` "MemfdCreateArgs".
 */
export interface MemfdCreateArgs {
  as: Name;
}
/**
 * This interface was referenced by `Hugetlb`'s JSON-Schema
 * via the `definition` "FileArgs".
 */
export interface FileArgs {
  file: Name;
}
/**
 * This interface was referenced by `Hugetlb`'s JSON-Schema
 * via the `definition` "FtruncateArgs".
 */
export interface FtruncateArgs {
  file: Name;
  pages: HugePages;
}
/**
 * This interface was referenced by `Hugetlb`'s JSON-Schema
 * via the `definition` "FallocateArgs".
 */
export interface FallocateArgs {
  file: Name;
  offset?: HugePages;
  pages: HugePages;
  /**
   * FALLOC_FL_PUNCH_HOLE|FALLOC_FL_KEEP_SIZE
   */
  punch_hole?: boolean;
  /**
   * FALLOC_FL_KEEP_SIZE (implied by punch_hole)
   */
  keep_size?: boolean;
}
/**
 * This interface was referenced by `Hugetlb`'s JSON-Schema
 * via the `definition` "MmapArgs".
 */
export interface MmapArgs {
  as: Name;
  pages: HugePages;
  /**
   * A file made by create or memfd_create; absent: anonymous MAP_HUGETLB.
   */
  file?: string;
  /**
   * A count or index of huge pages (of the default size), or an expression.
   */
  offset?: number | Expr;
  shared?: boolean;
  noreserve?: boolean;
  prot?: 'rw' | 'r';
}
/**
 * This interface was referenced by `Hugetlb`'s JSON-Schema
 * via the `definition` "RangeArgs".
 */
export interface RangeArgs {
  map: Name;
  offset?: HugePages;
  /**
   * A count or index of huge pages (of the default size), or an expression.
   */
  pages?: number | Expr;
}
/**
 * This interface was referenced by `Hugetlb`'s JSON-Schema
 * via the `definition` "TouchArgs".
 */
export interface TouchArgs {
  map: Name;
  offset?: HugePages;
  /**
   * A count or index of huge pages (of the default size), or an expression.
   */
  pages?: number | Expr;
  write?: boolean;
}
/**
 * This interface was referenced by `Hugetlb`'s JSON-Schema
 * via the `definition` "ForkArgs".
 */
export interface ForkArgs {
  as: Name;
}
/**
 * This interface was referenced by `Hugetlb`'s JSON-Schema
 * via the `definition` "NoArgs".
 */
export interface NoArgs {}
/**
 * This interface was referenced by `Hugetlb`'s JSON-Schema
 * via the `definition` "StatfsArgs".
 */
export interface StatfsArgs {
  mount: Name;
}
/**
 * This interface was referenced by `Hugetlb`'s JSON-Schema
 * via the `definition` "ResvMapNewArgs".
 */
export interface ResvMapNewArgs {
  as: Name;
}
/**
 * This interface was referenced by `Hugetlb`'s JSON-Schema
 * via the `definition` "RegionArgs".
 */
export interface RegionArgs {
  resv: Name;
  from: number;
  to: number;
}
/**
 * This interface was referenced by `Hugetlb`'s JSON-Schema
 * via the `definition` "ResvArgs".
 */
export interface ResvArgs {
  resv: Name;
}
/**
 * This interface was referenced by `Hugetlb`'s JSON-Schema
 * via the `definition` "VmaResvArgs".
 */
export interface VmaResvArgs {
  map: Name;
  /**
   * Huge-page index within the mapping.
   */
  index: number;
}
/**
 * This interface was referenced by `Hugetlb`'s JSON-Schema
 * via the `definition` "SubpoolNewArgs".
 */
export interface SubpoolNewArgs {
  as: Name;
  max?: number;
  min?: number;
}
/**
 * This interface was referenced by `Hugetlb`'s JSON-Schema
 * via the `definition` "SubpoolPagesArgs".
 */
export interface SubpoolPagesArgs {
  subpool: Name;
  delta: number;
}
/**
 * This interface was referenced by `Hugetlb`'s JSON-Schema
 * via the `definition` "AcctArgs".
 */
export interface AcctArgs {
  delta: number;
}
