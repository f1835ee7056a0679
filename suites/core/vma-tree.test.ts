// The VMA tree (oracle/core/vma-tree.ts) against a sorted array searched by brute force: over
// random inserts, removals and end moves, through splits, joins and a root that grows and
// shrinks, it holds the same VMAs, finds the same ones and picks the same top-down gap.
import { describe, expect, it } from 'vitest';
import { Random } from '../../oracle/core/random.ts';
import { VmaTree, type Range } from '../../oracle/core/vma-tree.ts';

type Vma = Range & { id: number };

/** vm_unmapped_area top down, as the models did it before the tree: every gap from the top. */
function bruteHighestGap(sorted: Vma[], need: number, ceiling: number): number {
  let top = ceiling;
  for (let i = sorted.length - 1; i >= -1; i--) {
    const bottom = i >= 0 ? sorted[i]!.end : 0;
    if (top - bottom >= need) return top;
    if (i >= 0) top = Math.min(top, sorted[i]!.start);
  }
  return -1;
}

const bruteFindFrom = (sorted: Vma[], page: number) => sorted.find((v) => v.end > page);

/** A random sequence of edits on a tree and on a plain sorted array, checked against each other as it goes. */
function exercise(seed: number, steps: number, span: number, target: number, start: Vma[] = []) {
  const rng = new Random(seed);
  const tree = start.length ? VmaTree.from(start) : new VmaTree<Vma>();
  const sorted = [...start];
  let id = start.length;
  let deepest = 0;
  for (let step = 0; step < steps; step++) {
    // Grow towards `target` VMAs for the first half, then shrink towards none.
    const want = step < steps / 2 ? target : 0;
    const op = rng.weighted({ insert: sorted.length < want ? 10 : 2, remove: sorted.length > want ? 10 : 2, setEnd: 2, split: 1.5, absorb: 1.5, stranger: 0.2 });
    if (op === 'insert') {
      const at = rng.int(0, span);
      const i = sorted.findIndex((v) => v.end > at);
      const next = i < 0 ? span + 64 : sorted[i]!.start;
      if (i >= 0 && sorted[i]!.start <= at) continue; // inside a VMA
      const v = { start: at, end: Math.min(next, at + rng.int(1, 24)), id: id++ };
      tree.insert(v);
      sorted.splice(i < 0 ? sorted.length : i, 0, v);
    } else if (op === 'remove' && sorted.length) {
      const i = rng.int(0, sorted.length - 1);
      expect(tree.remove(sorted[i]!)).toBe(true);
      sorted.splice(i, 1);
    } else if (op === 'setEnd' && sorted.length) {
      const i = rng.int(0, sorted.length - 1);
      const v = sorted[i]!;
      const room = (sorted[i + 1]?.start ?? span + 64) - v.start;
      tree.setEnd(v, v.start + rng.int(1, room));
    } else if (op === 'split' && sorted.length) {
      const i = rng.int(0, sorted.length - 1);
      const v = sorted[i]!;
      if (v.end - v.start < 2) continue;
      const end = v.end;
      const page = rng.int(v.start + 1, end - 1);
      const tail = { start: page, end, id: id++ };
      tree.split(v, tail);
      expect(v.end).toBe(page); // the head keeps [start, page)
      sorted.splice(i + 1, 0, tail);
      // A tail that does not cut its VMA is refused, and nothing changes.
      expect(() => tree.split(v, { start: v.start, end: v.end, id: -1 })).toThrow(/does not cut/);
    } else if (op === 'absorb') {
      const touching = sorted.flatMap((v, i) => (sorted[i + 1]?.start === v.end ? [i] : []));
      if (!touching.length) continue;
      const i = rng.pick(touching);
      const [a, b] = [sorted[i]!, sorted[i + 1]!];
      tree.absorbNext(a, b);
      expect(a.end).toBe(b.end);
      sorted.splice(i + 1, 1);
    } else if (op === 'stranger') {
      // A VMA that is not in the tree, though one at its address may be: removing it changes nothing.
      const twin = sorted.length ? { ...sorted[rng.int(0, sorted.length - 1)]! } : { start: 1, end: 2, id: -1 };
      expect(tree.remove(twin)).toBe(false);
    }
    if (step % 7 === 0 || step === steps - 1) {
      expect(tree.problems()).toEqual([]);
      expect(tree.toArray()).toEqual(sorted);
      expect(tree.size).toBe(sorted.length);
      deepest = Math.max(deepest, depthOf(tree));
    }
    for (let q = 0; q < 3; q++) {
      const page = rng.int(0, span + 64);
      expect(tree.findFrom(page)).toBe(bruteFindFrom(sorted, page));
      const need = rng.weighted({ small: 4, large: 1 }) === 'small' ? rng.int(1, 40) : rng.int(1, span);
      // Ceilings above every VMA, and inside the range (VMAs above it, one reaching past it).
      const ceiling = rng.chance(0.5) ? span + 64 + rng.int(0, 100) : rng.int(0, span);
      expect(tree.highestGap(need, ceiling)).toBe(bruteHighestGap(sorted, need, ceiling));
    }
  }
  return { tree, sorted, deepest };
}

/** Levels of the tree, read from its own report: the number of descents to the first leaf. */
function depthOf(tree: VmaTree<Vma>): number {
  const root = (tree as unknown as { root: { kids: unknown[] | null } }).root;
  let d = 1;
  for (let n = root; n.kids; n = n.kids[0] as typeof n) d++;
  return d;
}

describe('the VMA tree', () => {
  it('agrees with a sorted array over random edits, growing to three levels and back', () => {
    for (const seed of [1, 2, 3]) {
      const { tree, deepest } = exercise(seed, 16_000, 400_000, 6000);
      expect(deepest).toBeGreaterThanOrEqual(3); // the joins and the root's collapse were taken
      expect(tree.size).toBeLessThan(60);
    }
  });

  it('agrees when gaps are few and small (VMAs packed, as guards leave them)', () => {
    exercise(4, 4000, 3000, 1500);
  });

  it('built at once from a sorted list (fork), then edited', () => {
    const start: Vma[] = [];
    for (let i = 0; i < 3000; i++) start.push({ start: i * 10, end: i * 10 + 1 + (i % 9), id: i });
    const built = VmaTree.from(start);
    expect(built.problems()).toEqual([]);
    expect(depthOf(built)).toBe(3);
    exercise(5, 3000, 30_000, 3000, start);
    expect(VmaTree.from<Vma>([]).toArray()).toEqual([]);
  });

  it('walks VMAs both ways from a position, across leaves', () => {
    const vmas: Vma[] = [];
    for (let i = 0; i < 500; i++) vmas.push({ start: i * 4, end: i * 4 + 2, id: i });
    const tree = VmaTree.from(vmas);
    const it = tree.iter(401); // inside VMA 100
    expect(it.next()).toBe(vmas[100]);
    expect(it.next()).toBe(vmas[101]);
    expect(it.prev()).toBe(vmas[101]);
    expect(it.prev()).toBe(vmas[100]);
    const back: Vma[] = [];
    for (let v = it.prev(); v; v = it.prev()) back.push(v);
    expect(back).toEqual(vmas.slice(0, 100).reverse());
    expect(it.prev()).toBeUndefined(); // stays at the first
    expect(it.next()).toBe(vmas[0]);
    const end = tree.iter(5000); // past the last: prev is the last
    expect(end.next()).toBeUndefined();
    expect(end.prev()).toBe(vmas[499]);
    const forward: Vma[] = [];
    for (let w = tree.iter(0), v = w.next(); v; v = w.next()) forward.push(v);
    expect(forward).toEqual(vmas);
  });

  it('finds the highest gap that fits, not merely a gap that fits', () => {
    const tree = new VmaTree<Vma>();
    // Holes of 5 at 100, of 50 at 300, of 5 at 500, and room above 1000.
    for (const [start, end] of [[0, 100], [105, 300], [350, 500], [505, 1000]] as const) tree.insert({ start, end, id: start });
    expect(tree.highestGap(10, 2000)).toBe(2000);
    expect(tree.highestGap(10, 1000)).toBe(350);
    expect(tree.highestGap(5, 1000)).toBe(505);
    expect(tree.highestGap(51, 1000)).toBe(-1);
    expect(tree.highestGap(20, 320)).toBe(320); // the hole at 300 cut at the ceiling
    expect(tree.highestGap(30, 320)).toBe(-1);
  });
});
