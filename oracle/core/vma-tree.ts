// The VMAs of an address space in a B-tree keyed by address whose nodes record the largest
// free gap inside them, as the kernel's maple tree does (maple_arange_64 nodes keep their
// children's largest gaps): vm_unmapped_area goes down only into nodes with room, so finding
// the highest gap that fits costs O(log n) however many VMAs a process holds, and so do
// lookups, inserts and removals. Leaves are linked, so walking VMAs in address order (the
// kernel's vma_next/vma_prev) needs no search.

/** What the tree needs of a VMA: [start, end), in pages; VMAs never overlap. */
export interface Range {
  start: number;
  end: number;
}

/** Most entries a node holds (VMAs in a leaf, children in an inner node), and fewest besides the root. */
const MAX = 32;
const MIN = MAX / 4;

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

/** Recomputes a node's bounds and largest gap from its entries; whether they changed. */
function pull<V extends Range>(n: Node<V>): boolean {
  let lo = 0;
  let hi = 0;
  let gap = 0;
  const a = n.vmas;
  if (a) {
    if (a.length) {
      for (let i = 1; i < a.length; i++) {
        const g = a[i]!.start - a[i - 1]!.end;
        if (g > gap) gap = g;
      }
      lo = a[0]!.start;
      hi = a[a.length - 1]!.end;
    }
  } else {
    const k = n.kids!;
    gap = k[0]!.gap;
    for (let i = 1; i < k.length; i++) {
      const kid = k[i]!;
      const between = kid.lo - k[i - 1]!.hi;
      if (between > gap) gap = between;
      if (kid.gap > gap) gap = kid.gap;
    }
    lo = k[0]!.lo;
    hi = k[k.length - 1]!.hi;
  }
  if (n.lo === lo && n.hi === hi && n.gap === gap) return false;
  n.lo = lo;
  n.hi = hi;
  n.gap = gap;
  return true;
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

/** The entries of a node's array split into about equal parts of at most `most`. */
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

  /** The VMA here, or undefined past the last one. */
  get current(): V | undefined {
    return this.leaf.vmas![this.i];
  }

  /** Returns the VMA here and moves to the next (vma_next). */
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
  // The path of the last descent from the root, reused: the nodes (depth of them) and the
  // child taken in each.
  private readonly path: Node<V>[] = [];
  private readonly slots: number[] = [];
  private depth = 0;

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
    let n = this.root;
    while (n.kids) {
      const k = n.kids;
      let lo = 0;
      let hi = k.length - 1; // past every child: the last one, whose end is the position
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (k[mid]!.hi > page) hi = mid;
        else lo = mid + 1;
      }
      n = k[lo]!;
    }
    const a = n.vmas!;
    let lo = 0;
    let hi = a.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (a[mid]!.end > page) hi = mid;
      else lo = mid + 1;
    }
    return new VmaIterator(n, lo);
  }

  /** The first VMA ending after page. */
  findFrom(page: number): V | undefined {
    return this.iter(page).current;
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
    const a = this.descend(v.start).vmas!;
    let lo = 0;
    let hi = a.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (a[mid]!.start < v.start) lo = mid + 1;
      else hi = mid;
    }
    insertAt(a, lo, v);
    this.size++;
    this.repair();
  }

  /** Takes v out; false (and nothing changes) when v is not in the tree. */
  remove(v: V): boolean {
    const a = this.descend(v.start).vmas!;
    const i = this.indexOf(a, v);
    if (i < 0) return false;
    removeAt(a, i);
    this.size--;
    this.repair();
    return true;
  }

  /** Moves the end of a VMA in the tree (it must stay clear of the next one). */
  setEnd(v: V, end: number): void {
    const leaf = this.descend(v.start);
    if (this.indexOf(leaf.vmas!, v) < 0) throw new Error('setEnd: the VMA is not in the tree');
    v.end = end;
    for (let d = this.depth - 1; d >= 0 && pull(this.path[d]!); d--);
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
    const top = this.gapIn(r, need, ceiling);
    if (top >= 0) return top;
    const bottom = Math.min(ceiling, r.lo);
    return bottom >= need ? bottom : -1;
  }

  /** The top of the highest gap inside n (between two of its VMAs) holding need pages below ceiling, or -1. */
  private gapIn(n: Node<V>, need: number, ceiling: number): number {
    if (n.gap < need || n.lo >= ceiling) return -1;
    const a = n.vmas;
    if (a) {
      for (let i = a.length - 1; i > 0; i--) {
        const top = Math.min(ceiling, a[i]!.start);
        if (top - a[i - 1]!.end >= need) return top;
      }
      return -1;
    }
    const k = n.kids!;
    for (let j = k.length - 1; j >= 0; j--) {
      const inside = this.gapIn(k[j]!, need, ceiling);
      if (inside >= 0) return inside;
      if (j > 0) {
        const top = Math.min(ceiling, k[j]!.lo);
        if (top - k[j - 1]!.hi >= need) return top;
      }
    }
    return -1;
  }

  /** The index of v in a leaf (found by its start), or -1. */
  private indexOf(a: V[], v: V): number {
    let lo = 0;
    let hi = a.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (a[mid]!.start < v.start) lo = mid + 1;
      else hi = mid;
    }
    return a[lo] === v ? lo : -1;
  }

  /** Goes down to the leaf where a VMA starting at `start` belongs, recording the path. */
  private descend(start: number): Node<V> {
    let d = 0;
    let n = this.root;
    while (n.kids) {
      const k = n.kids;
      // The last child starting at or below start (the first when none does).
      let lo = 1;
      let hi = k.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (k[mid]!.lo <= start) lo = mid + 1;
        else hi = mid;
      }
      this.path[d] = n;
      this.slots[d++] = lo - 1;
      n = k[lo - 1]!;
    }
    this.path[d++] = n;
    this.depth = d;
    return n;
  }

  /**
   * After the leaf at the end of the recorded path gained or lost a VMA: splits, joins and
   * bounds, bottom up, as far as something changes.
   */
  private repair(): void {
    for (let d = this.depth - 1; d >= 0; d--) {
      const n = this.path[d]!;
      const parent = d > 0 ? this.path[d - 1]! : null;
      const slot = d > 0 ? this.slots[d - 1]! : 0;
      if (n.count > MAX) this.split(n, parent, slot);
      else if (parent && n.count < MIN) this.join(parent, slot);
      else if (!pull(n)) break; // the same bounds and gap: nothing above changes
    }
    // An inner root left with one child gives way to it.
    while (this.root.kids && this.root.kids.length === 1) this.root = this.root.kids[0]!;
  }

  /** Splits an overfull node in two halves; the new right half joins the parent (a new root above the old one). */
  private split(n: Node<V>, parent: Node<V> | null, slot: number): void {
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
  private join(parent: Node<V>, slot: number): void {
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
    if (left.count > MAX) this.split(left, parent, at);
    else pull(left);
  }

  /** Problems with the tree's shape and records ([] when sound): for the tests. */
  problems(): string[] {
    const out: string[] = [];
    const leaves: Node<V>[] = [];
    const depths = new Set<number>();
    const walk = (n: Node<V>, depth: number, isRoot: boolean) => {
      if (!isRoot && (n.count < MIN || n.count > MAX)) out.push(`a node holds ${n.count} entries`);
      const { lo, hi, gap } = n;
      if (n.kids) for (const kid of n.kids) walk(kid, depth + 1, false);
      else {
        leaves.push(n);
        depths.add(depth);
      }
      pull(n);
      if (n.count && (n.lo !== lo || n.hi !== hi || n.gap !== gap)) out.push(`stale bounds or gap: ${lo},${hi},${gap} for ${n.lo},${n.hi},${n.gap}`);
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
