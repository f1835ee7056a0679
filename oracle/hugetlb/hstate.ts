// struct hstate: the pool counters of the one huge page size modelled, and the routines
// that move pages in and out of the pool. No cpuset or memory policy: every node is allowed.
// Pages live on NUMA nodes (machine.numa_nodes, one by default): which node's list a
// freed page joins and which node's surplus count it settles decides whether a surplus page
// leaves the pool. The faulting task runs on node 0 (the probe pins itself to CPU 0), so
// faults take free pages from node 0 first and new surplus pages come from node 0; the
// persistent pool is spread round-robin, as alloc_pool_huge_folio and remove_pool_hugetlb_folio
// walk the nodes with h->next_nid_to_alloc and h->next_nid_to_free.

/** The node faults run on and surplus pages are allocated from. */
const LOCAL_NODE = 0;

export class Hstate {
  /** nr_huge_pages: pool size, surplus included (HugePages_Total). */
  nr = 0;
  /** free_huge_pages (HugePages_Free). */
  free = 0;
  /** resv_huge_pages (HugePages_Rsvd). */
  resv = 0;
  /** surplus_huge_pages (HugePages_Surp). */
  surplus = 0;
  /** nr_overcommit_huge_pages: the surplus limit. */
  overcommit: number;
  /** Per node: nr_huge_pages_node, free_huge_pages_node, surplus_huge_pages_node. */
  readonly nrNode: number[];
  readonly freeNode: number[];
  readonly surplusNode: number[];
  /** h->next_nid_to_alloc and h->next_nid_to_free (their state before the scenario is not known: 0). */
  private nextAlloc = 0;
  private nextFree = 0;

  constructor(
    nrHugepages: number,
    overcommit: number,
    readonly nodes = 1,
  ) {
    this.overcommit = overcommit;
    this.nrNode = new Array<number>(nodes).fill(0);
    this.freeNode = new Array<number>(nodes).fill(0);
    this.surplusNode = new Array<number>(nodes).fill(0);
    this.setMaxHugePages(nrHugepages);
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
    if (delta > 0) {
      if (!this.gatherSurplus(delta)) return false;
      // The pages must be free now (allowed_mems_nr: every node's, no cpuset). Only a count
      // wrapped below zero gets past gather_surplus_pages without them.
      if (delta > this.free) {
        this.returnUnusedSurplus(delta);
        return false;
      }
      return true;
    }
    if (delta < 0) this.returnUnusedSurplus(-delta);
    return true;
  }

  /** gather_surplus_pages: reserve delta pages, growing the pool with surplus pages if need be. */
  private gatherSurplus(delta: number): boolean {
    const needed = this.resv + delta - this.free;
    if (needed > 0) {
      if (this.surplus + needed > this.overcommit) return false;
      // The new pages come from the local node and join its free list.
      this.add(LOCAL_NODE, needed, needed, needed);
    }
    this.resv += delta;
    return true;
  }

  /**
   * return_unused_surplus_pages: drop reservations, and as many surplus pages: free pages
   * of nodes that have surplus pages (remove_pool_hugetlb_folio with acct_surplus).
   */
  private returnUnusedSurplus(unused: number): void {
    this.resv -= unused;
    for (let n = Math.min(unused, this.surplus); n > 0; n--) {
      const node = this.nodeToFree((k) => this.surplusNode[k]! > 0 && this.freeNode[k]! > 0);
      if (node < 0) break;
      this.add(node, -1, -1, -1);
    }
  }

  /**
   * dequeue_hugetlb_folio_vma: a free page from the pool, the local node's first. A caller
   * without a reservation to use (needAvailable) needs a free page nobody reserved; the
   * kernel tests free - resv with unsigned arithmetic, so only exactly 0 stops it (Rsvd above
   * Free does not). Returns the page's node, or -1.
   */
  dequeue(needAvailable: boolean): number {
    if (needAvailable && this.free - this.resv === 0) return -1;
    for (let k = 0; k < this.nodes; k++) {
      const node = (LOCAL_NODE + k) % this.nodes;
      if (this.freeNode[node]! > 0) {
        this.add(node, 0, -1, 0);
        return node;
      }
    }
    return -1;
  }

  /** alloc_surplus_hugetlb_folio: a new page from the buddy allocator, in use at once. Its node, or -1. */
  allocSurplus(): number {
    if (this.surplus >= this.overcommit) return -1;
    this.add(LOCAL_NODE, 1, 0, 1);
    return LOCAL_NODE;
  }

  /**
   * A page for a fault: a free page, else a surplus page from the buddy allocator. Without a
   * reservation (useReserve false) a free page nobody reserved is needed. useReserve takes
   * one reservation with the page. Returns the page's node, or -1 when there is none.
   */
  allocPage(useReserve: boolean): number {
    let node = this.dequeue(!useReserve);
    if (node < 0) node = this.allocSurplus();
    if (node < 0) return -1;
    if (useReserve) this.resv--;
    return node;
  }

  /** Whether a page freed on node would leave the pool (its node has surplus pages). */
  surplusOn(node: number): boolean {
    return this.surplusNode[node]! > 0;
  }

  /**
   * The pool part of free_huge_folio: restore a reservation if asked, then hand a surplus
   * page back to the buddy allocator (its node has surplus pages) or put the page on its
   * node's free list. keepRestored: a page that restores a reservation stays in the pool (the
   * document: the reservation "must be restored", and a reservation needs a free page behind
   * it); the kernel frees it all the same (switch restored-reserve-page-freed-as-surplus).
   */
  freePage(node: number, restore: boolean, keepRestored = true): void {
    if (restore) this.resv++;
    if (!(restore && keepRestored) && this.surplusOn(node)) this.add(node, -1, 0, -1);
    else this.add(node, 0, 1, 0);
  }

  /**
   * set_max_huge_pages: resize the persistent pool (vm.nr_hugepages). Growing first makes
   * surplus pages persistent, then allocates new pages round-robin over the nodes; shrinking
   * frees free pages (keeping enough for reservations and pages in use), round-robin, and
   * makes the rest surplus, to leave the pool as they are freed.
   */
  setMaxHugePages(count: number): void {
    while (this.surplus > 0 && count > this.persistent) {
      const node = this.nodeToAlloc((k) => this.surplusNode[k]! > 0);
      if (node < 0) break;
      this.add(node, 0, 0, -1);
    }
    while (count > this.persistent) this.add(this.nodeToAlloc(() => true), 1, 1, 0);
    const minCount = Math.max(count, this.resv + this.nr - this.free);
    while (minCount < this.persistent) {
      const node = this.nodeToFree((k) => this.freeNode[k]! > 0);
      if (node < 0) break;
      this.add(node, -1, -1, 0);
    }
    while (count < this.persistent) {
      const node = this.nodeToFree((k) => this.surplusNode[k]! < this.nrNode[k]!);
      if (node < 0) break;
      this.add(node, 0, 0, 1);
    }
  }

  /** Changes a node's counters and the totals with them. */
  private add(node: number, nr: number, free: number, surplus: number): void {
    this.nrNode[node]! += nr;
    this.freeNode[node]! += free;
    this.surplusNode[node]! += surplus;
    this.nr += nr;
    this.free += free;
    this.surplus += surplus;
  }

  /** for_each_node_mask_to_alloc: the first node, from h->next_nid_to_alloc on, that fits; -1 if none. */
  private nodeToAlloc(fits: (node: number) => boolean): number {
    for (let k = 0; k < this.nodes; k++) {
      const node = this.nextAlloc;
      this.nextAlloc = (node + 1) % this.nodes;
      if (fits(node)) return node;
    }
    return -1;
  }

  /** for_each_node_mask_to_free: the same walk with h->next_nid_to_free. */
  private nodeToFree(fits: (node: number) => boolean): number {
    for (let k = 0; k < this.nodes; k++) {
      const node = this.nextFree;
      this.nextFree = (node + 1) % this.nodes;
      if (fits(node)) return node;
    }
    return -1;
  }
}
