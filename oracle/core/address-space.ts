// A process's VMAs in address order and the named mappings steps refer to: what every
// mechanism's model of a process shares. Addresses and sizes are in the mechanism's pages.
// The VMAs live in a B-tree with a gap index (vma-tree.ts), so that a process holding tens
// of thousands of them (the probe's guards stay after munmap) still costs O(log n) a step.
import type { Extent } from './named.ts';
import { VmaTree } from './vma-tree.ts';

export interface Span {
  start: number;
  end: number;
  /** Offset into the object mapped (file or shmem), in pages. */
  pgoff: number;
}

export abstract class AddressSpace<V extends Span> {
  private tree = new VmaTree<V>();
  maps = new Map<string, Extent>();
  /** Pages the VMAs cover (total_vm's share of them), kept as they come and go. */
  pages = 0;

  /**
   * vm_area_dup for a split: a new VMA holding what v holds (a reference to its object, say),
   * to become its tail. Written out field by field, so that every VMA keeps one shape (a
   * spread copy gets another, and code meeting both slows down).
   */
  protected abstract dup(v: V): V;

  /** Every VMA in address order: a copy, which steps may change the address space under. */
  vmas(): V[] {
    return this.tree.toArray();
  }

  get vmaCount(): number {
    return this.tree.size;
  }

  find(page: number): V | undefined {
    const v = this.tree.findFrom(page);
    return v && v.start <= page ? v : undefined;
  }

  /** The first VMA ending after page (vma_find): the one holding it, or the next above it. */
  findFrom(page: number): V | undefined {
    return this.tree.findFrom(page);
  }

  /** The VMAs meeting [start, end), in address order. */
  overlapping(start: number, end: number): V[] {
    return this.tree.meeting(start, end);
  }

  /** Pages of free address space right above v, up to the next VMA. */
  roomAfter(v: V): number {
    const next = this.tree.findFrom(v.end);
    return next ? next.start - v.end : Number.POSITIVE_INFINITY;
  }

  /**
   * The top of the highest free gap below ceiling that holds need pages (between VMAs, or
   * from 0 up to the lowest), or -1: vm_unmapped_area's top-down search, in O(log n).
   */
  protected highestGap(need: number, ceiling: number): number {
    return this.tree.highestGap(need, ceiling);
  }

  /** Where the lowest VMA starts (undefined when there is none). */
  protected get lowest(): number | undefined {
    return this.tree.lowest;
  }

  insert(v: V): void {
    this.tree.insert(v);
    this.pages += v.end - v.start;
  }

  remove(v: V): void {
    if (this.tree.remove(v)) this.pages -= v.end - v.start;
  }

  /** Every VMA goes at once (exit_mmap tears the whole tree down). */
  clear(): void {
    this.tree = new VmaTree<V>();
    this.pages = 0;
  }

  /** Moves the end of a VMA in place (growth into the room above it). */
  resize(v: V, end: number): void {
    this.pages += end - v.end;
    this.tree.setEnd(v, end);
  }

  /** Splits VMAs at start and end and returns those inside [start, end). */
  isolate(start: number, end: number): V[] {
    this.splitAt(start);
    this.splitAt(end);
    return this.overlapping(start, end);
  }

  /**
   * Merges neighbours that may merge (vma_merge) from the VMA holding or preceding `from` up
   * to the one following `to`: what the kernel tries after it changes a range's flags or maps
   * something new next to other VMAs.
   */
  protected mergeAround(from: number, to: number): void {
    // From the VMA before the first ending after `from`, each with the next, while they
    // start at or below `to`.
    let it = this.tree.iter(from);
    it.prev();
    let a = it.next();
    while (a && a.start <= to) {
      const b = it.next();
      if (!b || b.start > to) return;
      if (a.end < from || a.end !== b.start || !this.mayMerge(a, b, from, to)) {
        a = b;
        continue;
      }
      // b is folded into a, which then meets the VMA that followed b.
      this.join(a, b);
      this.tree.absorbNext(a, b);
      it = this.tree.iter(a.end);
    }
  }

  /** Whether b, right after a, may merge into it, [from, to) having just changed (by default nothing merges). */
  protected mayMerge(_a: V, _b: V, _from: number, _to: number): boolean {
    return false;
  }

  /** What a VMA takes over from the next one, which it absorbs. */
  protected join(_a: V, _b: V): void {}

  /** fork: the child gets these VMAs (in address order) and copies of the named mappings. */
  protected forkInto<T extends AddressSpace<V>>(child: T, vmas: V[]): T {
    child.tree = VmaTree.from(vmas);
    child.pages = vmas.reduce((n, v) => n + v.end - v.start, 0);
    child.maps = new Map();
    for (const [k, m] of this.maps) child.maps.set(k, { ...m });
    return child;
  }

  private splitAt(page: number): void {
    const v = this.find(page);
    if (!v || v.start === page) return;
    const tail = this.dup(v);
    tail.start = page;
    tail.pgoff = v.pgoff + (page - v.start);
    this.tree.split(v, tail);
  }
}
