// ZSetIndex: the ordered half of a sorted set (the member -> score dict lives elsewhere). It holds
// (score, member) pairs ordered by score (numeric `<`, so -0 equals 0; scores are never NaN), then by
// member in UTF-8 byte order, which is Unicode code point order. It answers by rank as well as by
// key, so it is an order-statistic B+tree:
//   - Leaves hold parallel `number[]` / `string[]` arrays (V8 keeps the scores unboxed, 8 bytes
//     each) and are doubly linked for cursors. Nothing is allocated per element, so the GC sees a
//     few objects per ~50 elements instead of one node object per element as in a skiplist.
//   - A branch holds its children, each child's subtree size (`sizes`, for rank arithmetic) and
//     `children.length - 1` separators: keys[j] > every pair under children[0..j] and <= every pair
//     under children[j+1..]. A separator is a copy of a pair that was the first of its subtree when
//     set; deleting that pair leaves it in place, still a valid bound.
// Invariants (checked by `checkInvariants`, used by the spec): every leaf is at depth `height`; each
// `sizes[i]` is the element count under `children[i]`; a non-root leaf holds >= leafMin pairs and a
// non-root branch >= branchMin children (min = floor(capacity / 2)); a root branch has >= 2
// children (the root collapses otherwise); leaves are linked in order.
// Updates descend once from the root, remembering the path in reusable arrays (no parent pointers,
// so splits and merges need not fix children up), then fix sizes and rebalance along that path.

import { assert } from '../assert.ts';

/**
 * Compares members in UTF-8 byte order (= code point order). JS `<` compares UTF-16 code units,
 * which agrees except when the first difference is a surrogate (part of a code point > U+FFFF)
 * against a unit in U+E000..U+FFFF; only that case takes the slow path. Lone surrogates compare as
 * their own code point (U+D800..U+DFFF), as WTF-8 bytes would.
 */
export function compareMembers(a: string, b: string): number {
  if (a === b) return 0;
  const n = a.length < b.length ? a.length : b.length;
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) {
      if (x < 0xd800 || y < 0xd800) return x - y;
      return codePointOrder(a, b, i);
    }
  }
  return a.length - b.length;
}

// Requires: a and b agree before index i, differ at i, and both units there are >= 0xD800.
function codePointOrder(a: string, b: string, i: number): number {
  // A trail surrogate at i belongs to the code point that starts at i - 1 when a lead precedes it;
  // the lead is shared, so compare the code points starting there.
  let start = i;
  if (i > 0 && isLead(a.charCodeAt(i - 1)) && (isTrail(a.charCodeAt(i)) || isTrail(b.charCodeAt(i)))) {
    start = i - 1;
  }
  return codePointAt(a, start) - codePointAt(b, start);
}

function isLead(unit: number): boolean {
  return unit >= 0xd800 && unit <= 0xdbff;
}

function isTrail(unit: number): boolean {
  return unit >= 0xdc00 && unit <= 0xdfff;
}

// Unlike String.prototype.codePointAt this never looks back, and NaN-free: start < s.length.
function codePointAt(s: string, start: number): number {
  const unit = s.charCodeAt(start);
  if (isLead(unit) && start + 1 < s.length) {
    const next = s.charCodeAt(start + 1);
    if (isTrail(next)) return 0x10000 + ((unit - 0xd800) << 10) + (next - 0xdc00);
  }
  return unit;
}

// A string without code units >= 0xD800 compares exactly with `<` against any string: the first
// difference then has at least one unit below 0xD800. Searches test their probe once and use the
// native comparison throughout when it holds.
const HIGH_UNIT = /[\ud800-\uffff]/;

function isPlain(s: string): boolean {
  return !HIGH_UNIT.test(s);
}

// Requires: plain is isPlain(a) or isPlain(b).
function memberLess(a: string, b: string, plain: boolean): boolean {
  return plain ? a < b : compareMembers(a, b) < 0;
}

class Leaf {
  prev: Leaf | null = null;
  next: Leaf | null = null;
  constructor(
    public scores: number[],
    public members: string[],
  ) {}
}

class Branch {
  constructor(
    public children: Node[],
    public sizes: number[],
    public keyScores: number[],
    public keyMembers: string[],
  ) {}
}

type Node = Leaf | Branch;

/** A position in the index. Any change to the index invalidates it (reposition with `seek`). */
export interface ZSetCursor {
  /** False before the first or after the last pair. */
  readonly valid: boolean;
  /** Requires: valid. */
  readonly score: number;
  /** Requires: valid. */
  readonly member: string;
  /** Rank of the position: -1 before the first pair, size after the last. */
  readonly rank: number;
  /** Moves one pair towards the end; stops one past the last. */
  next(): void;
  /** Moves one pair towards the start; stops one before the first. */
  prev(): void;
  /** Repositions at rank. Requires: -1 <= rank <= size. */
  seek(rank: number): void;
}

export interface ZSetIndexOptions {
  /** Pairs per leaf, >= 4. Small values are for tests; the default is tuned for speed. */
  leafCapacity?: number;
  /** Children per branch, >= 4. */
  branchCapacity?: number;
}

// Measured with bench/zset-index.bench.ts; see the figures there.
const DEFAULT_LEAF_CAPACITY = 64;
const DEFAULT_BRANCH_CAPACITY = 64;

export class ZSetIndex {
  private root: Node;
  /** Branch levels above the leaves: 0 while the root is a leaf. */
  private height = 0;
  private count = 0;
  private readonly leafCap: number;
  private readonly leafMin: number;
  private readonly branchCap: number;
  private readonly branchMin: number;
  // The branches and child indexes of the last descent, root first; reused to avoid allocation.
  private pathNodes: Branch[] = [];
  private pathIdx: number[] = [];

  constructor(options: ZSetIndexOptions = {}) {
    this.leafCap = options.leafCapacity ?? DEFAULT_LEAF_CAPACITY;
    this.branchCap = options.branchCapacity ?? DEFAULT_BRANCH_CAPACITY;
    // 4 is the least capacity for which a split's halves and a merge's sum both respect min.
    if (!(Number.isInteger(this.leafCap) && this.leafCap >= 4)) throw new RangeError('leafCapacity must be an integer >= 4');
    if (!(Number.isInteger(this.branchCap) && this.branchCap >= 4)) throw new RangeError('branchCapacity must be an integer >= 4');
    this.leafMin = this.leafCap >>> 1;
    this.branchMin = this.branchCap >>> 1;
    this.root = new Leaf([], []);
  }

  /**
   * Builds an index from pairs already in index order, filling leaves to capacity: O(n), for
   * loading snapshots. Throws RangeError when the pairs are not strictly ascending or a score is
   * NaN, so a damaged file cannot build a corrupt index.
   */
  static fromSorted(scores: ArrayLike<number>, members: ArrayLike<string>, options: ZSetIndexOptions = {}): ZSetIndex {
    if (scores.length !== members.length) throw new RangeError('fromSorted: scores and members differ in length');
    for (let i = 0; i < scores.length; i++) {
      if (Number.isNaN(scores[i])) throw new RangeError(`fromSorted: score ${i} is NaN`);
      if (i > 0 && !(scores[i - 1] < scores[i] || (scores[i - 1] === scores[i] && compareMembers(members[i - 1], members[i]) < 0))) {
        throw new RangeError(`fromSorted: pair ${i} is not above pair ${i - 1}`);
      }
    }
    const index = new ZSetIndex(options);
    index.buildFrom(scores, members);
    return index;
  }

  get size(): number {
    return this.count;
  }

  /** Branch levels above the leaves (0 while everything fits in one leaf); for tests and stats. */
  get depth(): number {
    return this.height;
  }

  /** Requires: the pair is not present and score is not NaN. */
  insert(score: number, member: string): void {
    const plain = isPlain(member);
    let node = this.root;
    for (let depth = 0; depth < this.height; depth++) {
      const branch = node as Branch;
      const child = childForPair(branch, score, member, plain);
      // Counted on the way down: the precondition says the insert will happen.
      branch.sizes[child]++;
      this.pathNodes[depth] = branch;
      this.pathIdx[depth] = child;
      node = branch.children[child];
    }
    const leaf = node as Leaf;
    const scores = leaf.scores;
    const members = leaf.members;
    const at = leafLowerBound(leaf, score, member, plain);
    assert(at === scores.length || scores[at] !== score || members[at] !== member, 'ZSetIndex.insert: pair already present');
    insertAt(scores, at, score);
    insertAt(members, at, member);
    this.count++;
    if (scores.length > this.leafCap) this.splitLeaf(leaf);
  }

  /** Removes the pair; false when it is absent. */
  delete(score: number, member: string): boolean {
    const plain = isPlain(member);
    let node = this.root;
    for (let depth = 0; depth < this.height; depth++) {
      const branch = node as Branch;
      const child = childForPair(branch, score, member, plain);
      this.pathNodes[depth] = branch;
      this.pathIdx[depth] = child;
      node = branch.children[child];
    }
    const leaf = node as Leaf;
    const at = leafLowerBound(leaf, score, member, plain);
    if (at === leaf.scores.length || leaf.scores[at] !== score || leaf.members[at] !== member) return false;
    removeRange(leaf.scores, at, 1);
    removeRange(leaf.members, at, 1);
    for (let depth = 0; depth < this.height; depth++) this.pathNodes[depth].sizes[this.pathIdx[depth]]--;
    this.count--;
    if (leaf.scores.length < this.leafMin) this.rebalance(leaf);
    return true;
  }

  /** 0-based rank of the pair, -1 when absent. */
  rank(score: number, member: string): number {
    const plain = isPlain(member);
    let node = this.root;
    let before = 0;
    for (let depth = 0; depth < this.height; depth++) {
      const branch = node as Branch;
      const child = childForPair(branch, score, member, plain);
      before += sumBefore(branch.sizes, child);
      node = branch.children[child];
    }
    const leaf = node as Leaf;
    const at = leafLowerBound(leaf, score, member, plain);
    if (at === leaf.scores.length || leaf.scores[at] !== score || leaf.members[at] !== member) return -1;
    return before + at;
  }

  /** Requires: 0 <= rank < size. */
  scoreAt(rank: number): number {
    const leaf = this.leafAt(rank);
    return leaf.scores[this.leafOffset];
  }

  /** Requires: 0 <= rank < size. */
  memberAt(rank: number): string {
    const leaf = this.leafAt(rank);
    return leaf.members[this.leafOffset];
  }

  /** First rank whose score is >= min (> min when exclusive); size when none. */
  firstRankAbove(min: number, exclusive: boolean): number {
    let node = this.root;
    let before = 0;
    for (let depth = 0; depth < this.height; depth++) {
      const branch = node as Branch;
      const child = countScoresBelow(branch.keyScores, branch.keyScores.length, min, exclusive);
      before += sumBefore(branch.sizes, child);
      node = branch.children[child];
    }
    const leaf = node as Leaf;
    return before + countScoresBelow(leaf.scores, leaf.scores.length, min, exclusive);
  }

  /** Last rank whose score is <= max (< max when exclusive); -1 when none. */
  lastRankBelow(max: number, exclusive: boolean): number {
    return this.firstRankAbove(max, !exclusive) - 1;
  }

  /**
   * First rank whose member is >= bound (> bound when exclusive); null bound means '-'. Binary
   * search on members along the index order: exact when all scores are equal (what Redis's lex
   * commands assume), otherwise well-defined but arbitrary.
   */
  firstRankAboveMember(bound: string | null, exclusive: boolean): number {
    if (bound === null) return 0;
    const plain = isPlain(bound);
    let node = this.root;
    let before = 0;
    for (let depth = 0; depth < this.height; depth++) {
      const branch = node as Branch;
      const child = countMembersBelow(branch.keyMembers, branch.keyMembers.length, bound, exclusive, plain);
      before += sumBefore(branch.sizes, child);
      node = branch.children[child];
    }
    const leaf = node as Leaf;
    return before + countMembersBelow(leaf.members, leaf.members.length, bound, exclusive, plain);
  }

  /** Last rank whose member is <= bound (< bound when exclusive); null bound means '+'. */
  lastRankBelowMember(bound: string | null, exclusive: boolean): number {
    if (bound === null) return this.count - 1;
    return this.firstRankAboveMember(bound, !exclusive) - 1;
  }

  /** A cursor at rank. Requires: -1 <= rank <= size (the ends give an invalid cursor). */
  cursorAt(rank: number): ZSetCursor {
    const cursor = new Cursor(this);
    cursor.seek(rank);
    return cursor;
  }

  /**
   * Deletes the pairs at ranks start..stop inclusive (clamped to 0..size-1), calling onDelete on
   * each in order first; returns how many. Cost is O(removed + (removed / leaf fill + 1) * log n):
   * whole leaves are unlinked, not emptied pair by pair.
   * Requires: integer ranks; onDelete neither throws nor touches this index.
   */
  deleteRankRange(start: number, stop: number, onDelete?: (score: number, member: string) => void): number {
    if (start < 0) start = 0;
    if (stop > this.count - 1) stop = this.count - 1;
    if (start > stop) return 0;
    const total = stop - start + 1;
    if (total === this.count) {
      if (onDelete !== undefined) this.forEach(onDelete);
      this.clear();
      return total;
    }
    let remaining = total;
    while (remaining > 0) {
      // The pairs after the removed ones shift down, so each round starts again at rank `start`.
      const leaf = this.leafAtWithPath(start);
      const at = this.leafOffset;
      const scores = leaf.scores;
      const members = leaf.members;
      const take = Math.min(remaining, scores.length - at);
      if (onDelete !== undefined) for (let i = at; i < at + take; i++) onDelete(scores[i], members[i]);
      removeRange(scores, at, take);
      removeRange(members, at, take);
      for (let depth = 0; depth < this.height; depth++) this.pathNodes[depth].sizes[this.pathIdx[depth]] -= take;
      this.count -= take;
      remaining -= take;
      if (scores.length < this.leafMin) this.rebalance(leaf);
    }
    return total;
  }

  clear(): void {
    this.root = new Leaf([], []);
    this.height = 0;
    this.count = 0;
    this.pathNodes.length = 0;
    this.pathIdx.length = 0;
  }

  /** Calls fn on every pair in order. Requires: fn does not change this index. */
  forEach(fn: (score: number, member: string) => void): void {
    for (let leaf: Leaf | null = this.firstLeaf(); leaf !== null; leaf = leaf.next) {
      const scores = leaf.scores;
      const members = leaf.members;
      for (let i = 0; i < scores.length; i++) fn(scores[i], members[i]);
    }
  }

  /**
   * Verifies every structural invariant and returns a description of the first one broken, or null.
   * O(n); for tests.
   */
  checkInvariants(): string | null {
    const leaves: Leaf[] = [];
    const problem = this.checkNode(this.root, 0, true, leaves);
    if (problem !== null) return problem;
    let total = 0;
    for (let i = 0; i < leaves.length; i++) {
      const leaf = leaves[i];
      total += leaf.scores.length;
      if (leaf.scores.length !== leaf.members.length) return `leaf ${i}: scores and members differ in length`;
      if (leaf.prev !== (i > 0 ? leaves[i - 1] : null)) return `leaf ${i}: prev link wrong`;
      if (leaf.next !== (i + 1 < leaves.length ? leaves[i + 1] : null)) return `leaf ${i}: next link wrong`;
    }
    if (total !== this.count) return `size ${this.count} but leaves hold ${total}`;
    let prevScore = 0;
    let prevMember = '';
    let first = true;
    let broken: string | null = null;
    this.forEach((score, member) => {
      if (broken === null && !first && comparePairs(prevScore, prevMember, score, member) >= 0) {
        broken = `pairs out of order at (${score}, ${JSON.stringify(member)})`;
      }
      first = false;
      prevScore = score;
      prevMember = member;
    });
    return broken;
  }

  // Returns the subtree's problem or null; collects leaves left to right; checks that every pair
  // lies within [low, high) given by the separators above (checked by the caller via bounds).
  private checkNode(node: Node, depth: number, isRoot: boolean, leaves: Leaf[]): string | null {
    if (depth === this.height) {
      if (!(node instanceof Leaf)) return `depth ${depth}: expected a leaf`;
      if (node.scores.length > this.leafCap) return `leaf over capacity: ${node.scores.length}`;
      if (!isRoot && node.scores.length < this.leafMin) return `non-root leaf underfull: ${node.scores.length}`;
      leaves.push(node);
      return null;
    }
    if (!(node instanceof Branch)) return `depth ${depth}: expected a branch`;
    const n = node.children.length;
    if (n > this.branchCap) return `branch over capacity: ${n}`;
    if (isRoot ? n < 2 : n < this.branchMin) return `branch underfull: ${n} children`;
    if (node.sizes.length !== n) return 'branch: sizes length differs from children';
    if (node.keyScores.length !== n - 1 || node.keyMembers.length !== n - 1) return 'branch: separator count is not children - 1';
    for (let i = 0; i < n; i++) {
      const firstLeaf = leaves.length;
      const problem = this.checkNode(node.children[i], depth + 1, false, leaves);
      if (problem !== null) return problem;
      let subtotal = 0;
      for (let l = firstLeaf; l < leaves.length; l++) {
        const leaf = leaves[l];
        subtotal += leaf.scores.length;
        for (let e = 0; e < leaf.scores.length; e++) {
          if (i > 0 && comparePairs(leaf.scores[e], leaf.members[e], node.keyScores[i - 1], node.keyMembers[i - 1]) < 0) {
            return `depth ${depth}: pair below the separator left of child ${i}`;
          }
          if (i < n - 1 && comparePairs(leaf.scores[e], leaf.members[e], node.keyScores[i], node.keyMembers[i]) >= 0) {
            return `depth ${depth}: pair not below the separator right of child ${i}`;
          }
        }
      }
      if (subtotal !== node.sizes[i]) return `depth ${depth}: sizes[${i}] is ${node.sizes[i]} but the subtree holds ${subtotal}`;
    }
    for (let i = 1; i < n - 1; i++) {
      if (comparePairs(node.keyScores[i - 1], node.keyMembers[i - 1], node.keyScores[i], node.keyMembers[i]) >= 0) {
        return `depth ${depth}: separators out of order`;
      }
    }
    return null;
  }

  // Set by leafAt / leafAtWithPath: the rank's offset inside the returned leaf. A field rather than
  // a returned pair, to allocate nothing.
  private leafOffset = 0;

  // Requires: 0 <= rank < size.
  private leafAt(rank: number): Leaf {
    let node = this.root;
    for (let depth = 0; depth < this.height; depth++) {
      const branch = node as Branch;
      const sizes = branch.sizes;
      let child = 0;
      while (rank >= sizes[child]) rank -= sizes[child++];
      node = branch.children[child];
    }
    this.leafOffset = rank;
    return node as Leaf;
  }

  // As leafAt, also recording the path for an update.
  private leafAtWithPath(rank: number): Leaf {
    let node = this.root;
    for (let depth = 0; depth < this.height; depth++) {
      const branch = node as Branch;
      const sizes = branch.sizes;
      let child = 0;
      while (rank >= sizes[child]) rank -= sizes[child++];
      this.pathNodes[depth] = branch;
      this.pathIdx[depth] = child;
      node = branch.children[child];
    }
    this.leafOffset = rank;
    return node as Leaf;
  }

  /** @internal For cursors: the leaf holding rank (or the last leaf when rank === size). */
  locate(rank: number): Leaf {
    if (rank >= this.count) {
      const last = this.lastLeaf();
      this.leafOffset = last.scores.length + rank - this.count;
      return last;
    }
    if (rank < 0) {
      this.leafOffset = rank;
      return this.firstLeaf();
    }
    return this.leafAt(rank);
  }

  /** @internal */
  get lastOffset(): number {
    return this.leafOffset;
  }

  private firstLeaf(): Leaf {
    let node = this.root;
    for (let depth = 0; depth < this.height; depth++) node = (node as Branch).children[0];
    return node as Leaf;
  }

  private lastLeaf(): Leaf {
    let node = this.root;
    for (let depth = 0; depth < this.height; depth++) {
      const children = (node as Branch).children;
      node = children[children.length - 1];
    }
    return node as Leaf;
  }

  // Requires: the path of the insert that overfilled leaf is in pathNodes/pathIdx.
  private splitLeaf(leaf: Leaf): void {
    const n = leaf.scores.length;
    const half = n >>> 1;
    const right = new Leaf(leaf.scores.slice(half), leaf.members.slice(half));
    leaf.scores.length = half;
    leaf.members.length = half;
    right.next = leaf.next;
    if (right.next !== null) right.next.prev = right;
    right.prev = leaf;
    leaf.next = right;
    this.addRightSibling(this.height - 1, leaf, right, half, n - half, right.scores[0], right.members[0]);
  }

  // Puts `right` just after `left` (child pathIdx[level] of pathNodes[level]), separated by the key,
  // splitting upwards as needed; level -1 means left is the root, so the tree grows a level.
  private addRightSibling(level: number, left: Node, right: Node, leftSize: number, rightSize: number, keyScore: number, keyMember: string): void {
    if (level < 0) {
      this.root = new Branch([left, right], [leftSize, rightSize], [keyScore], [keyMember]);
      this.height++;
      return;
    }
    const parent = this.pathNodes[level];
    const child = this.pathIdx[level];
    parent.sizes[child] = leftSize;
    insertAt(parent.children, child + 1, right);
    insertAt(parent.sizes, child + 1, rightSize);
    insertAt(parent.keyScores, child, keyScore);
    insertAt(parent.keyMembers, child, keyMember);
    const n = parent.children.length;
    if (n <= this.branchCap) return;
    const half = n >>> 1;
    // The separator between the halves moves up instead of staying in either.
    const upScore = parent.keyScores[half - 1];
    const upMember = parent.keyMembers[half - 1];
    const sibling = new Branch(parent.children.slice(half), parent.sizes.slice(half), parent.keyScores.slice(half), parent.keyMembers.slice(half));
    parent.children.length = half;
    parent.sizes.length = half;
    parent.keyScores.length = half - 1;
    parent.keyMembers.length = half - 1;
    this.addRightSibling(level - 1, parent, sibling, sumBefore(parent.sizes, half), sumBefore(sibling.sizes, n - half), upScore, upMember);
  }

  // Restores the fill rule after node (a leaf) lost pairs, borrowing from or merging with a
  // sibling, then walking up while merges leave the parent underfull; finally collapses a root
  // with one child. Requires: pathNodes/pathIdx hold the path to the leaf, sizes already updated.
  private rebalance(leaf: Leaf): void {
    let node: Node = leaf;
    let isLeaf = true;
    for (let level = this.height - 1; level >= 0; level--) {
      const parent = this.pathNodes[level];
      const child = this.pathIdx[level];
      const min = isLeaf ? this.leafMin : this.branchMin;
      const fill = isLeaf ? (node as Leaf).scores.length : (node as Branch).children.length;
      if (fill >= min) break;
      const children = parent.children;
      assert(children.length >= 2, 'ZSetIndex.rebalance: an underfull node has no sibling');
      if (isLeaf && fill === 0) {
        // An emptied leaf (range deletes empty many) is unlinked without moving any pair.
        this.unlinkEmptyLeaf(parent, child);
      } else if (child > 0 && fillOf(children[child - 1], isLeaf) + fill >= 2 * min) {
        // Evening out leaves both with >= min. (A range delete can take a leaf far below min, so
        // a neighbour above min is not enough.)
        if (isLeaf) borrowLeafFromLeft(parent, child);
        else borrowBranchFromLeft(parent, child);
        break;
      } else if (child + 1 < children.length && fillOf(children[child + 1], isLeaf) + fill >= 2 * min) {
        if (isLeaf) borrowLeafFromRight(parent, child);
        else borrowBranchFromRight(parent, child);
        break;
      } else {
        // Together they hold < 2 * min <= capacity, so they fit in one node.
        const left = child > 0 ? child - 1 : child;
        if (isLeaf) mergeLeaves(parent, left);
        else mergeBranches(parent, left);
      }
      node = parent;
      isLeaf = false;
    }
    while (this.height > 0 && (this.root as Branch).children.length === 1) {
      this.root = (this.root as Branch).children[0];
      this.height--;
    }
  }

  private unlinkEmptyLeaf(parent: Branch, child: number): void {
    const leaf = parent.children[child] as Leaf;
    if (leaf.prev !== null) leaf.prev.next = leaf.next;
    if (leaf.next !== null) leaf.next.prev = leaf.prev;
    removeRange(parent.children, child, 1);
    removeRange(parent.sizes, child, 1);
    // Either neighbouring separator may go: both bound the remaining neighbours correctly.
    const key = child > 0 ? child - 1 : 0;
    removeRange(parent.keyScores, key, 1);
    removeRange(parent.keyMembers, key, 1);
  }

  // Requires: an empty tree (just constructed); pairs strictly ascending.
  private buildFrom(scores: ArrayLike<number>, members: ArrayLike<string>): void {
    const n = scores.length;
    if (n === 0) return;
    // Full leaves, except that the last two share their pairs so neither is underfull.
    let level: Node[] = [];
    let sizes: number[] = [];
    let firstScores: number[] = [];
    let firstMembers: string[] = [];
    let prev: Leaf | null = null;
    for (const [from, to] of chunkBounds(n, this.leafCap, this.leafMin)) {
      const leaf = new Leaf(Array.prototype.slice.call(scores, from, to) as number[], Array.prototype.slice.call(members, from, to) as string[]);
      leaf.prev = prev;
      if (prev !== null) prev.next = leaf;
      prev = leaf;
      level.push(leaf);
      sizes.push(to - from);
      firstScores.push(scores[from]);
      firstMembers.push(members[from]);
    }
    let height = 0;
    while (level.length > 1) {
      const upLevel: Node[] = [];
      const upSizes: number[] = [];
      const upScores: number[] = [];
      const upMembers: string[] = [];
      for (const [from, to] of chunkBounds(level.length, this.branchCap, this.branchMin)) {
        const branch = new Branch(level.slice(from, to), sizes.slice(from, to), firstScores.slice(from + 1, to), firstMembers.slice(from + 1, to));
        upLevel.push(branch);
        upSizes.push(sumBefore(branch.sizes, branch.sizes.length));
        upScores.push(firstScores[from]);
        upMembers.push(firstMembers[from]);
      }
      level = upLevel;
      sizes = upSizes;
      firstScores = upScores;
      firstMembers = upMembers;
      height++;
    }
    this.root = level[0];
    this.height = height;
    this.count = n;
  }
}

class Cursor implements ZSetCursor {
  private leaf: Leaf;
  private at = 0;
  private position = 0;

  constructor(private readonly index: ZSetIndex) {
    this.leaf = index.locate(0);
  }

  get valid(): boolean {
    return this.at >= 0 && this.at < this.leaf.scores.length;
  }

  get score(): number {
    return this.leaf.scores[this.at];
  }

  get member(): string {
    return this.leaf.members[this.at];
  }

  get rank(): number {
    return this.position;
  }

  next(): void {
    const length = this.leaf.scores.length;
    if (this.at >= length) return;
    this.at++;
    this.position++;
    if (this.at === length && this.leaf.next !== null) {
      this.leaf = this.leaf.next;
      this.at = 0;
    }
  }

  prev(): void {
    if (this.at < 0) return;
    this.at--;
    this.position--;
    if (this.at < 0 && this.leaf.prev !== null) {
      this.leaf = this.leaf.prev;
      this.at = this.leaf.scores.length - 1;
    }
  }

  seek(rank: number): void {
    const size = this.index.size;
    assert(rank >= -1 && rank <= size, 'ZSetCursor.seek: rank out of range');
    this.leaf = this.index.locate(rank);
    this.at = this.index.lastOffset;
    this.position = rank;
  }
}

function fillOf(node: Node, isLeaf: boolean): number {
  return isLeaf ? (node as Leaf).scores.length : (node as Branch).children.length;
}

// Orders pairs as the index does; for checks, not hot paths.
function comparePairs(scoreA: number, memberA: string, scoreB: number, memberB: string): number {
  if (scoreA < scoreB) return -1;
  if (scoreA > scoreB) return 1;
  return compareMembers(memberA, memberB);
}

// The child of branch whose range holds the pair: the number of separators <= it.
function childForPair(branch: Branch, score: number, member: string, plain: boolean): number {
  const keyScores = branch.keyScores;
  const keyMembers = branch.keyMembers;
  let lo = 0;
  let hi = keyScores.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const s = keyScores[mid];
    if (s < score || (s === score && !memberLess(member, keyMembers[mid], plain))) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

// Index of the first pair in leaf that is >= (score, member).
function leafLowerBound(leaf: Leaf, score: number, member: string, plain: boolean): number {
  const scores = leaf.scores;
  const members = leaf.members;
  let lo = 0;
  let hi = scores.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const s = scores[mid];
    if (s < score || (s === score && memberLess(members[mid], member, plain))) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

// How many of the first n ascending scores fall below the bound: < min, or <= min when exclusive.
// On separators this picks the child to descend into; on a leaf, the offset of the first match.
function countScoresBelow(scores: number[], n: number, min: number, exclusive: boolean): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const s = scores[mid];
    if (s < min || (exclusive && s === min)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

// As countScoresBelow, on members (Requires: plain is isPlain(bound)).
function countMembersBelow(members: string[], n: number, bound: string, exclusive: boolean, plain: boolean): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const m = members[mid];
    if (memberLess(m, bound, plain) || (exclusive && m === bound)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function sumBefore(sizes: number[], end: number): number {
  let sum = 0;
  for (let i = 0; i < end; i++) sum += sizes[i];
  return sum;
}

// Shifting by hand: splice would allocate its result array on every call.
function insertAt<T>(array: T[], at: number, value: T): void {
  for (let i = array.length; i > at; i--) array[i] = array[i - 1];
  array[at] = value;
}

function removeRange<T>(array: T[], at: number, count: number): void {
  const n = array.length - count;
  for (let i = at; i < n; i++) array[i] = array[i + count];
  array.length = n;
}

// Moves pairs from the left neighbour into leaf `child` until the two are even.
function borrowLeafFromLeft(parent: Branch, child: number): void {
  const leaf = parent.children[child] as Leaf;
  const left = parent.children[child - 1] as Leaf;
  const move = (left.scores.length - leaf.scores.length) >>> 1;
  const from = left.scores.length - move;
  leaf.scores = left.scores.slice(from).concat(leaf.scores);
  leaf.members = left.members.slice(from).concat(leaf.members);
  left.scores.length = from;
  left.members.length = from;
  parent.sizes[child - 1] -= move;
  parent.sizes[child] += move;
  parent.keyScores[child - 1] = leaf.scores[0];
  parent.keyMembers[child - 1] = leaf.members[0];
}

function borrowLeafFromRight(parent: Branch, child: number): void {
  const leaf = parent.children[child] as Leaf;
  const right = parent.children[child + 1] as Leaf;
  const move = (right.scores.length - leaf.scores.length) >>> 1;
  for (let i = 0; i < move; i++) {
    leaf.scores.push(right.scores[i]);
    leaf.members.push(right.members[i]);
  }
  removeRange(right.scores, 0, move);
  removeRange(right.members, 0, move);
  parent.sizes[child] += move;
  parent.sizes[child + 1] -= move;
  parent.keyScores[child] = right.scores[0];
  parent.keyMembers[child] = right.members[0];
}

// Merges leaf left + 1 into leaf left and drops it from parent.
function mergeLeaves(parent: Branch, left: number): void {
  const into = parent.children[left] as Leaf;
  const gone = parent.children[left + 1] as Leaf;
  for (let i = 0; i < gone.scores.length; i++) {
    into.scores.push(gone.scores[i]);
    into.members.push(gone.members[i]);
  }
  into.next = gone.next;
  if (gone.next !== null) gone.next.prev = into;
  parent.sizes[left] += parent.sizes[left + 1];
  removeRange(parent.children, left + 1, 1);
  removeRange(parent.sizes, left + 1, 1);
  removeRange(parent.keyScores, left, 1);
  removeRange(parent.keyMembers, left, 1);
}

// Moves children from the left neighbour into branch `child` until the two are even, rotating
// separators through the parent: the parent's separator comes down, the new boundary goes up.
function borrowBranchFromLeft(parent: Branch, child: number): void {
  const node = parent.children[child] as Branch;
  const left = parent.children[child - 1] as Branch;
  const move = (left.children.length - node.children.length) >>> 1;
  const from = left.children.length - move;
  const moved = sumRange(left.sizes, from, left.sizes.length);
  const downScore = parent.keyScores[child - 1];
  const downMember = parent.keyMembers[child - 1];
  parent.keyScores[child - 1] = left.keyScores[from - 1];
  parent.keyMembers[child - 1] = left.keyMembers[from - 1];
  node.children = left.children.slice(from).concat(node.children);
  node.sizes = left.sizes.slice(from).concat(node.sizes);
  node.keyScores = left.keyScores.slice(from).concat([downScore], node.keyScores);
  node.keyMembers = left.keyMembers.slice(from).concat([downMember], node.keyMembers);
  left.children.length = from;
  left.sizes.length = from;
  left.keyScores.length = from - 1;
  left.keyMembers.length = from - 1;
  parent.sizes[child - 1] -= moved;
  parent.sizes[child] += moved;
}

function borrowBranchFromRight(parent: Branch, child: number): void {
  const node = parent.children[child] as Branch;
  const right = parent.children[child + 1] as Branch;
  const move = (right.children.length - node.children.length) >>> 1;
  const moved = sumRange(right.sizes, 0, move);
  node.keyScores.push(parent.keyScores[child]);
  node.keyMembers.push(parent.keyMembers[child]);
  for (let i = 0; i < move; i++) {
    node.children.push(right.children[i]);
    node.sizes.push(right.sizes[i]);
    if (i < move - 1) {
      node.keyScores.push(right.keyScores[i]);
      node.keyMembers.push(right.keyMembers[i]);
    }
  }
  parent.keyScores[child] = right.keyScores[move - 1];
  parent.keyMembers[child] = right.keyMembers[move - 1];
  removeRange(right.children, 0, move);
  removeRange(right.sizes, 0, move);
  removeRange(right.keyScores, 0, move);
  removeRange(right.keyMembers, 0, move);
  parent.sizes[child] += moved;
  parent.sizes[child + 1] -= moved;
}

// Merges branch left + 1 into branch left; their parent separator comes down between them.
function mergeBranches(parent: Branch, left: number): void {
  const into = parent.children[left] as Branch;
  const gone = parent.children[left + 1] as Branch;
  into.keyScores.push(parent.keyScores[left]);
  into.keyMembers.push(parent.keyMembers[left]);
  for (let i = 0; i < gone.children.length; i++) {
    into.children.push(gone.children[i]);
    into.sizes.push(gone.sizes[i]);
  }
  for (let i = 0; i < gone.keyScores.length; i++) {
    into.keyScores.push(gone.keyScores[i]);
    into.keyMembers.push(gone.keyMembers[i]);
  }
  parent.sizes[left] += parent.sizes[left + 1];
  removeRange(parent.children, left + 1, 1);
  removeRange(parent.sizes, left + 1, 1);
  removeRange(parent.keyScores, left, 1);
  removeRange(parent.keyMembers, left, 1);
}

function sumRange(sizes: number[], from: number, to: number): number {
  let sum = 0;
  for (let i = from; i < to; i++) sum += sizes[i];
  return sum;
}

// Splits n items into runs of `capacity`, except that a short final run below min is evened out
// with the one before it (both then hold >= min, since capacity + leftover >= 2 * min).
function chunkBounds(n: number, capacity: number, min: number): Array<[number, number]> {
  const bounds: Array<[number, number]> = [];
  let from = 0;
  while (from < n) {
    let to = Math.min(n, from + capacity);
    const rest = n - to;
    if (rest > 0 && rest < min) to = from + ((n - from + 1) >>> 1);
    bounds.push([from, to]);
    from = to;
  }
  return bounds;
}
