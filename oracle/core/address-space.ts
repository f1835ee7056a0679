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

  find(page: number): V | undefined {
    return this.vmas.find((v) => v.start <= page && page < v.end);
  }

  /** The first VMA ending after page (vma_find): the one holding it, or the next above it. */
  findFrom(page: number): V | undefined {
    return this.vmas.find((v) => v.end > page);
  }

  /** Pages of free address space right above v, up to the next VMA. */
  roomAfter(v: V): number {
    const next = this.vmas.find((x) => x.start >= v.end);
    return next ? next.start - v.end : Number.POSITIVE_INFINITY;
  }

  insert(v: V): void {
    this.vmas.push(v);
    this.vmas.sort((a, b) => a.start - b.start);
  }

  remove(v: V): void {
    this.vmas = this.vmas.filter((x) => x !== v);
  }

  /** Splits VMAs at start and end and returns those inside [start, end). */
  isolate(start: number, end: number): V[] {
    this.splitAt(start);
    this.splitAt(end);
    return this.vmas.filter((v) => v.start >= start && v.end <= end);
  }

  /**
   * Merges neighbours that may merge (vma_merge) from the VMA holding or preceding `from` up
   * to the one following `to`: what the kernel tries after it changes a range's flags or maps
   * something new next to other VMAs. `join` folds the second VMA into the first.
   */
  protected mergeAround(from: number, to: number, mayMerge: (a: V, b: V) => boolean, join: (a: V, b: V) => void): void {
    for (let i = 0; i + 1 < this.vmas.length; ) {
      const a = this.vmas[i]!;
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
    child.maps = new Map([...this.maps].map(([k, m]) => [k, { ...m }]));
    child.next = this.next;
    return child;
  }

  private splitAt(page: number): void {
    const v = this.find(page);
    if (!v || v.start === page) return;
    const tail: V = { ...v, start: page, pgoff: v.pgoff + (page - v.start) };
    v.end = page;
    this.onSplit(tail);
    this.insert(tail);
  }
}
