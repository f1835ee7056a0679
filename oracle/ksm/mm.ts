// What the KSM model's processes are made of: their mappings (regions of virtual pages, split
// into VMAs), the physical pages (frames) those map, and the rmap items and stable nodes
// ksmd keeps for them.
import { ImplError } from '../core/errors.ts';
import type { Content } from './content.ts';
import type { RbNode } from './rbtree.ts';

/** Pages left unmapped between two mappings of a process (so they never share a VMA). */
export const GAP = 512;
/** Where a process's first mapping goes. */
const BASE = 1 << 20;

export interface Frame {
  id: number;
  content: Content;
  /** Page table entries mapping it. None left: it is freed. */
  mapcount: number;
  /** A KSM page (PageKsm): write-protected, copied on write. */
  ksm: boolean;
  /** page->mapping of a KSM page: its stable node (null until stable_tree_insert links one). */
  node: StableNode | null;
  /** A page of a shared (shmem) mapping: never anonymous, never merged. */
  shmem: boolean;
}

export type Pte = { frame: Frame } | { zero: true; ksm: boolean };

export interface VPage {
  pte: Pte | null;
  /** The page's VMA has VM_MERGEABLE. */
  mergeable: boolean;
}

/** A VMA of a mapping: its pages [start, end), and its anon_vma (0: none yet). */
export interface Vma {
  start: number;
  end: number;
  mergeable: boolean;
  anon: number;
  /** Its anon_vma chain links a parent's too (a fork's copy): it merges with no anon_vma-less neighbour. */
  cloned: boolean;
}

export interface Region {
  name: string;
  base: number;
  pages: number;
  shared: boolean;
  /** Each page of the mapping; null where it was unmapped. */
  vp: (VPage | null)[];
  /** Its VMAs, in order (a VMA's pages are all mergeable or none). */
  vmas: Vma[];
  /** A shared mapping's object: its pages, whoever maps them (fork shares it). */
  shm: (Frame | null)[] | null;
}

export type ItemState = 'none' | 'unstable' | 'stable';

export interface RmapItem {
  mm: Mm;
  addr: number;
  /** The checksum ksmd last took (content stands for it): null before the first visit. */
  old: Content | null;
  age: number;
  skips: number;
  state: ItemState;
  /** unstable: the pass it was inserted in (low 8 bits of seqnr). */
  seq: number;
  head: StableNode | null;
  rb: RbNode<RmapItem> | null;
  next: RmapItem | null;
}

export interface StableNode {
  id: number;
  chain: boolean;
  /** The KSM page of a regular node or dup. */
  frame: Frame | null;
  items: Set<RmapItem>;
  /** rmap_hlist_len. */
  len: number;
  /** A chain's dups, the list's head first. */
  dups: StableNode[];
  /** The chain a dup belongs to. */
  of: StableNode | null;
  /** Its place in the stable tree (regular nodes and chains). */
  rb: RbNode<StableNode> | null;
}

export class Mm {
  regions: Region[] = [];
  next = BASE;
  /** MMF_VM_MERGEABLE: the process has a slot on ksmd's list. */
  registered = false;
  /** MMF_VM_MERGE_ANY (PR_SET_MEMORY_MERGE). */
  mergeAny = false;
  exited = false;
  /** The rmap_list: items in address order. */
  head: RmapItem | null = null;
  rmapItems = 0;
  mergingPages = 0;
  zeroPages = 0;
  constructor(
    readonly name: string,
    /** The harness's keepalive: a never-touched mergeable area, so ksmd's list is never empty. */
    readonly keepalive = false,
  ) {}

  region(name: string): Region {
    const r = this.regions.find((x) => x.name === name);
    if (!r) throw new ImplError('invalid', `no mapping '${name}' in process '${this.name}' (have: ${this.regions.map((x) => x.name).join(', ') || 'none'})`);
    return r;
  }

  /** The virtual page at an address, with its mapping. */
  at(addr: number): { r: Region; i: number; v: VPage | null } | null {
    for (const r of this.regions) if (addr >= r.base && addr < r.base + r.pages) return { r, i: addr - r.base, v: r.vp[addr - r.base]! };
    return null;
  }

  item(addr: number): RmapItem | null {
    for (let it = this.head; it; it = it.next) if (it.addr === addr) return it;
    return null;
  }
}
