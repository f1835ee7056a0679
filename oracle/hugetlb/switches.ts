// How kernel releases depart from hugetlbfs_reserv.rst, as switches of the hugetlb model.
// Each was seen on a real kernel (the 6.18 host, the Debian 6.1, 6.12 and 7.2 guests) and,
// where the source explains it, located there. Ranges end where the evidence ends: a range
// marked tentative rests on the release of an upstream change, not on a kernel run.
import type { KernelSwitch } from '../core/switches.ts';

export const HUGETLB_SWITCHES: KernelSwitch[] = [
  {
    name: 'failed-fault-keeps-subpool-charge',
    kernels: '>=6.15',
    summary:
      "a fault that cannot get a page after hugepage_subpool_get_pages charged the subpool puts the page back only when the subpool's own reserve supplied it (map_chg && !gbl_chg): on a size= mount the used count stays one higher for good (statfs shows it, a later mmap within the quota fails, a min_size subpool is never freed at umount); the document has the failed fault change nothing",
    evidence: [
      'spec/tables/hugetlb/divergences.json hugetlb.div.failed-fault-* and hugetlb.div.min-size-reserve-leaks-after-umount: shown on 6.18.44 (host) and Debian 7.2.13; not on Debian 6.1.192 and 6.12.118',
      "upstream a833a693a490 'mm: hugetlb: fix incorrect fallback for subpool' (v6.15) introduced the failure path; 7.1.8 source alloc_hugetlb_folio out_subpool_put",
    ],
  },
  {
    name: 'failed-fault-refills-subpool-reserve',
    kernels: '<6.15',
    summary:
      "a fault that cannot get a page after charging the subpool calls hugepage_subpool_put_pages(1) and ignores its answer: in a min_size mount whose reserve was used up, the put refills the subpool's reserve by a page no global reservation backs, so a later page is taken from that phantom reserve, HugePages_Rsvd drops one further than it rose, and umount's hugetlb_acct_memory(-min_size) takes it below zero",
    evidence: [
      'Debian 6.1.192 and 6.12.118 guests: min_size=1 mount, a NORESERVE fault past the pool (SIGBUS), then the file and the mount go: Rsvd 1 -> 0 at the unlink (document: 1) and negative after umount; 6.18.44 and 7.2.13 follow the document',
      '6.1.176 and 6.12.107 source alloc_hugetlb_folio out_subpool_put: hugepage_subpool_put_pages(spool, 1) without hugetlb_acct_memory',
    ],
  },
  {
    name: 'failed-reserve-refills-subpool-reserve',
    kernels: '<6.15',
    summary:
      "an mmap whose hugetlb_acct_memory fails gives the subpool back all chg pages with hugepage_subpool_put_pages and ignores its answer: a min_size subpool whose reserve was used up gets a phantom reserve page (the same accounting loss as failed-fault-refills-subpool-reserve); the document has the failed mmap change nothing",
    evidence: [
      'Debian 6.1.192 and 6.12.118 guests: min_size=1 mount, one shared page mapped, a second mmap fails with ENOMEM; removing the first file drops Rsvd to 0 (document: 1) and umount takes it below zero; 6.18.44 and 7.2.13 follow the document',
      '6.12.107 source hugetlb_reserve_pages out_put_pages: (void)hugepage_subpool_put_pages(spool, chg); 7.1.8 puts back only what the subpool reserve supplied and gives that back globally; range tentative (the change landed with the 6.15 subpool fixes or close to them)',
    ],
  },
  {
    name: 'failed-reserve-drops-subpool-reserve',
    kernels: '>=6.15',
    summary:
      "an mmap whose hugetlb_acct_memory fails puts back the pages the subpool's min_size reserve supplied with hugepage_subpool_put_pages while the used count still includes the whole request, and lowers it by the rest only afterwards: when that count stays at or above min_size the put gives those pages back globally (HugePages_Rsvd drops) instead of refilling the subpool's reserve, which is then lost; umount later gives min_size back all the same, taking Rsvd below zero",
    evidence: [
      'Debian 7.2.13 guest (fuzz, seed 4 sequence 453): size=6,min_size=1 mount, a 4-page shared mmap that needs 3 pages the pool cannot give fails with ENOMEM and Rsvd drops 1 -> 0 (document: 1); the pool is left one reservation short after the umount',
      '7.1.8 source hugetlb_reserve_pages out_put_pages (spool_resv, then used_hpages -= gbl_reserve); 6.12.107 puts back all chg pages (failed-reserve-refills-subpool-reserve); range tentative, as that switch',
    ],
  },
  {
    name: 'subpool-reserve-needs-vma-reserve',
    kernels: '<6.15',
    summary:
      "a page for a VMA without its own reservation (MAP_NORESERVE private, or a forked child's private mapping) that the subpool's min_size reserve supplies (hugepage_subpool_get_pages returned 0) consumes no global reservation, because vma_has_reserves says no: the subpool reserve is used up while HugePages_Rsvd keeps it, and freeing the page restores one more, so Rsvd stays one higher for good (after umount too)",
    evidence: [
      'Debian 6.1.192 and 6.12.118 guests: min_size=1 mount, MAP_NORESERVE private mapping, one write fault: Rsvd stays 1 (document and 6.18.44, 7.2.13: 0), 2 after the munmap, 1 after umount',
      "6.12.107 source dequeue_hugetlb_folio_vma: the reservation is taken only when vma_has_reserves(vma, gbl_chg); a833a693a490 'mm: hugetlb: fix incorrect fallback for subpool' (v6.15) takes it whenever gbl_chg is 0",
    ],
  },
  {
    name: 'restored-reserve-page-freed-as-surplus',
    kernels: '>=6.1',
    summary:
      "free_huge_folio restores a reservation (HPageRestoreReserve, or a min_size subpool below its minimum) and still hands the page to the buddy allocator when its node has surplus pages, so HugePages_Rsvd can exceed HugePages_Free; the document says the reservation must be restored, which needs the page kept",
    evidence: [
      'spec/tables/hugetlb/divergences.json hugetlb.div.surplus-page-refills-subpool-reserve: (T,F,R,S) = (0,0,2,0) on 6.18.44, Debian 6.1.192, 6.12.118 and 7.2.13',
      'free_huge_folio in 6.1.176, 6.12.107 and 7.1.8: the surplus test follows the restore unconditionally',
    ],
  },
  {
    name: 'unmap-restores-reserve',
    kernels: '>=6.9',
    summary:
      "unmapping (munmap, exit, truncate, hole punch) an anonymous page from the owner of a private mapping while no surplus pages exist marks the page restore-reserve and removes its index from the private reserve map: the reservation counts as unused again, so freeing the page restores it and closing the VMA gives it back; the document only restores reservations of pages freed before they were instantiated (a truncation of a faulted private page raises Rsvd by one until the VMA goes)",
    evidence: [
      'memfd, 2-page private mapping, page 1 faulted, ftruncate to 1 page: Rsvd 1 -> 2 on 6.18.44, Debian 6.12.118 and 7.2.13; stays 1 on Debian 6.1.192',
      "upstream 'mm/hugetlb: Restore the reservation if needed' (B. Leitao, February 2024, first in v6.9; range tentative): __unmap_hugepage_range, present in 6.12.107 and 7.1.8 sources, absent in 6.1.176",
    ],
  },
  {
    name: 'unmap-restore-ignores-other-mappers',
    kernels: '>=6.13 <7.2',
    summary:
      "with unmap-restores-reserve, the owner unmapping a page a forked child still maps restores its reservation too: the VMA close gives that reservation back at once (HugePages_Rsvd one lower, below zero if nothing else is reserved) and the page restores it when the child frees it; Debian 6.12.118 and 7.2.13 restore only when the owner's mapping was the page's last",
    evidence: [
      '6.18.44 host (C program and mmspec): mmap 2 private huge pages, touch page 0, fork, parent munmap: Rsvd 1 -> -1 (3 -> 1 with the 2 leaked reservations), 0 after the child exits; Debian 6.12.118 and 7.2.13: 1 -> 0, then 0; a child that unmapped first leaves the restore to happen on both',
      "cause not found: __unmap_hugepage_range in 6.12.107 and 7.1.8 sources sets the flag whatever the page's mapcount; range tentative (6.18.44 shows it, 6.12.118 and 7.2.13 do not)",
    ],
  },
  {
    name: 'owner-cow-walk-spares-owner',
    kernels: '>=6.12 <6.13',
    summary:
      "a failed owner COW's walk (unmap_ref_private) clears entries only where the VMA it walks through lies, that is in a fork's copies: another private mapping of the file in the owner's own process neither loses the owner's entry nor is marked HPAGE_RESV_UNMAPPED; 6.1, 6.18 and 7.2 clear the entry at the owner's address through every such VMA",
    evidence: [
      'recorded: Debian 6.12.118 answers ok where 6.1.0-57, the 6.18.44 host and 7.2.13 answer SIGBUS (rows hugetlb.fork.owner-cow-walk-takes-owners-own-entry, hugetlb.fork.noreserve-mapping-marked-by-owner-cow-walk)',
      'cause not found: unmap_ref_private and __unmap_hugepage_range read alike in the 6.12.107 and 7.1.8 sources; range tentative',
    ],
  },
];
