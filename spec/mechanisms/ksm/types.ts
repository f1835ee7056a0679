/* Generated from the JSON Schemas in spec/ by `npm run gen`. Do not edit. */

/**
 * a name of a mapping or process: lower case, digits, '_' and '-'
 *
 * This interface was referenced by `Ksm`'s JSON-Schema
 * via the `definition` "Name".
 */
export type Name = string;

/**
 * Kernel Samepage Merging (Documentation/mm/ksm.rst and Documentation/admin-guide/mm/ksm.rst): ksmd's scan over the rmap items of every mergeable area, the stable tree of KSM pages with its chains and dups, the unstable tree rebuilt every pass, zero pages, max_page_sharing, smart scan. Sizes and offsets are 4 KiB pages. ksmd runs only inside settle, a whole number of passes, so every observation is deterministic. Internal ops answer in the step result's value: ksm_do_scan the pages scanned; scan_rmap_item and rmap_item_state the page's rmap item: -1 none, 0 in no tree, 1 in the unstable tree, 2 in the stable tree; calc_checksum 1 when the page's checksum equals the one its rmap item keeps; stable_tree_search the rmap items of the KSM page a page of that content would join (0: none it may join); unstable_tree_search 1 when an unstable tree item holds that content; chain_dups the dups of the chain of that content (0: none, or a regular node); stable_tree_nodes the nodes of the stable tree's first dimension.
 */
export interface Ksm {
  config?: KsmConfig;
  observation?: KsmObservation;
  /**
   * Each operation's arguments, by op name.
   */
  ops?: {
    mmap?: MmapArgs;
    fill?: FillArgs;
    write?: WriteArgs;
    read?: RangeArgs;
    madvise?: MadviseArgs;
    munmap?: RangeArgs;
    set_memory_merge?: SetMemoryMergeArgs;
    get_memory_merge?: NoArgs;
    ksm_set?: KsmSetArgs;
    unmerge_all?: NoArgs;
    settle?: SettleArgs;
    fork?: ForkArgs;
    exit?: NoArgs;
    ksm_do_scan?: DoScanArgs;
    scan_rmap_item?: PageArgs;
    rmap_item_state?: PageArgs;
    calc_checksum?: PageArgs;
    stable_tree_search?: ContentArgs;
    unstable_tree_search?: ContentArgs;
    chain_dups?: ContentArgs;
    stable_tree_nodes?: NoArgs;
  };
}
/**
 * The knobs of /sys/kernel/mm/ksm/ a scenario starts with. Every knob not named is set to the kernel's default (the harness's for stable_node_chains_prune_millisecs), after an unmerge of everything (run=2) and with ksmd stopped (run=0): a scenario starts from no KSM state at all.
 *
 * This interface was referenced by `Ksm`'s JSON-Schema
 * via the `definition` "KsmConfig".
 */
export interface KsmConfig {
  /**
   * Most rmap items (virtual pages) one KSM page takes (default 256).
   */
  max_page_sharing?: number;
  /**
   * 1: zero-filled pages are merged with the kernel's zero page (default 0).
   */
  use_zero_pages?: 0 | 1;
  /**
   * 0: one stable and unstable tree per NUMA node (default 1).
   */
  merge_across_nodes?: 0 | 1;
  /**
   * 1: pages that failed to merge are skipped for a growing number of scans (default 1; kernels before 6.7 lack the knob).
   */
  smart_scan?: 0 | 1;
  /**
   * Pages ksmd scans per batch (default 100). A settle scans whole passes whatever the value.
   */
  pages_to_scan?: number;
  /**
   * ksmd's sleep between batches (default 20).
   */
  sleep_millisecs?: number;
  /**
   * How often a stable tree lookup walks a whole chain to prune stale dups. Default here 3600000 (never within a scenario; the kernel's own default, 2000, would make pruning depend on time). 0: at every lookup.
   */
  stable_node_chains_prune_millisecs?: number;
  /**
   * The scan-time advisor resets pages_to_scan (default none; kernels before 6.8 lack the knob).
   */
  advisor_mode?: 'none' | 'scan-time';
  /**
   * Machine facts a model takes: KSM needs none (a real kernel takes only an empty object).
   */
  machine?: {};
}
/**
 * The counters of /sys/kernel/mm/ksm/ (pages; general_profit in bytes), the knobs read back, /proc/vmstat's cow_ksm, each session process's /proc/<pid>/ksm_stat and ksm_merging_pages as '<process>.<field>', and each named mapping's pages from pagemap and kpageflags as '<process>.<mapping>.<field>'. Fields a kernel lacks are absent.
 *
 * This interface was referenced by `Ksm`'s JSON-Schema
 * via the `definition` "KsmObservation".
 */
export interface KsmObservation {
  /**
   * KSM pages in use (stable tree nodes with at least one rmap item)
   */
  pages_shared?: number;
  /**
   * rmap items sharing those pages beyond the first of each
   */
  pages_sharing?: number;
  /**
   * rmap items in the unstable tree
   */
  pages_unshared?: number;
  /**
   * rmap items in neither tree (all rmap items less the three above, never below 0)
   */
  pages_volatile?: number;
  stable_node_chains?: number;
  stable_node_dups?: number;
  /**
   * completed passes of ksmd since the last unmerge (run=2 sets it to 0)
   */
  full_scans?: number;
  /**
   * zero pages KSM mapped that are still mapped (6.5 and later)
   */
  ksm_zero_pages?: number;
  /**
   * bytes: (pages_sharing + ksm_zero_pages) pages less 64 bytes per rmap item (6.4 and later)
   */
  general_profit?: number;
  /**
   * pages ksmd examined, ever (6.7 and later; machine-wide: compared as a change)
   */
  pages_scanned?: number;
  /**
   * pages smart scan skipped, ever (6.7 and later; machine-wide: compared as a change)
   */
  pages_skipped?: number;
  /**
   * /proc/vmstat: copies made on writes to (or unsharing of) a KSM page, ever (machine-wide: compared as a change)
   */
  cow_ksm?: number;
  run?: number;
  max_page_sharing?: number;
  use_zero_pages?: number;
  merge_across_nodes?: number;
  smart_scan?: number;
  pages_to_scan?: number;
  sleep_millisecs?: number;
  stable_node_chains_prune_millisecs?: number;
  advisor_mode?: 'none' | 'scan-time';
}
/**
 * mmap of an anonymous private (or shared) read-write mapping, huge pages kept away (MADV_NOHUGEPAGE). Each new mapping of a process lies above its earlier ones, apart from them: ksmd scans a process's mappings in the order they were made.
 *
 * This interface was referenced by `Ksm`'s JSON-Schema
 * via the `definition` "MmapArgs".
 */
export interface MmapArgs {
  as: Name;
  pages: number | Expr;
  /**
   * MAP_SHARED (default false)
   */
  shared?: boolean;
}
/**
 * This interface was referenced by `Ksm`'s JSON-Schema
 * via the `definition` "Expr".
 */
export interface Expr {
  expr: string;
}
/**
 * Writes every page of the range whole with a content pattern (a write fault, or a copy when the page is shared, a KSM page included).
 *
 * This interface was referenced by `Ksm`'s JSON-Schema
 * via the `definition` "FillArgs".
 */
export interface FillArgs {
  map: Name;
  /**
   * first page of the range (default 0)
   */
  offset?: number | Expr;
  /**
   * pages in the range (default: to the mapping's end)
   */
  pages?: number | Expr;
  /**
   * zero: every byte 0; byte: every byte `value`; unique: bytes 0-7 the big-endian tag value*65536 + (page index in the mapping, modulo `period`), the rest 0x5a.
   */
  pattern: 'zero' | 'byte' | 'unique';
  /**
   * byte: the byte (0-255); unique: the seed (default 0)
   */
  value?: number;
  /**
   * unique: pages repeat their content every `period` pages of the mapping (default: never)
   */
  period?: number;
}
/**
 * Writes one byte, the page's first: the rest of the page keeps its content (a never-written page reads as zeros).
 *
 * This interface was referenced by `Ksm`'s JSON-Schema
 * via the `definition` "WriteArgs".
 */
export interface WriteArgs {
  map: Name;
  offset: number | Expr;
  value: number;
}
/**
 * This interface was referenced by `Ksm`'s JSON-Schema
 * via the `definition` "RangeArgs".
 */
export interface RangeArgs {
  map: Name;
  /**
   * first page of the range (default 0)
   */
  offset?: number | Expr;
  /**
   * pages in the range (default: to the mapping's end)
   */
  pages?: number | Expr;
}
/**
 * This interface was referenced by `Ksm`'s JSON-Schema
 * via the `definition` "MadviseArgs".
 */
export interface MadviseArgs {
  map: Name;
  /**
   * first page of the range (default 0)
   */
  offset?: number | Expr;
  /**
   * pages in the range (default: to the mapping's end)
   */
  pages?: number | Expr;
  /**
   * MADV_MERGEABLE or MADV_UNMERGEABLE
   */
  advice: 'mergeable' | 'unmergeable';
}
/**
 * prctl(PR_SET_MEMORY_MERGE, value): 1 makes every compatible mapping of the process, present and future, mergeable; 0 unmerges them. The harness's own memory is kept out of it.
 *
 * This interface was referenced by `Ksm`'s JSON-Schema
 * via the `definition` "SetMemoryMergeArgs".
 */
export interface SetMemoryMergeArgs {
  value: number;
}
/**
 * This interface was referenced by `Ksm`'s JSON-Schema
 * via the `definition` "NoArgs".
 */
export interface NoArgs {}
/**
 * Writes a knob of /sys/kernel/mm/ksm/. run may be 0, 2 or a value past 2 (ksmd runs only inside settle).
 *
 * This interface was referenced by `Ksm`'s JSON-Schema
 * via the `definition` "KsmSetArgs".
 */
export interface KsmSetArgs {
  name:
    | 'run'
    | 'max_page_sharing'
    | 'use_zero_pages'
    | 'merge_across_nodes'
    | 'smart_scan'
    | 'pages_to_scan'
    | 'sleep_millisecs'
    | 'stable_node_chains_prune_millisecs'
    | 'advisor_mode';
  value: number | string;
}
/**
 * ksmd runs exactly `scans` full passes over every mergeable area, then stops (run=0): the knobs read back as before.
 *
 * This interface was referenced by `Ksm`'s JSON-Schema
 * via the `definition` "SettleArgs".
 */
export interface SettleArgs {
  scans: number;
}
/**
 * This interface was referenced by `Ksm`'s JSON-Schema
 * via the `definition` "ForkArgs".
 */
export interface ForkArgs {
  as: Name;
}
/**
 * ksm_do_scan: ksmd's batch of `pages` rmap items, stopping early at the end of a pass; the value is how many it scanned.
 *
 * This interface was referenced by `Ksm`'s JSON-Schema
 * via the `definition` "DoScanArgs".
 */
export interface DoScanArgs {
  pages: number;
}
/**
 * This interface was referenced by `Ksm`'s JSON-Schema
 * via the `definition` "PageArgs".
 */
export interface PageArgs {
  map: Name;
  offset: number;
}
/**
 * A page content, as fill makes it.
 *
 * This interface was referenced by `Ksm`'s JSON-Schema
 * via the `definition` "ContentArgs".
 */
export interface ContentArgs {
  /**
   * zero: every byte 0; byte: every byte `value`; unique: bytes 0-7 the big-endian tag value*65536 + (page index in the mapping, modulo `period`), the rest 0x5a.
   */
  pattern: 'zero' | 'byte' | 'unique';
  /**
   * as fill's
   */
  value?: number;
  /**
   * unique: the page index the tag is made of (default 0)
   */
  index?: number;
}
