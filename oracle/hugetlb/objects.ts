// The objects reservations hang off: mounts, inodes with their page cache, huge pages,
// and processes with their VMAs. Addresses, sizes and indices are huge pages.
import { AddressSpace } from '../core/address-space.ts';
import { ResvMap } from './resv-map.ts';
import type { Subpool } from './subpool.ts';

export interface Mount {
  name: string;
  /** Present with size= or min_size=. */
  spool: Subpool | null;
  /** Unmounted: its directory is gone, so a process still naming it gets ENOENT. */
  gone?: boolean;
}

/** One huge page in use (free pages are only counted, in the hstate). */
export interface HPage {
  /** HPageRestoreReserve: freeing it must give its reservation back (allocated, not yet instantiated). */
  restoreReserve: boolean;
  /** folio->_hugetlb_subpool. */
  spool: Subpool | null;
  /** Page-table entries mapping it, across processes. */
  mappers: number;
  /** In the page cache of this inode (shared pages); null for anonymous (private) pages. */
  cache: Inode | null;
  /** The NUMA node it lives on. */
  node: number;
}

export type InodeKind = 'file' | 'memfd' | 'anon';

export class Inode {
  /** The shared reserve map: an entry means a reservation exists or existed. */
  readonly resv = new ResvMap();
  readonly cache = new Map<number, HPage>();
  /** i_size in huge pages. */
  size = 0;
  linked: boolean;
  /** Open descriptors across processes. */
  fds = 0;
  /**
   * VMAs mapping it (each holds a file reference), in the order of the inode's interval tree
   * among VMAs of one offset: a new one after the others, a fork's copy right after its
   * original, and both pieces of a split after the others (the split takes the VMA out and
   * puts the pieces back). Truncation and hole punching unmap them in this order.
   */
  readonly mapped: Vma[] = [];

  get vmas(): number {
    return this.mapped.length;
  }

  constructor(
    readonly name: string,
    readonly kind: InodeKind,
    /** The hugetlbfs mount; null for the kernel's internal mount (memfd, MAP_HUGETLB). */
    readonly mount: Mount | null,
  ) {
    this.linked = kind === 'file';
  }

  get spool(): Subpool | null {
    return this.mount?.spool ?? null;
  }

  /** Nothing keeps it: no name, no descriptor, no mapping. */
  get unused(): boolean {
    return !this.linked && this.fds === 0 && this.vmas === 0;
  }
}

export interface Vma {
  start: number;
  end: number;
  /** File index of start (vm_pgoff in huge pages). */
  pgoff: number;
  inode: Inode;
  /** VM_MAYSHARE. */
  shared: boolean;
  /** VM_NORESERVE. */
  noreserve: boolean;
  writable: boolean;
  /** A private mapping's reserve map (vm_private_data): no entry means a reservation exists. */
  resv: ResvMap | null;
  /** HPAGE_RESV_OWNER: the task that mmapped it, which owns the reservations. */
  owner: boolean;
  /** HPAGE_RESV_UNMAPPED: the owner took a page away from this (child) VMA in a failed COW. */
  unmapped: boolean;
  /** VM_DONTCOPY (MADV_DONTFORK, from overcommit's madvise): fork leaves it out. */
  dontcopy?: boolean;
}

/** The huge-page index a VMA maps at an address. */
export const vmaIndex = (v: Vma, addr: number): number => v.pgoff + (addr - v.start);

export type { Extent as Mapping } from '../core/named.ts';

/** Where top-down placement starts (mmap_base), in huge pages. */
const MMAP_TOP = 1 << 30;

export class Mm extends AddressSpace<Vma> {
  /** Page-table entries by address. */
  ptes = new Map<number, HPage>();
  /** Files this process holds a descriptor for, by name. */
  fds = new Set<string>();
  /**
   * The process's table of file names (as the probe keeps one per process, inherited at
   * fork): the inode each name was made for, open or not, kept after the inode is gone.
   */
  files = new Map<string, Inode>();
  /** The process's table of mount names, inherited at fork like the file table. */
  mounts = new Map<string, Mount>();

  /**
   * Top-down placement (the default mmap layout): the highest gap below mmap_base that fits,
   * so a new mapping can reuse a hole a munmap left, as the kernel places it. The search asks
   * for the length plus the alignment slack (a huge page less a base page): between huge-page
   * aligned hugetlb VMAs a gap of n pages takes a mapping of at most n - 1 pages, at its top.
   */
  place(pages: number): number {
    const top = this.highestGap(pages + 1, MMAP_TOP);
    // No gap fits: below the lowest VMA all the same.
    return (top >= 0 ? top : Math.min(MMAP_TOP, this.lowest ?? MMAP_TOP)) - pages;
  }

  /** The pieces of a split private VMA share its reserve map; each holds the inode. */
  protected dup(v: Vma): Vma {
    const tail = clone(v);
    const m = v.inode.mapped;
    m.splice(m.indexOf(v), 1);
    m.push(v, tail);
    return tail;
  }

  /** fork: the child's copy; private VMAs lose their reserve map and flags (hugetlb_dup_vma_private). */
  copy(): Mm {
    const kept = this.vmas().filter((v) => !v.dontcopy);
    const copies = kept.map((v) => {
      const c = clone(v);
      const m = v.inode.mapped;
      m.splice(m.indexOf(v) + 1, 0, c);
      c.resv = null;
      c.owner = false;
      c.unmapped = false;
      return c;
    });
    const child = this.forkInto(new Mm(), copies);
    // Page-table entries lie inside VMAs: with every VMA copied, every entry is.
    if (kept.length === this.vmaCount) child.ptes = new Map(this.ptes);
    else {
      for (const [addr, page] of this.ptes) {
        const v = this.find(addr);
        if (v && !v.dontcopy) child.ptes.set(addr, page);
      }
    }
    for (const page of child.ptes.values()) page.mappers++;
    child.fds = new Set(this.fds);
    child.files = new Map(this.files);
    child.mounts = new Map(this.mounts);
    return child;
  }
}

/** A copy of a VMA, every field of it (the optional ones too). */
function clone(v: Vma): Vma {
  return {
    start: v.start, end: v.end, pgoff: v.pgoff, inode: v.inode, shared: v.shared, noreserve: v.noreserve,
    writable: v.writable, resv: v.resv, owner: v.owner, unmapped: v.unmapped, dontcopy: v.dontcopy,
  };
}
