// A process's VMAs in address order and the named mappings steps refer to: what every
// mechanism's model of a process shares. Addresses and sizes are in the mechanism's pages.
import type { Extent } from './named.ts';

export interface Span {
  start: number;
  end: number;
  /** Offset into the object mapped (file or shmem), in pages. */
  pgoff: number;
}

export abstract class AddressSpace<V extends Span> {
  vmas: V[] = [];
  maps = new Map<string, Extent>();
  /** Pages the VMAs cover (total_vm's share of them), kept as they come and go. */
  pages = 0;

  /** Mappings are placed from `next` on, `gap` pages apart, so growth in place always has room. */
  constructor(
    protected next: number,
    private readonly gap: number,
  ) {}

  /** A VMA was split in two: the tail is a new VMA holding what the head holds. */
  protected abstract onSplit(tail: V): void;

  place(pages: number): number {
    const at = this.next;
    this.next += Math.max(pages, 1) + this.gap;
    return at;
  }

  /** The index of the first VMA ending after page (VMAs are sorted and do not overlap). */
  private firstEndingAfter(page: number): number {
    let lo = 0;
    let hi = this.vmas.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.vmas[mid]!.end > page) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  find(page: number): V | undefined {
    const v = this.vmas[this.firstEndingAfter(page)];
    return v && v.start <= page ? v : undefined;
  }

  /** The first VMA ending after page (vma_find): the one holding it, or the next above it. */
  findFrom(page: number): V | undefined {
    return this.vmas[this.firstEndingAfter(page)];
  }

  /** The VMAs meeting [start, end), in address order. */
  overlapping(start: number, end: number): V[] {
    const out: V[] = [];
    for (let i = this.firstEndingAfter(start); i < this.vmas.length && this.vmas[i]!.start < end; i++) out.push(this.vmas[i]!);
    return out;
  }

  /** Pages of free address space right above v, up to the next VMA. */
  roomAfter(v: V): number {
    const next = this.vmas[this.firstEndingAfter(v.end)];
    return next ? next.start - v.end : Number.POSITIVE_INFINITY;
  }

  insert(v: V): void {
    this.vmas.splice(this.firstEndingAfter(v.start), 0, v);
    this.pages += v.end - v.start;
  }

  remove(v: V): void {
    const i = this.vmas.indexOf(v);
    if (i < 0) return;
    this.vmas.splice(i, 1);
    this.pages -= v.end - v.start;
  }

  /** Moves the end of a VMA in place (growth into the room above it). */
  resize(v: V, end: number): void {
    this.pages += end - v.end;
    v.end = end;
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
   * something new next to other VMAs. `join` folds the second VMA into the first.
   */
  protected mergeAround(from: number, to: number, mayMerge: (a: V, b: V) => boolean, join: (a: V, b: V) => void): void {
    for (let i = Math.max(0, this.firstEndingAfter(from) - 1); i + 1 < this.vmas.length; ) {
      const a = this.vmas[i]!;
      if (a.start > to) break;
      const b = this.vmas[i + 1]!;
      if (b.start > to || a.end < from || a.end !== b.start || !mayMerge(a, b)) {
        i++;
        continue;
      }
      join(a, b);
      a.end = b.end;
      this.vmas.splice(i + 1, 1);
    }
  }

  /** fork: the child gets these VMAs, copies of the named mappings and the placement cursor. */
  protected forkInto<T extends AddressSpace<V>>(child: T, vmas: V[]): T {
    child.vmas = vmas;
    child.pages = vmas.reduce((n, v) => n + v.end - v.start, 0);
    child.maps = new Map([...this.maps].map(([k, m]) => [k, { ...m }]));
    child.next = this.next;
    return child;
  }

  private splitAt(page: number): void {
    const v = this.find(page);
    if (!v || v.start === page) return;
    const tail: V = { ...v, start: page, pgoff: v.pgoff + (page - v.start) };
    this.resize(v, page);
    this.onSplit(tail);
    this.insert(tail);
  }
}
