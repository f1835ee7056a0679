// struct hstate: the pool counters of the one huge page size modelled, and the routines
// that move pages in and out of the pool. Single node, no cpuset: every free page fits.

export class Hstate {
  /** nr_huge_pages: pool size, surplus included (HugePages_Total). */
  nr: number;
  /** free_huge_pages (HugePages_Free). */
  free: number;
  /** resv_huge_pages (HugePages_Rsvd). */
  resv = 0;
  /** surplus_huge_pages (HugePages_Surp). */
  surplus = 0;
  /** nr_overcommit_huge_pages: the surplus limit. */
  overcommit: number;

  constructor(nrHugepages: number, overcommit: number) {
    this.nr = nrHugepages;
    this.free = nrHugepages;
    this.overcommit = overcommit;
  }

  /** persistent_huge_pages: what vm.nr_hugepages reads back. */
  get persistent(): number {
    return this.nr - this.surplus;
  }

  /** available_huge_pages: free pages nobody has reserved. */
  get available(): number {
    return this.free - this.resv;
  }

  /**
   * hugetlb_acct_memory: take (delta > 0) or give back (delta < 0) global reservations.
   * Taking succeeds iff delta <= free - resv once surplus pages up to the overcommit limit
   * have been added. (The document prints the comparison backwards; the kernel is followed.)
   */
  acct(delta: number): boolean {
    if (delta > 0) return this.gatherSurplus(delta);
    if (delta < 0) this.returnUnusedSurplus(-delta);
    return true;
  }

  /** gather_surplus_pages: reserve delta pages, growing the pool with surplus pages if need be. */
  private gatherSurplus(delta: number): boolean {
    const needed = this.resv + delta - this.free;
    if (needed > 0) {
      if (this.surplus + needed > this.overcommit) return false;
      this.nr += needed;
      this.surplus += needed;
      this.free += needed;
    }
    this.resv += delta;
    return true;
  }

  /** return_unused_surplus_pages: drop reservations, and as many surplus pages, which are free. */
  private returnUnusedSurplus(unused: number): void {
    this.resv -= unused;
    const n = Math.min(unused, this.surplus, this.free);
    this.nr -= n;
    this.free -= n;
    this.surplus -= n;
  }

  /**
   * dequeue_hugetlb_folio_vma: a free page from the pool. A caller without a reservation to
   * use (needAvailable) needs a free page nobody reserved; the kernel tests free - resv with
   * unsigned arithmetic, so only exactly 0 stops it (Rsvd above Free does not).
   */
  dequeue(needAvailable: boolean): boolean {
    if (needAvailable && this.free - this.resv === 0) return false;
    if (this.free <= 0) return false;
    this.free--;
    return true;
  }

  /** alloc_surplus_hugetlb_folio: a new page from the buddy allocator, in use at once. */
  allocSurplus(): boolean {
    if (this.surplus >= this.overcommit) return false;
    this.nr++;
    this.surplus++;
    return true;
  }

  /**
   * A page for a fault: a free page, else a surplus page from the buddy allocator. Without a
   * reservation (useReserve false) a free page nobody reserved is needed. useReserve takes
   * one reservation with the page.
   */
  allocPage(useReserve: boolean): boolean {
    if (!this.dequeue(!useReserve) && !this.allocSurplus()) return false;
    if (useReserve) this.resv--;
    return true;
  }

  /**
   * The pool part of free_huge_folio: restore a reservation if asked, then hand a surplus
   * page back to the buddy allocator or put the page on the free list. keepRestored: a page
   * that restores a reservation stays in the pool (the document: the reservation "must be
   * restored", and a reservation needs a free page behind it); the kernel frees it all the
   * same when surplus pages exist (switch restored-reserve-page-freed-as-surplus).
   */
  freePage(restore: boolean, keepRestored = true): void {
    if (restore) this.resv++;
    if (restore && keepRestored) {
      this.free++;
    } else if (this.surplus > 0) {
      this.nr--;
      this.surplus--;
    } else {
      this.free++;
    }
  }

  /** set_max_huge_pages: resize the persistent pool (vm.nr_hugepages). */
  setMaxHugePages(count: number): void {
    // Grow: take pages out of surplus state first, then allocate fresh ones.
    if (count > this.persistent) {
      const fromSurplus = Math.min(this.surplus, count - this.persistent);
      this.surplus -= fromSurplus;
      const fresh = count - this.persistent;
      this.nr += fresh;
      this.free += fresh;
    }
    // Shrink: free unused pages, keeping enough for reservations and pages in use...
    const minCount = Math.max(count, this.resv + this.nr - this.free);
    const freed = Math.max(0, Math.min(this.persistent - minCount, this.free));
    this.nr -= freed;
    this.free -= freed;
    // ...and make the rest surplus, to leave the pool as they are freed.
    if (count < this.persistent) this.surplus += Math.min(this.persistent - count, this.nr - this.surplus);
  }
}
