// struct resv_map: sorted, disjoint, half-open regions [from, to) of huge-page indices.
// Adjacent regions coalesce, as coalesce_file_region does when no cgroup tells them apart.
// Regions live in a treap keyed by `from` whose nodes carry their subtree's page total, so
// region_chg/add/del/count cost O(log n), plus O(1) for each region an add or del swallows.
import { ImplError } from '../core/errors.ts';

interface Node {
  from: number;
  to: number;
  prio: number;
  left: Node | null;
  right: Node | null;
  /** Pages in this subtree's regions. */
  sum: number;
}

/** LONG_MAX in region_del(resv, f, LONG_MAX): "to the end of the file". */
export const LONG_MAX = Number.POSITIVE_INFINITY;

const sumOf = (n: Node | null): number => (n ? n.sum : 0);

/** Tree nodes visited so far, by every map: the bench's machine-independent measure of work. */
let visits = 0;
export const nodeVisits = (): number => visits;

function fix(n: Node): Node {
  n.sum = n.to - n.from + sumOf(n.left) + sumOf(n.right);
  return n;
}

// split() leaves its two halves here rather than allocating a pair at every level.
let lo: Node | null = null;
let hi: Node | null = null;

/** Splits n into lo (from < key) and hi (the rest). */
function split(n: Node | null, key: number): void {
  visits++;
  if (!n) {
    lo = hi = null;
  } else if (n.from < key) {
    split(n.right, key);
    n.right = lo;
    lo = fix(n);
  } else {
    split(n.left, key);
    n.left = hi;
    hi = fix(n);
  }
}

function splitAt(n: Node | null, key: number): [Node | null, Node | null] {
  split(n, key);
  return [lo, hi];
}

/** Every key of a lies below every key of b. */
function merge(a: Node | null, b: Node | null): Node | null {
  visits++;
  if (!a) return b;
  if (!b) return a;
  if (a.prio > b.prio) {
    a.right = merge(a.right, b);
    return fix(a);
  }
  b.left = merge(a, b.left);
  return fix(b);
}

/** The rightmost region, and the tree without it. */
function popMax(n: Node): [Node | null, Node] {
  if (!n.right) return [n.left, n];
  const [rest, max] = popMax(n.right);
  n.right = rest;
  return [fix(n), max];
}

function maxOf(n: Node): Node {
  while (n.right) n = n.right;
  return n;
}

export class ResvMap {
  private root: Node | null = null;
  private seed = 0x2545f491;
  private nodes = 0;
  /** resv->adds_in_progress: region_chg calls not yet settled by region_add or region_abort. */
  addsInProgress = 0;
  /** Outstanding region_chg ranges, to check that each is settled exactly once. */
  private readonly pending = new Map<number | string, number>();
  /** region_add calls that no region_chg announced (the kernel never does this). */
  unannouncedAdds = 0;

  /** Number of regions held. */
  get size(): number {
    return this.nodes;
  }

  /** region_chg: pages of [f, t) not represented; announces a region_add/region_abort to come. */
  chg(f: number, t: number): number {
    check(f, t);
    const key = rangeKey(f, t);
    this.pending.set(key, (this.pending.get(key) ?? 0) + 1);
    this.addsInProgress++;
    return t - f - this.count(f, t);
  }

  /** region_add: represents [f, t); returns the pages it added. */
  add(f: number, t: number): number {
    check(f, t);
    if (!this.settle(f, t)) this.unannouncedAdds++;
    if (f === t) return 0;
    // A region starting before f joins if it reaches f (overlap or adjacency).
    const pred = this.floor(f);
    const from = pred && pred.to >= f ? pred.from : f;
    const [left, rest] = splitAt(this.root, from);
    // Regions starting in [from, t] are swallowed (one starting at t is adjacent).
    const [mid, right] = splitAt(rest, t + 1);
    let to = t;
    let had = 0;
    if (mid) {
      to = Math.max(to, maxOf(mid).to);
      had = mid.sum;
      this.nodes -= countNodes(mid);
    }
    this.root = merge(merge(left, this.node(from, to)), right);
    this.nodes++;
    return to - from - had;
  }

  /** region_abort: the caller gave up on the add its region_chg announced. */
  abort(f: number, t: number): void {
    check(f, t);
    if (!this.settle(f, t)) throw new ImplError('invalid', `region_abort(${f}, ${t}) without a region_chg for that range`);
  }

  /** region_del: removes [f, t) from the map; returns the pages removed. */
  del(f: number, t: number): number {
    check(f, t);
    const removed = this.count(f, t);
    if (removed === 0) return 0;
    let [left, rest] = splitAt(this.root, f);
    const [mid, right] = splitAt(rest, t);
    const keep: [number, number][] = [];
    if (left) {
      const last = maxOf(left);
      if (last.to > f) {
        [left] = popMax(left);
        this.nodes--;
        keep.push([last.from, f]);
        if (last.to > t) keep.push([t, last.to]);
      }
    }
    if (mid) {
      const last = maxOf(mid);
      if (last.to > t) keep.push([t, last.to]);
      this.nodes -= countNodes(mid);
    }
    let tree = left;
    for (const [a, b] of keep) {
      tree = merge(tree, this.node(a, b));
      this.nodes++;
    }
    this.root = merge(tree, right);
    return removed;
  }

  /** region_count: pages of [f, t) represented in the map. */
  count(f: number, t: number): number {
    return this.below(t) - this.below(f);
  }

  /** The regions in order. */
  regions(): [number, number][] {
    const out: [number, number][] = [];
    const stack: Node[] = [];
    let n = this.root;
    while (n || stack.length) {
      while (n) {
        stack.push(n);
        n = n.left;
      }
      const top = stack.pop()!;
      out.push([top.from, top.to]);
      n = top.right;
    }
    return out;
  }

  /** As resv_map_regions shows it: "[0,2) [4,5)". */
  toString(): string {
    return this.regions()
      .map(([f, t]) => `[${f},${t === LONG_MAX ? 'LONG_MAX' : t})`)
      .join(' ');
  }

  /** Pages represented below index x. */
  private below(x: number): number {
    let total = 0;
    let n = this.root;
    while (n) {
      visits++;
      if (n.from < x) {
        total += sumOf(n.left) + Math.min(n.to, x) - n.from;
        n = n.right;
      } else n = n.left;
    }
    return total;
  }

  /** The last region starting before x. */
  private floor(x: number): Node | null {
    let best: Node | null = null;
    let n = this.root;
    while (n) {
      visits++;
      if (n.from < x) {
        best = n;
        n = n.right;
      } else n = n.left;
    }
    return best;
  }

  private settle(f: number, t: number): boolean {
    const key = rangeKey(f, t);
    const n = this.pending.get(key);
    if (!n) return false;
    if (n === 1) this.pending.delete(key);
    else this.pending.set(key, n - 1);
    this.addsInProgress--;
    return true;
  }

  private node(from: number, to: number): Node {
    // xorshift32: deterministic priorities, independent of the keys.
    let x = this.seed;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.seed = x >>> 0;
    return { from, to, prio: this.seed & 0x3fffffff, left: null, right: null, sum: to - from };
  }
}

/** A key for a range: a number while both ends fit in 26 bits. */
function rangeKey(f: number, t: number): number | string {
  return t < 2 ** 26 && f < 2 ** 26 ? f * 2 ** 26 + t : `${f}:${t}`;
}

function countNodes(n: Node | null): number {
  if (!n) return 0;
  let c = 0;
  const stack = [n];
  while (stack.length) {
    const x = stack.pop()!;
    c++;
    if (x.left) stack.push(x.left);
    if (x.right) stack.push(x.right);
  }
  return c;
}

function check(f: number, t: number): void {
  if (!(f >= 0 && t >= f)) throw new ImplError('invalid', `bad region [${f}, ${t})`);
}
