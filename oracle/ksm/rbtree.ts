// A red-black tree balanced the way the kernel's lib/rbtree.c balances one: the caller walks
// from the root comparing, links the new node where the walk ended, and the tree recolours and
// rotates by the same cases. The shape after any sequence of inserts, erases and replacements
// is the kernel's, so a lookup walks past the same nodes — which matters for KSM, where a lookup
// prunes the stale stable nodes it meets on its way.

export interface RbNode<T> {
  value: T;
  left: RbNode<T> | null;
  right: RbNode<T> | null;
  parent: RbNode<T> | null;
  red: boolean;
}

type Side = 'left' | 'right';
const other = (s: Side): Side => (s === 'left' ? 'right' : 'left');

export class RbTree<T> {
  root: RbNode<T> | null = null;

  static node<T>(value: T): RbNode<T> {
    return { value, left: null, right: null, parent: null, red: true };
  }

  /** Every value, in order. */
  values(): T[] {
    const out: T[] = [];
    const walk = (n: RbNode<T> | null) => {
      if (!n) return;
      walk(n.left);
      out.push(n.value);
      walk(n.right);
    };
    walk(this.root);
    return out;
  }

  get size(): number {
    let n = 0;
    const walk = (x: RbNode<T> | null) => {
      if (x) {
        n++;
        walk(x.left);
        walk(x.right);
      }
    };
    walk(this.root);
    return n;
  }

  /** Links a fresh node below parent (as its left or right child, or as the root) and rebalances. */
  insert(node: RbNode<T>, parent: RbNode<T> | null, left: boolean): void {
    node.parent = parent;
    node.left = node.right = null;
    node.red = true;
    if (!parent) this.root = node;
    else if (left) parent.left = node;
    else parent.right = node;
    this.insertFixup(node);
  }

  /** Puts `by` where `old` is (its place, children and colour); old leaves the tree. */
  replace(old: RbNode<T>, by: RbNode<T>): void {
    by.parent = old.parent;
    by.left = old.left;
    by.right = old.right;
    by.red = old.red;
    if (old.left) old.left.parent = by;
    if (old.right) old.right.parent = by;
    this.changeChild(old, by, old.parent);
    old.parent = old.left = old.right = null;
  }

  private changeChild(old: RbNode<T>, by: RbNode<T> | null, parent: RbNode<T> | null): void {
    if (!parent) this.root = by;
    else if (parent.left === old) parent.left = by;
    else parent.right = by;
  }

  /** `top` takes `old`'s parent and colour; old goes below top with the colour given. */
  private rotateParents(old: RbNode<T>, top: RbNode<T>, red: boolean): void {
    const parent = old.parent;
    top.parent = parent;
    top.red = old.red;
    old.parent = top;
    old.red = red;
    this.changeChild(old, top, parent);
  }

  private insertFixup(start: RbNode<T>): void {
    let node = start;
    let parent = node.parent;
    for (;;) {
      if (!parent) {
        node.red = false; // the root is black
        return;
      }
      if (!parent.red) return;
      const gparent = parent.parent!; // a red parent is never the root
      // The parent's side of the grandparent, and the uncle's.
      const near: Side = parent === gparent.left ? 'left' : 'right';
      const far = other(near);
      const uncle = gparent[far];
      if (uncle && uncle.red) {
        // Recolour, and carry on from the grandparent.
        uncle.red = false;
        parent.red = false;
        node = gparent;
        parent = node.parent;
        node.red = true;
        continue;
      }
      if (node === parent[far]) {
        // The inner grandchild: rotate it up to the parent's place first.
        const t = node[near];
        parent[far] = t;
        node[near] = parent;
        if (t) {
          t.parent = parent;
          t.red = false;
        }
        parent.parent = node;
        parent.red = true;
        parent = node;
      }
      const t = parent[far];
      gparent[near] = t;
      parent[far] = gparent;
      if (t) {
        t.parent = gparent;
        t.red = false;
      }
      this.rotateParents(gparent, parent, true);
      return;
    }
  }

  erase(node: RbNode<T>): void {
    const child = node.right;
    let tmp = node.left;
    let rebalance: RbNode<T> | null = null;
    if (!tmp) {
      // At most one child (the right one): it takes the node's place and colour.
      const parent = node.parent;
      this.changeChild(node, child, parent);
      if (child) {
        child.parent = parent;
        child.red = node.red;
      } else if (!node.red) rebalance = parent;
    } else if (!child) {
      const parent = node.parent;
      tmp.parent = parent;
      tmp.red = node.red;
      this.changeChild(node, tmp, parent);
    } else {
      // Two children: the in-order successor takes the node's place.
      let successor = child;
      let parent: RbNode<T>;
      let child2: RbNode<T> | null;
      tmp = child.left;
      if (!tmp) {
        parent = successor;
        child2 = successor.right;
      } else {
        do {
          parent = successor;
          successor = tmp;
          tmp = tmp.left;
        } while (tmp);
        child2 = successor.right;
        parent.left = child2;
        successor.right = child;
        child.parent = successor;
      }
      successor.left = node.left;
      node.left!.parent = successor;
      const up = node.parent;
      this.changeChild(node, successor, up);
      const successorWasRed = successor.red;
      successor.parent = up;
      successor.red = node.red;
      if (child2) {
        child2.parent = parent;
        child2.red = false;
      } else if (!successorWasRed) rebalance = parent;
    }
    node.parent = node.left = node.right = null;
    if (rebalance) this.eraseFixup(rebalance);
  }

  private eraseFixup(start: RbNode<T>): void {
    let parent: RbNode<T> = start;
    let node: RbNode<T> | null = null;
    for (;;) {
      // node is black (or null), and paths through it lack one black node. Its sibling's side,
      // and its own:
      const side: Side = node !== parent.right ? 'right' : 'left';
      const own = other(side);
      let sibling = parent[side]!;
      if (sibling.red) {
        const t = sibling[own]!;
        parent[side] = t;
        sibling[own] = parent;
        t.parent = parent;
        t.red = false;
        this.rotateParents(parent, sibling, true);
        sibling = t;
      }
      let far = sibling[side];
      if (!far || !far.red) {
        const near = sibling[own];
        if (!near || !near.red) {
          sibling.red = true;
          sibling.parent = parent;
          if (parent.red) parent.red = false;
          else {
            node = parent;
            const up = node.parent;
            if (up) {
              parent = up;
              continue;
            }
          }
          return;
        }
        const t = near[side];
        sibling[own] = t;
        near[side] = sibling;
        parent[side] = near;
        if (t) {
          t.parent = sibling;
          t.red = false;
        }
        sibling.parent = near;
        far = sibling;
        sibling = near;
      }
      const t2 = sibling[own];
      parent[side] = t2;
      sibling[own] = parent;
      far!.parent = sibling;
      far!.red = false;
      if (t2) t2.parent = parent;
      this.rotateParents(parent, sibling, false);
      return;
    }
  }

  /** Checks the red-black properties and the links (for tests). Returns the black height. */
  check(cmp: (a: T, b: T) => number): number {
    if (this.root && this.root.red) throw new Error('red root');
    const walk = (n: RbNode<T> | null, lo: T | null, hi: T | null): number => {
      if (!n) return 1;
      if (n.left && n.left.parent !== n) throw new Error('bad parent link');
      if (n.right && n.right.parent !== n) throw new Error('bad parent link');
      if (n.red && ((n.left && n.left.red) || (n.right && n.right.red))) throw new Error('red node with a red child');
      if (lo !== null && cmp(n.value, lo) <= 0) throw new Error('out of order');
      if (hi !== null && cmp(n.value, hi) >= 0) throw new Error('out of order');
      const a = walk(n.left, lo, n.value);
      const b = walk(n.right, n.value, hi);
      if (a !== b) throw new Error('unequal black heights');
      return a + (n.red ? 0 : 1);
    };
    return walk(this.root, null, null);
  }
}
