// The red-black tree the stable and unstable trees are: whatever sequence of inserts, erases
// and replacements, it stays a valid red-black tree in content order.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RbTree, type RbNode } from '../../oracle/ksm/rbtree.ts';

const cmp = (a: number, b: number) => a - b;

function insert(t: RbTree<number>, v: number): RbNode<number> | null {
  let parent: RbNode<number> | null = null;
  let left = false;
  for (let n = t.root; n; ) {
    if (v === n.value) return null;
    parent = n;
    left = v < n.value;
    n = left ? n.left : n.right;
  }
  const node = RbTree.node(v);
  t.insert(node, parent, left);
  return node;
}

describe('the red-black tree', () => {
  it('keeps its properties and order through inserts, erases and replacements', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.constantFrom('add', 'add', 'del', 'swap'), fc.integer({ min: 0, max: 200 })), { maxLength: 300 }), (ops) => {
        const t = new RbTree<number>();
        const nodes = new Map<number, RbNode<number>>();
        for (const [op, v] of ops) {
          if (op === 'add') {
            const n = insert(t, v);
            if (n) nodes.set(v, n);
          } else if (nodes.size) {
            const keys = [...nodes.keys()];
            const k = keys[v % keys.length]!;
            if (op === 'del') {
              t.erase(nodes.get(k)!);
              nodes.delete(k);
            } else {
              // The same value in a fresh node (a chain taking a node's place, or a dup the chain's).
              const fresh = RbTree.node(k);
              t.replace(nodes.get(k)!, fresh);
              nodes.set(k, fresh);
            }
          }
          t.check(cmp);
        }
        expect(t.values()).toEqual([...nodes.keys()].sort(cmp));
        expect(t.size).toBe(nodes.size);
      }),
      { numRuns: 300 },
    );
  });

  it('balances as the kernel does: ascending inserts make the same shape', () => {
    const t = new RbTree<number>();
    for (let v = 1; v <= 7; v++) insert(t, v);
    // lib/rbtree.c on 1..7 inserted in order: 2 at the root, 4 red under it with 3 and 6 black, 5 and 7 red.
    const shape = (n: RbNode<number> | null): unknown => (n ? [n.value, n.red ? 'r' : 'b', shape(n.left), shape(n.right)] : null);
    expect(shape(t.root)).toEqual([2, 'b', [1, 'b', null, null], [4, 'r', [3, 'b', null, null], [6, 'b', [5, 'r', null, null], [7, 'r', null, null]]]]);
  });
});
