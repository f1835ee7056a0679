// One process's address space as far as accounting cares: VMAs with the flags the kernel
// keeps (VM_ACCOUNT, VM_NORESERVE, VM_DONTCOPY, an anon_vma), the objects behind them, and
// the named mappings the scenario made. Addresses and sizes are in 4 KiB pages.
//
// The layout is the probe's and the kernel's: every mapping but a hugetlb one sits between
// two PROT_NONE guard mappings (private, anonymous, MAP_NORESERVE), so it has no room to grow
// in place and merges with nothing but a guard of the same flags; the kernel hands out
// address space top down, so a new mapping, or one mremap moves, takes the highest free gap
// that fits, which may be a hole an earlier munmap left.
import type { Prot } from '../../spec/mechanisms/overcommit/types.ts';
import { AddressSpace } from '../core/address-space.ts';

export type Backing = 'anon' | 'file' | 'zero' | 'hugetlb';

/** Pages in a PMD (2 MiB): the probe's alignment of mappings, and a THP's size. */
export const PMD_PAGES = 512;

/**
 * What a shared or file mapping maps: a regular file of fixed size, the /dev/zero file of a
 * private mapping, or the shmem object behind a shared anonymous or /dev/zero mapping, whose
 * charge lives here and not in its VMAs.
 */
export interface MemObject {
  kind: 'file' | 'zero' | 'shmem';
  /** Size in pages (i_size); a fault at or past it is SIGBUS. */
  pages: number;
  /**
   * Charged one page at a time as pages are allocated: a VM_NORESERVE shmem object, or a
   * file on tmpfs (whose files are all VM_NORESERVE).
   */
  noreserve: boolean;
  /** Pages charged (the whole size, or one per allocated page); given back when it goes. */
  charged: number;
  /** Indices allocated so far (a fault allocates, read or write). */
  allocated: Set<number>;
  /** VMAs (in any process) that map it. */
  refs: number;
  /** Open descriptors: the probe keeps a mapping's file open as long as it keeps the name. */
  fds: number;
}

export const newObject = (kind: MemObject['kind'], pages: number, noreserve: boolean, fds = 0): MemObject => ({
  kind, pages, noreserve, charged: 0, allocated: new Set(), refs: 1, fds,
});

/** map: a scenario mapping; guard: the probe's PROT_NONE neighbours; heap: brk. */
export type Role = 'map' | 'guard' | 'heap';

export interface Vma {
  start: number;
  end: number;
  /** Page offset into obj. */
  pgoff: number;
  role: Role;
  prot: Prot;
  shared: boolean;
  backing: Backing;
  /** VM_ACCOUNT: the VMA's pages are charged to Committed_AS. */
  account: boolean;
  /** VM_NORESERVE. */
  noreserve: boolean;
  /** VM_DONTCOPY (MADV_DONTFORK). */
  dontcopy: boolean;
  /** The anon_vma (0: none): made by the first fault that needs an anonymous page. */
  anonVma: number;
  /** A fork child's copy of a VMA that had an anon_vma: its anon_vma chain also links the
   * parent's, so it is not singular (merges that would share the lock are refused). */
  forked: boolean;
  /** null for private anonymous memory (guards, heap and MAP_ANONYMOUS|MAP_PRIVATE). */
  obj: MemObject | null;
  /** A hugetlb VMA: the name its mapping has in the hugetlb model, and where that mapping began. */
  huge?: { name: string; base: number };
}

export type { Extent as Mapping } from '../core/named.ts';

const alignUp = (page: number): number => Math.ceil(page / PMD_PAGES) * PMD_PAGES;

let anonVmas = 0;
export const newAnonVma = (): number => ++anonVmas;

/** vma_is_anonymous: no vm_ops; private /dev/zero mappings become anonymous too. */
export const isAnonymous = (v: Vma): boolean => !v.shared && (v.obj === null || v.obj.kind === 'zero') && v.backing !== 'hugetlb';

/**
 * Whether the anon_vmas of two VMAs let them merge: src is the range just changed (or made),
 * tgt the neighbour it would merge into. One anon_vma for both is fine, none for both too. A
 * neighbour with one takes src in unless it is a fork child's copy. A src with one and a
 * neighbour without: refused on older kernels; newer ones give the neighbour a copy, unless
 * src is a fork child's copy (copiesAnonVma asks whether this kernel does).
 */
function anonVmasMerge(src: Vma, tgt: Vma, copiesAnonVma: () => boolean): boolean {
  if (src.anonVma && tgt.anonVma) return src.anonVma === tgt.anonVma;
  if (!src.anonVma && !tgt.anonVma) return true;
  if (tgt.anonVma) return !tgt.forked;
  return !src.forked && copiesAnonVma();
}

/** Whether two adjacent VMAs are one to the kernel's vma_merge (src: the one just changed). */
function mayMerge(a: Vma, b: Vma, src: Vma, copiesAnonVma: () => boolean): boolean {
  if (a.backing === 'hugetlb' || b.backing === 'hugetlb' || a.role === 'heap' !== (b.role === 'heap')) return false;
  if (a.prot !== b.prot || a.shared !== b.shared || a.account !== b.account || a.noreserve !== b.noreserve || a.dontcopy !== b.dontcopy) return false;
  if (a.obj !== b.obj) return false;
  // An anonymous VMA's offset is its virtual page when it was made: after a move the two
  // can touch without following on (vma_merge checks the offsets of every kind).
  if (b.pgoff !== a.pgoff + (a.end - a.start)) return false;
  return anonVmasMerge(src, src === a ? b : a, copiesAnonVma);
}

/** One of the probe's PROT_NONE guards (private, anonymous, MAP_NORESERVE but in mode 2). */
const guard = (start: number, end: number, noreserve: boolean): Vma => ({
  start, end, pgoff: start, role: 'guard', prot: 'none', shared: false, backing: 'anon',
  account: false, noreserve, dontcopy: false, anonVma: 0, forked: false, obj: null,
});

/**
 * Top of the address space a process's mappings take (the probe's own libraries sit above
 * it), in two tiers. Mappings go below 2^30 pages (4 TiB) while they fit there: page numbers
 * then stay small integers to the JavaScript engine, where above it every address is a boxed
 * double that made a step a fifth slower. Only a mapping that fits nowhere below (terabytes
 * in mode 1) goes higher, up to 2^36. No step shows an address: only where mappings lie
 * relative to one another counts, and holes are found again either way.
 */
const CEILING = 2 ** 30;
const TOP = 2 ** 36;

export class Mm extends AddressSpace<Vma> {
  brkStart = 1 << 20;
  brk = this.brkStart;
  /** The files the process holds open, by the name of the mapping they back. */
  files = new Map<string, MemObject>();

  /** VMAs counted in total_vm (the process's own ones are added by the caller). */
  totalVm(): number {
    return this.pages;
  }

  /** Every field of Vma, the optional ones too. */
  protected dup(v: Vma): Vma {
    const tail: Vma = {
      start: v.start, end: v.end, pgoff: v.pgoff, role: v.role, prot: v.prot, shared: v.shared, backing: v.backing,
      account: v.account, noreserve: v.noreserve, dontcopy: v.dontcopy, anonVma: v.anonVma, forked: v.forked, obj: v.obj,
    };
    if (v.huge) tail.huge = v.huge;
    if (tail.obj) tail.obj.refs++;
    return tail;
  }

  /** Whether merging gives a neighbour without an anon_vma a copy of src's (the model decides by release). */
  copiesAnonVma: () => boolean = () => true;

  /**
   * Merges what may merge around [from, to), the range just changed: a VMA inside it merges
   * into its lower neighbour, the last one also into its upper one. A VMA folded into another
   * drops its reference.
   */
  settle(from: number, to: number): void {
    this.mergeAround(from, to);
  }

  /** src, the VMA just changed, is the one of the two inside [from, to). */
  protected override mayMerge(a: Vma, b: Vma, from: number, to: number): boolean {
    return mayMerge(a, b, b.start >= from && b.end <= to ? b : a, this.copiesAnonVma);
  }

  /** b's anon_vma goes to a, and its reference to the object is dropped. */
  protected override join(a: Vma, b: Vma): void {
    a.anonVma ||= b.anonVma;
    a.forked ||= b.forked;
    if (b.obj) b.obj.refs--;
  }

  /**
   * vm_unmapped_area, top down: the top of the highest free gap that holds len + pad pages,
   * aligned down to align pages. Freed ranges are found again: a new mapping can land in
   * what an earlier munmap left.
   */
  private topDown(len: number, align = 1, pad = 0): number {
    let top = this.highestGap(len + pad, CEILING);
    if (top < 0) top = this.highestGap(len + pad, TOP);
    if (top < 0) throw new Error('address space exhausted');
    return Math.floor((top - len) / align) * align;
  }

  /**
   * thp_get_unmapped_area, top down: when the offsets [off, off + len) (in pages) hold a whole
   * aligned PMD, room for len pages and a PMD more at the top of the highest gap, then the
   * first address above its bottom whose place in a PMD is the offset's (the bottom itself is
   * passed over for the next PMD boundary); else the plain search.
   */
  private thpPlace(len: number, off: number): number {
    if (off + len - Math.ceil(off / PMD_PAGES) * PMD_PAGES < PMD_PAGES) return this.topDown(len);
    const bottom = this.topDown(len + PMD_PAGES);
    const sub = (((off - bottom) % PMD_PAGES) + PMD_PAGES) % PMD_PAGES;
    return bottom + (sub || PMD_PAGES);
  }

  /**
   * Places a new mapping as the probe does: inside a PROT_NONE reservation one PMD larger
   * on each side, at the first PMD boundary past its first page, so that guards are left on
   * both sides (guardNoreserve: their VM_NORESERVE). thpAlign: the reservation itself is
   * THP-aligned when its length is whole PMDs (kernels since 6.7). Hugetlb mappings come
   * without guards, at a huge page boundary.
   */
  placeMapping(v: Vma, how: { guards: boolean; guardNoreserve: boolean; thpAlign: boolean }): void {
    const pages = v.end - v.start;
    if (!how.guards) {
      v.start = this.topDown(pages, PMD_PAGES, PMD_PAGES - 1);
    } else {
      const len = pages + 2 * PMD_PAGES;
      const res = how.thpAlign && len % PMD_PAGES === 0 ? this.topDown(len, PMD_PAGES, PMD_PAGES) : this.topDown(len);
      v.start = alignUp(res + 1);
      this.insert(guard(res, v.start, how.guardNoreserve));
      this.insert(guard(v.start + pages, res + len, how.guardNoreserve));
    }
    v.end = v.start + pages;
    if (!v.obj) v.pgoff = v.start; // an anonymous mapping's offset is its address
    this.insert(v);
    this.settle(v.start - PMD_PAGES * 2, v.end + PMD_PAGES * 2);
  }

  /**
   * Where mremap moves a mapping, grown to `pages` (get_unmapped_area): the top of the highest
   * gap it fits, THP-aligned when the caller says so (private anonymous memory of whole PMDs;
   * private /dev/zero and disk files of one PMD or more, on newer kernels). The search runs
   * while v still holds the old range, which is unmapped only after the move: the copy lands
   * below it, and the old range is left as a hole above the copy.
   */
  placeMoved(v: Vma, pages: number, thp: { anon: boolean; file: boolean }): void {
    const anon = v.obj === null && !v.shared;
    const aligned = (thp.anon && anon) || thp.file;
    // The search is told the VMA's offset: an aligned copy keeps its place in a PMD.
    const start = aligned ? this.thpPlace(pages, v.pgoff) : this.topDown(pages);
    this.remove(v);
    // copy_vma: an anonymous VMA (private /dev/zero too) never faulted takes its new address
    // as offset, to merge there; one with an anon_vma keeps the offset its pages were made under.
    if ((!v.obj || (v.obj.kind === 'zero' && !v.shared)) && !v.anonVma) v.pgoff = start;
    v.start = start;
    v.end = start + pages;
    this.insert(v);
    this.settle(v.start, v.end);
  }

  /** fork: copies of every VMA not marked MADV_DONTFORK; anonymous memory gets its own anon_vma. */
  copy(): Mm {
    const vmas = this.vmas().filter((v) => !v.dontcopy).map((v) => {
      const c = this.dup(v);
      c.anonVma = v.anonVma ? newAnonVma() : 0;
      c.forked = v.forked || !!v.anonVma;
      return c;
    });
    const child = this.forkInto(new Mm(), vmas);
    child.copiesAnonVma = this.copiesAnonVma;
    child.files = new Map(this.files);
    for (const o of child.files.values()) o.fds++;
    child.brkStart = this.brkStart;
    child.brk = this.brk;
    return child;
  }
}
