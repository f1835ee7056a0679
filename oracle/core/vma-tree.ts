// The VMAs of an address space in a B-tree keyed by address whose nodes record the largest
// free gap inside them, as the kernel's maple tree does (maple_arange_64 nodes keep their
// children's largest gaps): vm_unmapped_area goes down only into nodes with room, so finding
// the highest gap that fits costs O(log n) however many VMAs a process holds, and so do
// lookups, inserts and removals. Leaves are linked, so walking VMAs in address order (the
// kernel's vma_next/vma_prev) needs no search.
//
// A change passes up the path from its leaf only as far as some node's bounds or largest gap
// change, and each node on the way is updated from what the change took away and added
// (O(1)); only when the gap that was a node's largest is gone does the node look at all of
// its entries again.

/** What the tree needs of a VMA: [start, end), in pages; VMAs never overlap. */
export interface Range {
  start: number;
  end: number;
}

/** Most entries a node holds (VMAs in a leaf, children in an inner node), and fewest besides the root. */
const MAX = 48;
const MIN = MAX / 4;

/** No gap: below every real one (they are 0 or more). */
const NONE = -1;

/** A leaf holds VMAs (kids null); an inner node holds children (vmas null). One shape for both keeps property access monomorphic. */
class Node<V extends Range> {
  /** Start of the first VMA below this node, end of the last one. */
  lo = 0;
  hi = 0;
  /** The largest free gap between two VMAs below this node (0 when they all touch). */
  gap = 0;
  /** The neighbouring leaves, in address order (leaves only). */
  prev: Node<V> | null = null;
  next: Node<V> | null = null;

  constructor(
    public vmas: V[] | null,
    public kids: Node<V>[] | null,
  ) {}

  get count(): number {
    return this.vmas ? this.vmas.length : this.kids!.length;
  }
}

// The gap between a leaf's VMAs i-1 and i (none at either end). Leaves and inner nodes get
// loops of their own below: those run over every entry of a node, and testing the node's
// kind at each entry cost a tenth of a step.
const leafGap = <V extends Range>(a: V[], i: number): number => (i > 0 && i < a.length ? a[i]!.start - a[i - 1]!.end : NONE);

/** Recomputes a node's bounds and largest gap from all its entries. */
function pull<V extends Range>(n: Node<V>): void {
  let gap = 0;
  const a = n.vmas;
  if (a) {
    const count = a.length;
    if (!count) {
      n.lo = n.hi = n.gap = 0;
      return;
    }
    let end = a[0]!.end;
    for (let i = 1; i < count; i++) {
      const v = a[i]!;
      if (v.start - end > gap) gap = v.start - end;
      end = v.end;
    }
    n.lo = a[0]!.start;
    n.hi = end;
  } else {
    const k = n.kids!;
    const count = k.length;
    let hi = k[0]!.hi;
    gap = k[0]!.gap;
    for (let i = 1; i < count; i++) {
      const kid = k[i]!;
      if (kid.lo - hi > gap) gap = kid.lo - hi;
      if (kid.gap > gap) gap = kid.gap;
      hi = kid.hi;
    }
    n.lo = k[0]!.lo;
    n.hi = hi;
  }
  n.gap = gap;
}

/**
 * Brings a node's record up to date after an edit of its entries that took away gaps up to
 * `lost` and added gaps up to `added`: its largest gap is then the added one, the one it
 * had, or (only when the largest one went) found by looking at every entry.
 */
function refresh<V extends Range>(n: Node<V>, lost: number, added: number): void {
  const a = n.vmas;
  if (a) {
    if (!a.length) return pull(n);
    n.lo = a[0]!.start;
    n.hi = a[a.length - 1]!.end;
  } else {
    const k = n.kids!;
    if (!k.length) return pull(n);
    n.lo = k[0]!.lo;
    n.hi = k[k.length - 1]!.hi;
  }
  if (added >= n.gap) n.gap = added;
  else if (lost >= n.gap) pull(n);
}

// splice allocates the array of what it removed; these only move the entries along.
function insertAt<T>(a: T[], i: number, x: T): void {
  a.push(x);
  for (let j = a.length - 1; j > i; j--) a[j] = a[j - 1]!;
  a[i] = x;
}

function removeAt<T>(a: T[], i: number): void {
  for (let j = i + 1; j < a.length; j++) a[j - 1] = a[j]!;
  a.pop();
}

/** The index of the first VMA of a sorted leaf starting at or above start (its length when none does). */
function firstStartingAt<V extends Range>(a: V[], start: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (a[mid]!.start < start) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The entries of an array split into about equal parts of at most `most`. */
function chunks<T>(items: T[], most: number): T[][] {
  const parts = Math.max(1, Math.ceil(items.length / most));
  const out: T[][] = [];
  for (let p = 0, at = 0; p < parts; p++) {
    const to = Math.round(((p + 1) * items.length) / parts);
    out.push(items.slice(at, to));
    at = to;
  }
  return out;
}

/** A position in the tree (the kernel's vma_iterator): a leaf and an index in it, possibly one past the last VMA. */
export class VmaIterator<V extends Range> {
  constructor(
    private leaf: Node<V>,
    private i: number,
  ) {}

  /** Returns the VMA here and moves to the next (vma_next); undefined past the last one. */
  next(): V | undefined {
    const v = this.leaf.vmas![this.i];
    if (v === undefined) return undefined;
    if (++this.i === this.leaf.vmas!.length && this.leaf.next) {
      this.leaf = this.leaf.next;
      this.i = 0;
    }
    return v;
  }

  /** Moves to the VMA before this position and returns it (vma_prev); undefined, staying put, at the first. */
  prev(): V | undefined {
    if (this.i > 0) return this.leaf.vmas![--this.i];
    const p = this.leaf.prev;
    if (!p) return undefined;
    this.leaf = p;
    this.i = p.vmas!.length - 1;
    return p.vmas![this.i];
  }
}

export class VmaTree<V extends Range> {
  private root = new Node<V>([], null);
  /** VMAs held. */
  size = 0;
  // The path of the last walk down from the root: the nodes (depth of them, 0 when none is
  // kept) and the child taken in each. It stays good while no node is split or joined, so an
  // operation near the last one starts from its leaf instead of the root.
  private readonly path: Node<V>[] = [];
  private readonly slots: number[] = [];
  private depth = 0;
  /** The index seek found in its leaf. */
  private at = 0;

  /** A tree of VMAs already sorted and apart (fork's copy of an address space), built bottom up in O(n). */
  static from<V extends Range>(sorted: V[]): VmaTree<V> {
    const t = new VmaTree<V>();
    if (!sorted.length) return t;
    // Nodes three-quarters full: room to grow and to shrink before they split or join.
    const fill = (MAX * 3) / 4;
    let level = chunks(sorted, fill).map((vmas) => new Node<V>(vmas, null));
    for (let i = 0; i < level.length; i++) {
      pull(level[i]!);
      level[i]!.prev = level[i - 1] ?? null;
      level[i]!.next = level[i + 1] ?? null;
    }
    while (level.length > 1) {
      level = chunks(level, fill).map((kids) => {
        const n = new Node<V>(null, kids);
        pull(n);
        return n;
      });
    }
    t.root = level[0]!;
    t.size = sorted.length;
    return t;
  }

  /** The position of the first VMA ending after page (vma_find): the one holding it, or the next above it. */
  iter(page: number): VmaIterator<V> {
    const leaf = this.seek(page);
    return new VmaIterator(leaf, this.at);
  }

  /** The VMAs meeting [start, end), in address order (walking the leaves: no iterator to make). */
  meeting(start: number, end: number): V[] {
    const out: V[] = [];
    for (let leaf: Node<V> | null = this.seek(start), at = this.at; leaf; leaf = leaf.next, at = 0) {
      const a = leaf.vmas!;
      for (let i = at; i < a.length; i++) {
        if (a[i]!.start >= end) return out;
        out.push(a[i]!);
      }
    }
    return out;
  }

  /** The first VMA ending after page. */
  findFrom(page: number): V | undefined {
    return this.seek(page).vmas![this.at];
  }

  /** The lowest VMA's start (undefined when there is none). */
  get lowest(): number | undefined {
    return this.size ? this.root.lo : undefined;
  }

  /** Every VMA, in address order. */
  toArray(): V[] {
    let n = this.root;
    while (n.kids) n = n.kids[0]!;
    const out: V[] = [];
    for (let leaf: Node<V> | null = n; leaf; leaf = leaf.next) for (const v of leaf.vmas!) out.push(v);
    return out;
  }

  insert(v: V): void {
    const leaf = this.descend(v.start);
    const a = leaf.vmas!;
    const i = firstStartingAt(a, v.start);
    const { lo: lo0, hi: hi0, gap: gap0 } = leaf;
    const lost = leafGap(a, i); // the gap v lands in, between its neighbours-to-be
    insertAt(a, i, v);
    this.size++;
    if (a.length > MAX) return this.repair();
    refresh(leaf, lost, Math.max(leafGap(a, i), leafGap(a, i + 1)));
    this.bubble(lo0, hi0, gap0);
  }

  /** Takes v out; false (and nothing changes) when v is not in the tree. */
  remove(v: V): boolean {
    const leaf = this.descend(v.start);
    const a = leaf.vmas!;
    const i = this.indexOf(a, v);
    if (i < 0) return false;
    const { lo: lo0, hi: hi0, gap: gap0 } = leaf;
    const lost = Math.max(leafGap(a, i), leafGap(a, i + 1));
    removeAt(a, i);
    this.size--;
    if (a.length < MIN && this.depth > 1) {
      this.repair();
      return true;
    }
    refresh(leaf, lost, leafGap(a, i));
    this.bubble(lo0, hi0, gap0);
    return true;
  }

  /** Moves the end of a VMA in the tree (it must stay clear of the next one). */
  setEnd(v: V, end: number): void {
    const leaf = this.descend(v.start);
    const a = leaf.vmas!;
    const i = this.indexOf(a, v);
    if (i < 0) throw new Error('setEnd: the VMA is not in the tree');
    const { lo: lo0, hi: hi0, gap: gap0 } = leaf;
    const lost = leafGap(a, i + 1);
    v.end = end;
    refresh(leaf, lost, leafGap(a, i + 1));
    this.bubble(lo0, hi0, gap0);
  }

  /**
   * Splits v in two (__split_vma): v keeps [start, tail.start) and tail, which ends where v
   * ends, goes right after it. Nothing but the leaf changes: the two touch, so no gap is made
   * or lost.
   */
  split(v: V, tail: V): void {
    const a = this.descend(v.start).vmas!;
    const i = this.indexOf(a, v);
    if (i < 0 || tail.end !== v.end || !(tail.start > v.start && tail.start < v.end)) throw new Error('split: the tail does not cut a VMA of the tree');
    v.end = tail.start;
    insertAt(a, i + 1, tail);
    this.size++;
    if (a.length > MAX) this.repair();
  }

  /**
   * Folds b, the VMA right after a and touching it, into a (a ends where b ended). In one
   * leaf this changes no bound and no gap.
   */
  absorbNext(a: V, b: V): void {
    const leaf = this.descend(a.start);
    const vmas = leaf.vmas!;
    const i = this.indexOf(vmas, a);
    if (i < 0 || vmas[i + 1] !== b || a.end !== b.start) {
      if (i < 0 || a.end !== b.start || this.findFrom(a.end) !== b) throw new Error('absorbNext: b is not the VMA right after a');
      // b starts the next leaf.
      this.remove(b);
      this.setEnd(a, b.end);
      return;
    }
    removeAt(vmas, i + 1);
    a.end = b.end;
    this.size--;
    if (vmas.length < MIN && this.depth > 1) this.repair();
  }

  /**
   * vm_unmapped_area, top down: the top of the highest free gap below ceiling that holds
   * need pages, or -1 when none does. The gaps are those between VMAs, the one above the
   * last VMA up to the ceiling and the one below the first down to 0; a gap reaching above
   * the ceiling counts up to the ceiling only.
   */
  highestGap(need: number, ceiling: number): number {
    if (!this.size) return ceiling >= need ? ceiling : -1;
    const r = this.root;
    if (ceiling - r.hi >= need) return ceiling;
    const top = r.gap >= need && r.lo < ceiling ? this.gapIn(r, need, ceiling) : -1;
    if (top >= 0) return top;
    const bottom = Math.min(ceiling, r.lo);
    return bottom >= need ? bottom : -1;
  }

  /** The top of the highest gap inside n (between two of its VMAs) holding need pages below ceiling, or -1. */
  private gapIn(n: Node<V>, need: number, ceiling: number): number {
    const k = n.kids;
    if (!k) {
      const a = n.vmas!;
      for (let i = a.length - 1; i > 0; i--) {
        const top = Math.min(ceiling, a[i]!.start);
        if (top - a[i - 1]!.end >= need) return top;
      }
      return -1;
    }
    // From the top child down: inside it (only if it has room below the ceiling), then the gap below it.
    for (let i = k.length - 1; i >= 0; i--) {
      const kid = k[i]!;
      if (kid.gap >= need && kid.lo < ceiling) {
        const top = this.gapIn(kid, need, ceiling);
        if (top >= 0) return top;
      }
      if (i > 0) {
        const top = Math.min(ceiling, kid.lo);
        if (top - k[i - 1]!.hi >= need) return top;
      }
    }
    return -1;
  }

  /** The leaf holding the first VMA ending after page (the last leaf when none does); sets `at` to its index there. */
  private seek(page: number): Node<V> {
    const a = this.leafFor(page, true).vmas!;
    let lo = 0;
    let hi = a.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (a[mid]!.end > page) hi = mid;
      else lo = mid + 1;
    }
    this.at = lo;
    return this.path[this.depth - 1]!;
  }

  /** The index of v in a leaf (found by its start), or -1. */
  private indexOf(a: V[], v: V): number {
    const i = firstStartingAt(a, v.start);
    return a[i] === v ? i : -1;
  }

  /** The leaf where a VMA starting at `start` belongs (the last leaf starting at or below it, or the first), its path recorded. */
  private descend(start: number): Node<V> {
    return this.leafFor(start, false);
  }

  /**
   * The leaf for key, its path recorded: byEnd, the first leaf ending after key (the last
   * when none does); otherwise the last leaf starting at or below key (the first when none
   * does). The leaf of the kept path is taken when it is the one; else the walk starts at
   * the root.
   */
  private leafFor(key: number, byEnd: boolean): Node<V> {
    if (this.depth) {
      const leaf = this.path[this.depth - 1]!;
      const { prev, next } = leaf;
      if (byEnd ? (next === null || leaf.hi > key) && (prev === null || prev.hi <= key) : (prev === null || leaf.lo <= key) && (next === null || next.lo > key)) return leaf;
    }
    let d = 0;
    let n = this.root;
    while (n.kids) {
      const k = n.kids;
      let i: number;
      if (byEnd) {
        // The first child ending after key (the last when none does).
        let hi = k.length - 1;
        i = 0;
        while (i < hi) {
          const mid = (i + hi) >> 1;
          if (k[mid]!.hi > key) hi = mid;
          else i = mid + 1;
        }
      } else {
        // The last child starting at or below key (the first when none does).
        let lo = 1;
        let hi = k.length;
        while (lo < hi) {
          const mid = (lo + hi) >> 1;
          if (k[mid]!.lo <= key) lo = mid + 1;
          else hi = mid;
        }
        i = lo - 1;
      }
      this.path[d] = n;
      this.slots[d++] = i;
      n = k[i]!;
    }
    this.path[d++] = n;
    this.depth = d;
    return n;
  }

  /**
   * The leaf at the end of the recorded path has changed from (lo, hi, gap) to its present
   * record, its entries no more nor fewer than a node may hold: each ancestor is updated from
   * what its child took away and added, up to the first whose record stays the same.
   */
  private bubble(lo: number, hi: number, gap: number): void {
    for (let d = this.depth - 1; d > 0; d--) {
      const n = this.path[d]!;
      if (n.lo === lo && n.hi === hi && n.gap === gap) return;
      const p = this.path[d - 1]!;
      const k = p.kids!;
      const slot = this.slots[d - 1]!;
      // The child's own largest gap and the gaps between it and its siblings, before and now.
      const below = slot > 0 ? k[slot - 1]!.hi : null;
      const above = slot + 1 < k.length ? k[slot + 1]!.lo : null;
      const lost = Math.max(gap, below === null ? NONE : lo - below, above === null ? NONE : above - hi);
      const added = Math.max(n.gap, below === null ? NONE : n.lo - below, above === null ? NONE : above - n.hi);
      ({ lo, hi, gap } = p);
      refresh(p, lost, added);
    }
  }

  /** After the leaf at the end of the recorded path got too many or too few VMAs: splits, joins and records, bottom up. */
  private repair(): void {
    for (let d = this.depth - 1; d >= 0; d--) {
      const n = this.path[d]!;
      const parent = d > 0 ? this.path[d - 1]! : null;
      const slot = d > 0 ? this.slots[d - 1]! : 0;
      if (n.count > MAX) this.splitNode(n, parent, slot);
      else if (parent && n.count < MIN) this.joinNodes(parent, slot);
      else pull(n);
    }
    // An inner root left with one child gives way to it.
    while (this.root.kids && this.root.kids.length === 1) this.root = this.root.kids[0]!;
    this.depth = 0; // nodes were split or joined: the next operation starts from the root
  }

  /** Splits an overfull node in two halves; the new right half joins the parent (a new root above the old one). */
  private splitNode(n: Node<V>, parent: Node<V> | null, slot: number): void {
    const m = n.vmas ? new Node<V>(n.vmas.splice(n.vmas.length >> 1), null) : new Node<V>(null, n.kids!.splice(n.kids!.length >> 1));
    if (n.vmas) {
      m.prev = n;
      m.next = n.next;
      if (n.next) n.next.prev = m;
      n.next = m;
    }
    pull(n);
    pull(m);
    if (parent) insertAt(parent.kids!, slot + 1, m);
    else {
      this.root = new Node<V>(null, [n, m]);
      pull(this.root);
    }
  }

  /** The underfull child at slot and a sibling become one (split again in halves if that is too many). */
  private joinNodes(parent: Node<V>, slot: number): void {
    const k = parent.kids!;
    const at = slot > 0 ? slot - 1 : slot;
    const left = k[at]!;
    const right = k[at + 1]!;
    if (left.vmas) {
      left.vmas.push(...right.vmas!);
      left.next = right.next;
      if (right.next) right.next.prev = left;
    } else {
      left.kids!.push(...right.kids!);
    }
    removeAt(k, at + 1);
    if (left.count > MAX) this.splitNode(left, parent, at);
    else pull(left);
  }

  /** Problems with the tree's shape and records ([] when sound): for the tests. */
  problems(): string[] {
    const out: string[] = [];
    const leaves: Node<V>[] = [];
    const depths = new Set<number>();
    const walk = (n: Node<V>, depth: number, isRoot: boolean) => {
      if (!isRoot && (n.count < MIN || n.count > MAX)) out.push(`a node holds ${n.count} entries`);
      if (n.kids) for (const kid of n.kids) walk(kid, depth + 1, false);
      else {
        leaves.push(n);
        depths.add(depth);
      }
      const { lo, hi, gap } = n;
      pull(n);
      if (n.lo !== lo || n.hi !== hi || n.gap !== gap) out.push(`a node records ${lo},${hi},${gap} for ${n.lo},${n.hi},${n.gap}`);
    };
    walk(this.root, 0, true);
    if (depths.size > 1) out.push(`leaves at depths ${[...depths].join(', ')}`);
    for (let i = 0; i < leaves.length; i++) {
      if (leaves[i]!.prev !== (leaves[i - 1] ?? null) || leaves[i]!.next !== (leaves[i + 1] ?? null)) out.push(`leaf ${i} is linked wrong`);
    }
    const all = this.toArray();
    if (all.length !== this.size) out.push(`size ${this.size} but ${all.length} VMAs`);
    for (let i = 1; i < all.length; i++) if (all[i]!.start < all[i - 1]!.end) out.push(`VMAs ${i - 1} and ${i} overlap or are out of order`);
    return out;
  }
}
