// struct hugepage_subpool: the limits of one hugetlbfs mount (size=, min_size=).
// get/put return how many pages the caller must take from, or give back to, the global
// reservations: fewer than asked when the subpool's own min_size reserve covers them.

/** No limit (-1 in the kernel). */
export const NO_LIMIT = -1;

export class Subpool {
  /** used_hpages: pages allocated or reserved against the subpool (counted with size= only). */
  used = 0;
  /** rsv_hpages: global reservations held on behalf of the subpool (min_size). */
  rsv: number;

  constructor(
    readonly max: number = NO_LIMIT,
    readonly min: number = NO_LIMIT,
  ) {
    this.rsv = min === NO_LIMIT ? 0 : min;
  }

  /**
   * hugepage_subpool_get_pages. Only a size-limited subpool counts used pages; a
   * min_size-only one keeps used at 0, so every put looks like a drop below min_size.
   */
  get(delta: number): number | 'ENOMEM' {
    if (this.max !== NO_LIMIT) {
      if (this.used + delta > this.max) return 'ENOMEM';
      this.used += delta;
    }
    if (this.min === NO_LIMIT || this.rsv === 0) return delta;
    if (delta > this.rsv) {
      const ret = delta - this.rsv;
      this.rsv = 0;
      return ret;
    }
    this.rsv -= delta;
    return 0;
  }

  /**
   * Undoes a get(delta) that returned ret, when what it was for failed: the subpool is as
   * before. (Mainline puts back only part of it, leaving used pages behind on a size= mount.)
   */
  unget(delta: number, ret: number): void {
    if (this.max !== NO_LIMIT) this.used -= delta;
    this.rsv += delta - ret;
  }

  /** hugepage_subpool_put_pages: what the caller gives back globally (hugetlb_acct_memory(-ret)). */
  put(delta: number): number {
    if (this.max !== NO_LIMIT) this.used -= delta;
    if (this.min === NO_LIMIT || this.used >= this.min) return delta;
    // Below min_size: the pages refill the subpool's reserve instead of going back.
    const ret = this.rsv + delta <= this.min ? 0 : this.rsv + delta - this.min;
    this.rsv = Math.min(this.rsv + delta, this.min);
    return ret;
  }
}

/**
 * subpool_is_free: whether the subpool, its mount gone, may be released (and its min_size
 * reservation given back): nothing charged to a size= subpool, or a min_size-only subpool's
 * reserve back at its minimum.
 */
export function subpoolIsFree(s: Subpool): boolean {
  if (s.max !== NO_LIMIT) return s.used === 0;
  if (s.min !== NO_LIMIT) return s.rsv === s.min;
  return true;
}

/** With no subpool (plain mounts, MAP_HUGETLB, memfd) get/put hand back their argument. */
export function subpoolGet(spool: Subpool | null, delta: number): number | 'ENOMEM' {
  return spool ? spool.get(delta) : delta;
}

export function subpoolUnget(spool: Subpool | null, delta: number, ret: number): void {
  spool?.unget(delta, ret);
}

export function subpoolPut(spool: Subpool | null, delta: number): number {
  return spool ? spool.put(delta) : delta;
}
