// How kernel releases depart from the documents (mm/ksm.rst and the 6.12 admin guide), as
// switches of the model. Most are what an older kernel lacks (a knob, a counter, a field of
// ksm_stat); two are the order and the dup choice of the older lookup.
import type { KernelSwitch } from '../core/switches.ts';

export const KSM_SWITCHES: KernelSwitch[] = [
  {
    name: 'stable-search-before-checksum',
    kernels: '<6.11',
    summary:
      'ksmd looks a page up in the stable tree before it checks that its checksum is unchanged: a new page identical to a KSM page with room joins it at its first visit, and a zero page joins a KSM page of zeros before use_zero_pages is considered; later kernels check the checksum first, so every page waits one pass',
    evidence: [
      'mm/ksm.c cmp_and_merge_page: stable_tree_search before calc_checksum in 6.1.176, after it (and after try_to_merge_with_zero_page) in 6.12.107 and 7.1.8 (upstream series "mm/ksm: cmp_and_merge_page() optimizations and cleanup", 6.11)',
      'recorded: ksm.scan.new-page-joins-ksm-page-* on Debian 6.1 against the 6.12 and 6.18 kernels (fixtures/kernels/*/ksm.json)',
    ],
  },
  {
    name: 'chain-dups-candidates-only',
    kernels: '<6.11',
    summary:
      "a chain's lookup considers only dups with room; a full chain gives no dup and the lookup compares against its first one; a chain collapses to a regular node only while pruning, and an empty chain is freed when a lookup takes a dup from it. Later kernels return the best dup even when full, collapse a chain whose last dup remains, and free an empty chain at once",
    evidence: [
      'mm/ksm.c stable_node_dup and stable_node_dup_any in 6.1.176; stable_node_dup rewritten, stable_node_dup_any gone in 6.12.107 (upstream "mm/ksm: optimize the chain()/chain_prune() interfaces", 6.11)',
    ],
  },
  {
    name: 'no-smart-scan',
    kernels: '<6.7',
    summary: 'no smart_scan knob and no pages_skipped or pages_scanned counters: ksmd looks at every page at every pass',
    evidence: ['mm/ksm.c 6.1.176 has no should_skip_rmap_item and no smart_scan attribute; 6.12.107 has both (upstream "mm/ksm: add smart page scanning", 6.7)'],
  },
  {
    name: 'no-ksm-zero-pages',
    kernels: '<6.5',
    summary:
      'zero pages KSM maps (use_zero_pages) are not counted: no ksm_zero_pages in sysfs or ksm_stat; MADV_UNMERGEABLE and run=2 leave them mapped; general_profit leaves them out',
    evidence: [
      'include/linux/ksm.h 6.1.176 has no ksm_map_zero_page and mm/ksm.c no ksm_zero_pages attribute; 6.12.107 counts and unshares them (upstream "ksm: support unsharing KSM-placed zero pages" and "ksm: count all zero pages placed by KSM", 6.5)',
      'recorded: the 6.1 guest has no /sys/kernel/mm/ksm/ksm_zero_pages (fixtures/kernels/6.1.0-57-amd64/ksm.json reports none)',
    ],
  },
  {
    name: 'no-general-profit',
    kernels: '<6.4',
    summary: 'no general_profit counter, no ksm_process_profit in ksm_stat, and no PR_SET_MEMORY_MERGE (EINVAL)',
    evidence: ['mm/ksm.c 6.1.176: no general_profit attribute; kernel/sys.c has no PR_SET_MEMORY_MERGE before 6.4 (upstream "mm: add new api to enable ksm per process", 6.4)'],
  },
  {
    name: 'no-ksm-stat-merge-flags',
    kernels: '<6.14',
    summary: '/proc/<pid>/ksm_stat has no ksm_merge_any and ksm_mergeable lines',
    evidence: ['fs/proc/base.c proc_pid_ksm_stat: the two lines come with upstream 3ab76c767bc7 ("ksm: add ksm involvement information for each process", January 2025); absent on the 6.12 guest'],
  },
  {
    name: 'kpageflags-ksm-every-anon-page',
    kernels: '>=6.9 <6.16',
    summary:
      '/proc/kpageflags reports KPF_KSM for every anonymous page, not only KSM pages: a mapping\'s ksm, ksm_pages and sharing count all its anonymous pages (the instrument, not KSM, departs from pagemap.rst)',
    evidence: [
      'probe on the Debian 6.12.118 guest: 100 freshly written private pages read as 100 KSM pages of one mapping each before any pass; the 6.18 host reads 0',
      'fs/proc/page.c stable_page_flags tests mapping & PAGE_MAPPING_KSM since its folio rewrite ("proc: rewrite stable_page_flags()", 6.9); upstream fix "fs/proc: fix KPF_KSM reported for all anonymous pages" (2025)',
    ],
  },
  {
    name: 'fork-copies-ksm-counters',
    kernels: '<6.6',
    summary:
      "a forked child's ksm_rmap_items and ksm_merging_pages (ksm_stat, /proc/<pid>/ksm_merging_pages) start as copies of its parent's instead of 0 (releases 6.6 to 6.17 before the stable backport do the same)",
    evidence: [
      'recorded by mmspec fuzz on the Debian 6.1 guest: a child forked after one pass over one page shows ksm_rmap_items 1 with no rmap item of its own',
      'include/linux/ksm.h ksm_fork: no reset in 6.1.176; the reset in 6.12.107 and 7.1.8 (upstream "mm/ksm: fix incorrect KSM counter handling in mm_struct during fork", 2025, stable 6.6+)',
    ],
  },
  {
    name: 'vma-anon-merge-either-way',
    kernels: '>=6.16',
    summary:
      "a VMA with an anon_vma of its own joins a neighbour that has none when their flags come to match (the neighbour takes the anon_vma): fork then copies the neighbour's zero-page mappings too. Earlier kernels join only the other way round (this is VMA merging, not KSM, but it decides what a forked child maps)",
    evidence: [
      'recorded by mmspec fuzz on the 6.18 host: after MADV_MERGEABLE over a mapping split into a read-only part and a written part, a forked child maps all 10 pages, not 8',
      'mm/vma.c is_mergeable_anon_vma: 6.12.107 refuses a target without an anon_vma (its chain is not singular); 7.1.8 dups the source\'s anon_vma into it unless the source is a fork child. The first release with the change lies between 6.13 and 6.18',
    ],
  },
  {
    name: 'no-advisor',
    kernels: '<6.8',
    summary: 'no advisor_mode knob (the scan-time advisor)',
    evidence: ['mm/ksm.c 6.1.176 has no advisor; 6.12.107 has advisor_mode (upstream "mm/ksm: add ksm advisor", 6.8)'],
  },
];
