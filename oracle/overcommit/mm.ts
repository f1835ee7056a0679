// One process's address space as far as accounting cares: VMAs with their flags,
// and the named mappings the scenario made. Addresses and sizes are in pages.
import type { Prot } from '../../spec/types/overcommit.ts';
import { AddressSpace } from '../address-space.ts';

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

export type { Extent as Mapping } from '../named.ts';

export class Mm extends AddressSpace<Vma> {
  brkStart = 1 << 20;
  brk = this.brkStart;

  constructor() {
    super(1 << 30, 1 << 28);
  }

  totalVm(): number {
    return this.vmas.reduce((n, v) => n + v.end - v.start, 0);
  }

  protected onSplit(tail: Vma): void {
    if (tail.shmem) tail.shmem.refs++;
  }

  /** fork: copies of every VMA not marked MADV_DONTFORK, sharing shmem objects. */
  copy(): Mm {
    const child = this.forkInto(new Mm(), this.vmas.filter((v) => !v.dontcopy).map((v) => ({ ...v })));
    for (const v of child.vmas) if (v.shmem) v.shmem.refs++;
    child.brkStart = this.brkStart;
    child.brk = this.brk;
    return child;
  }
}
