// Reservation processing (hugetlbfs_reserv.rst): creating reservations at mmap, consuming
// them at fault, giving them back at free, unmap, truncate, hole punch and eviction.
import type { Behaviour } from '../core/switches.ts';
import type { Hstate } from './hstate.ts';
import type { HPage, Inode } from './objects.ts';
import { LONG_MAX, ResvMap } from './resv-map.ts';
import { NO_LIMIT, subpoolGet, subpoolPut, subpoolUnget, type Subpool } from './subpool.ts';

/** What the reservation helpers need of a VMA (fallocate passes a pseudo shared VMA). */
export interface ResvVma {
  inode: Inode;
  shared: boolean;
  noreserve: boolean;
  resv: ResvMap | null;
  owner: boolean;
}

/** vma_resv_map: the inode's map for shared mappings, the VMA's own for private ones. */
export function vmaResvMap(v: ResvVma): ResvMap | null {
  return v.shared ? v.inode.resv : v.resv;
}

// __vma_reservation_common. For private maps an entry means "consumed", so the raw region
// result is turned round: every helper answers 1 when idx has no reservation to use.
const privateResult = (ret: number): number => (ret > 0 ? 0 : 1);

export function vmaNeedsReservation(v: ResvVma, idx: number): number {
  const map = vmaResvMap(v);
  if (!map) return 1;
  const ret = map.chg(idx, idx + 1);
  return v.shared ? ret : privateResult(ret);
}

export function vmaCommitReservation(v: ResvVma, idx: number): number {
  const map = vmaResvMap(v);
  if (!map) return 1;
  const ret = map.add(idx, idx + 1);
  return v.shared ? ret : privateResult(ret);
}

export function vmaEndReservation(v: ResvVma, idx: number): number {
  const map = vmaResvMap(v);
  if (!map) return 1;
  map.abort(idx, idx + 1);
  return v.shared ? 0 : privateResult(0);
}

/** Used by restore_reserve_on_error: put the map back as it was before the allocation. */
export function vmaAddReservation(v: ResvVma, idx: number): number {
  const map = vmaResvMap(v);
  if (!map) return 1;
  if (v.shared) return map.add(idx, idx + 1);
  map.abort(idx, idx + 1);
  return privateResult(map.del(idx, idx + 1));
}

export interface AllocHooks {
  /** Runs between vma_needs_reservation and vma_commit_reservation (to stage a race, H21). */
  beforeCommit?: () => void;
}

export class Reservations {
  constructor(
    readonly h: Hstate,
    /** The kernel behaviour switches of the model (none when absent: the document alone). */
    readonly behaviour?: Behaviour,
  ) {}

  /** Whether a kernel behaviour switch is on (and so shapes the result). */
  private on(name: string): boolean {
    return this.behaviour?.on(name) ?? false;
  }

  /**
   * hugetlb_reserve_pages for [from, to) of an inode; vma null is a shm-style shared
   * reservation. Private mappings get a new map and HPAGE_RESV_OWNER and reserve the whole
   * range; shared ones reserve what the inode's map does not yet represent.
   */
  reservePages(inode: Inode, from: number, to: number, vma: ResvVma | null): boolean {
    if (vma?.noreserve) return true;
    const shared = !vma || vma.shared;
    const map = shared ? inode.resv : new ResvMap();
    let chg: number;
    if (shared) chg = map.chg(from, to);
    else {
      chg = to - from;
      vma!.resv = map;
      vma!.owner = true;
    }
    const spool = inode.spool;
    const gbl = subpoolGet(spool, chg);
    let ok = gbl !== 'ENOMEM';
    if (gbl !== 'ENOMEM' && !this.h.acct(gbl)) {
      // Hand the pages back to the subpool as they were. Older kernels put all chg pages
      // back and ignore what the subpool says to give back globally.
      if (this.on('failed-reserve-refills-subpool-reserve')) {
        subpoolPut(spool, chg);
      } else if (spool && chg > gbl && this.on('failed-reserve-drops-subpool-reserve')) {
        // What the subpool's reserve supplied is put back first, with the used count still
        // high: at or above min_size the put gives it back globally instead.
        this.h.acct(-subpoolPut(spool, chg - gbl));
        if (spool.max !== NO_LIMIT) spool.used -= gbl;
      } else {
        subpoolUnget(spool, chg, gbl);
      }
      ok = false;
    }
    if (!ok) {
      if (shared) map.abort(from, to);
      else {
        vma!.resv = null;
        vma!.owner = false;
      }
      return false;
    }
    if (shared) {
      const add = map.add(from, to);
      if (chg > add) {
        // Someone reserved part of the range meanwhile: give back what was taken twice.
        this.h.acct(-subpoolPut(spool, chg - add));
      }
    }
    return true;
  }

  /**
   * hugetlb_unreserve_pages: drop the map entries of [start, end); their reservations go
   * back, except those of the `freed` pages that consumed theirs.
   */
  unreservePages(inode: Inode, start: number, end: number, freed: number): void {
    const chg = inode.resv.del(start, end);
    this.h.acct(-subpoolPut(inode.spool, chg - freed));
  }

  /** hugetlb_vm_op_close: an owner's private VMA gives back the reservations it did not use. */
  closeVma(v: ResvVma & { pgoff: number; start: number; end: number }): void {
    if (!v.resv || !v.owner) return;
    const start = v.pgoff;
    const end = v.pgoff + (v.end - v.start);
    const reserve = end - start - v.resv.count(start, end);
    if (reserve) this.h.acct(-subpoolPut(v.inode.spool, reserve));
  }

  /**
   * alloc_hugetlb_folio: a page for index idx of a VMA, using its reservation when it has
   * one. cowFromOwner: the owner's COW copy, which must come from outside its reservations.
   * Returns null when no page can be had (the fault becomes SIGBUS).
   */
  allocFolio(v: ResvVma, idx: number, cowFromOwner: boolean, hooks?: AllocHooks): HPage | null {
    const spool = v.inode.spool;
    const needs = vmaNeedsReservation(v, idx);
    const mapChg = cowFromOwner ? 'enforced' : needs ? 'needed' : 'reuse';
    // Without a reservation in the map the subpool is charged; its min_size reserve may supply one.
    let gblChg = 0;
    if (mapChg !== 'reuse') {
      const r = subpoolGet(spool, 1);
      if (r === 'ENOMEM') {
        vmaEndReservation(v, idx);
        return null;
      }
      gblChg = r;
    }
    // A global reservation is taken when none has to be found (gbl_chg 0). Older kernels ask
    // vma_has_reserves instead, which says no for a VMA without reservations of its own (a
    // MAP_NORESERVE private mapping, a child's private mapping) even when the subpool's
    // min_size reserve supplied the page.
    const ownless = !v.shared && !v.owner;
    const useReserve = gblChg === 0 && !(ownless && this.on('subpool-reserve-needs-vma-reserve'));
    const node = this.h.allocPage(useReserve);
    if (node < 0) {
      vmaEndReservation(v, idx);
      if (mapChg !== 'reuse') this.failedAllocPut(spool, gblChg);
      return null;
    }
    const page: HPage = { restoreReserve: useReserve, spool, mappers: 0, cache: null, node };
    if (mapChg === 'enforced') {
      vmaEndReservation(v, idx); // the map already records idx as consumed
    } else {
      hooks?.beforeCommit?.();
      const commit = vmaCommitReservation(v, idx);
      if (mapChg === 'needed' && commit === 0) {
        // The map gained idx since needs said 1 (a racing hugetlb_reserve_pages): its
        // reservation and subpool charge are this page's, so give back the extra ones.
        this.h.acct(-subpoolPut(spool, 1));
      }
    }
    return page;
  }

  /** Undoes the subpool charge of an allocation that found no page. */
  private failedAllocPut(spool: Subpool | null, gblChg: number): void {
    if (this.on('failed-fault-refills-subpool-reserve')) {
      subpoolPut(spool, 1); // what the subpool says to give back globally is ignored
    } else if (this.on('failed-fault-keeps-subpool-charge')) {
      // Only a page the subpool's own reserve supplied is put back (and given back).
      if (gblChg === 0) this.h.acct(-subpoolPut(spool, 1));
    } else {
      subpoolUnget(spool, 1, gblChg); // the document: the failed fault changes nothing
    }
  }

  /** free_huge_folio. */
  freeFolio(page: HPage): void {
    let restore = page.restoreReserve;
    page.restoreReserve = false;
    // A restored reservation keeps its subpool charge; otherwise the subpool may still want
    // the page to keep its reserve at min_size (put returns 0), which restores one too.
    if (!restore && subpoolPut(page.spool, 1) === 0) restore = true;
    const keep = !(restore && this.h.surplusOn(page.node) && this.on('restored-reserve-page-freed-as-surplus'));
    this.h.freePage(page.node, restore, keep);
  }

  /**
   * restore_reserve_on_error: a page allocated for idx is being freed before it was
   * instantiated; set the map back so that it agrees with what freeing does to the count.
   * `mapFails` stands for the rare ENOMEM: the flag is cleared and the map left as consumed.
   */
  restoreReserveOnError(v: ResvVma, idx: number, page: HPage, mapFails = false): void {
    const rc = vmaNeedsReservation(v, idx);
    if (mapFails) {
      vmaEndReservation(v, idx);
      page.restoreReserve = false;
    } else if (page.restoreReserve ? rc !== 0 : rc === 0) {
      vmaAddReservation(v, idx);
    } else {
      vmaEndReservation(v, idx);
    }
  }

  /** Pages leave the page cache and are freed; truncate-style removal then unreserves the rest once. */
  removeInodePages(inode: Inode, start: number, end: number, truncate: boolean): void {
    let freed = 0;
    for (const idx of [...inode.cache.keys()].sort((a, b) => a - b)) {
      if (idx < start || idx >= end) continue;
      const page = inode.cache.get(idx)!;
      inode.cache.delete(idx);
      page.cache = null;
      // A hole punch unreserves page by page: its entry goes, its reservation was consumed.
      if (!truncate) this.unreservePages(inode, idx, idx + 1, 1);
      if (page.mappers === 0) this.freeFolio(page);
      freed++;
    }
    if (truncate) this.unreservePages(inode, start, LONG_MAX, freed);
  }
}
