// One process's address space as far as accounting cares: VMAs with their flags,
// and the named mappings the scenario made. Addresses and sizes are in pages.
import type { Prot } from '../../spec/types/overcommit.ts';

export type Backing = 'anon' | 'file' | 'zero' | 'hugetlb';

/** A shmem object behind shared anonymous (or /dev/zero) mappings; its charge lives here, not in VMAs. */
export interface ShmemObject {
  pages: number;
  noreserve: boolean;
  /** Pages charged: the whole size, or (NORESERVE) one per page allocated. */
  charged: number;
  allocated: Set<number>;
  /** VMAs (in any process) that map it. */
  refs: number;
}

export interface Vma {
  start: number;
  end: number;
  prot: Prot;
  shared: boolean;
  backing: Backing;
  account: boolean; // VM_ACCOUNT
  noreserve: boolean; // VM_NORESERVE
  dontcopy: boolean; // VM_DONTCOPY (MADV_DONTFORK)
  anonVma: boolean; // an anon_vma is attached (a write fault happened)
  shmem?: ShmemObject;
  /** Page offset into the shmem object. */
  pgoff: number;
}

export interface Mapping {
  start: number;
  pages: number;
}

const GAP = 1 << 28; // pages between mappings, so growth in place always has room

export class Mm {
  vmas: Vma[] = [];
  maps = new Map<string, Mapping>();
  brkStart = 1 << 20;
  brk = this.brkStart;
  private next = 1 << 30;

  totalVm(): number {
    return this.vmas.reduce((n, v) => n + v.end - v.start, 0);
  }

  place(pages: number): number {
    const at = this.next;
    this.next += Math.max(pages, 1) + GAP;
    return at;
  }

  insert(vma: Vma): void {
    this.vmas.push(vma);
    this.vmas.sort((a, b) => a.start - b.start);
  }

  /** Splits VMAs at start and end and returns those inside [start, end). */
  isolate(start: number, end: number): Vma[] {
    this.splitAt(start);
    this.splitAt(end);
    return this.vmas.filter((v) => v.start >= start && v.end <= end);
  }

  remove(vma: Vma): void {
    this.vmas = this.vmas.filter((v) => v !== vma);
  }

  find(page: number): Vma | undefined {
    return this.vmas.find((v) => v.start <= page && page < v.end);
  }

  /** fork: copies of every VMA not marked MADV_DONTFORK, sharing shmem objects. */
  copy(): Mm {
    const child = new Mm();
    child.vmas = this.vmas.filter((v) => !v.dontcopy).map((v) => ({ ...v }));
    for (const v of child.vmas) if (v.shmem) v.shmem.refs++;
    child.maps = new Map([...this.maps].map(([k, m]) => [k, { ...m }]));
    child.brkStart = this.brkStart;
    child.brk = this.brk;
    child.next = this.next;
    return child;
  }

  private splitAt(page: number): void {
    const v = this.find(page);
    if (!v || v.start === page) return;
    const tail: Vma = { ...v, start: page, pgoff: v.pgoff + (page - v.start) };
    v.end = page;
    if (tail.shmem) tail.shmem.refs++;
    this.insert(tail);
  }
}
