// ZSetIndex: the ordered half of a sorted set (the member -> score dict lives elsewhere). It holds
// (score, member) pairs ordered by score (numeric `<`, so -0 equals 0; scores are never NaN), then by
// member in UTF-8 byte order, which is Unicode code point order. It answers by rank as well as by
// key, so it is an order-statistic B+tree:
//   - A leaf holds up to leafCap pairs in parallel score / member arrays and links to its prev/next
//     leaf. A branch holds its children, each child's subtree size (for rank arithmetic) and
//     `children - 1` separators: key[j] > every pair under children[0..j] and <= every pair under
//     children[j+1..]. A separator is a copy of a pair that was first in its subtree when set;
//     deleting that pair leaves it in place, still a valid bound.
//   - Nodes are not objects. Each index keeps pools: one `number[]` of scores and one `string[]` of
//     members in which leaf k owns the fixed slot [k * leafCap, (k + 1) * leafCap), likewise for
//     branches, plus per-node counts and links, with free lists for released slots. A descent then
//     reads only the pool lines it searches, where object nodes cost a dependent cache/TLB miss per
//     hop (node -> array -> elements): at 1M members, insert ran ~2.3x, rank ~1.7x and score-bound
//     searches ~3x faster than with object nodes. Nothing is allocated per element or per node.
//   - Small sets stay small: while the tree is one leaf its pools are as long as the set (not a full
//     slot) and the pools a lone leaf never writes are shared stand-ins. Large sets give memory
//     back: when half the leaf slots are free the tree is rebuilt compactly (O(n), amortized O(1)
//     per delete). Runs of ascending or descending inserts (timestamps) fill their leaves instead
//     of leaving them half empty (see makeRoom).
// Invariants (`checkInvariants` verifies them all; the spec runs it after every op): every leaf is at
// depth `height`; sizes[i] is the pair count under children[i]; a non-root leaf holds >= leafMin
// pairs and a non-root branch >= branchMin children (min = floor(capacity / 2)); a root branch has
// >= 2 children (the root collapses otherwise); leaves are linked in order; unused member slots hold
// '' so that deleted strings can be collected; after a delete, fewer than half the leaf slots are
// free.
// Updates descend once from the root, remembering the path in reusable arrays (no parent links to
// maintain), then fix sizes and split or rebalance along that path.

import { assert } from '../assert.ts';

/**
 * Compares members in UTF-8 byte order (= code point order). JS `<` compares UTF-16 code units,
 * which agrees except when the first difference is a surrogate (part of a code point > U+FFFF)
 * against a unit in U+E000..U+FFFF; only that case takes the slow path. Lone surrogates compare as
 * their own code point (U+D800..U+DFFF), as their WTF-8 bytes would.
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
  // that lead is shared, so compare the code points starting there.
  let start = i;
  if (i > 0 && isLead(a.charCodeAt(i - 1)) && (isTrail(a.charCodeAt(i)) || isTrail(b.charCodeAt(i)))) start = i - 1;
  return codePointAt(a, start) - codePointAt(b, start);
}

function isLead(unit: number): boolean {
  return unit >= 0xd800 && unit <= 0xdbff;
}

function isTrail(unit: number): boolean {
  return unit >= 0xdc00 && unit <= 0xdfff;
}

// Requires: start < s.length.
function codePointAt(s: string, start: number): number {
  const unit = s.charCodeAt(start);
  if (isLead(unit) && start + 1 < s.length) {
    const next = s.charCodeAt(start + 1);
    if (isTrail(next)) return 0x10000 + ((unit - 0xd800) << 10) + (next - 0xdc00);
  }
  return unit;
}

// A string without code units >= 0xD800 compares exactly with `<` against any string: the first
// difference then has a unit below 0xD800. A search tests its probe (a native regex scan) at its
// first member comparison, which most searches never reach (scores decide), and then uses the
// native comparison throughout when the test holds. Skipping the scan saved ~20% of a random rank():
// it is the only read of the probe's characters.
const HIGH_UNIT = /[\ud800-\uffff]/;

function isPlain(s: string): boolean {
  return !HIGH_UNIT.test(s);
}

// What a search knows about its probe: not yet tested, or the isPlain result.
type Plainness = typeof UNTESTED | typeof PLAIN | typeof NOT_PLAIN;
const UNTESTED = 0;
const PLAIN = 1;
const NOT_PLAIN = 2;

function plainness(s: string): Plainness {
  return isPlain(s) ? PLAIN : NOT_PLAIN;
}

// Requires: plain is isPlain(a) or isPlain(b).
function memberLess(a: string, b: string, plain: boolean): boolean {
  return plain ? a < b : compareMembers(a, b) < 0;
}

// An empty array that V8 already keeps as unboxed doubles, so integer scores don't start it as
// small integers and make the hot loads polymorphic later.
function doubles(): number[] {
  const array = [0.5];
  array.length = 0;
  return array;
}

const NONE = -1;

// Shared stand-ins for the pools a one-leaf tree never writes: leaf links, free lists, branch pools
// and the path. Most sorted sets are small, and these ~10 arrays were half of an empty index
// (~770 -> ~370 bytes). Only read while shared: allocLeaf / allocBranch give the tree its own
// before any write (checkInvariants verifies they stay pristine).
const SHARED_LINKS: number[] = [NONE];
const SHARED_NUMBERS: number[] = [];
const SHARED_DOUBLES: number[] = doubles();
const SHARED_STRINGS: string[] = [];

// A lone leaf's pools grow by concat with these fillers: concat allocates exactly the new length,
// where push would reserve 16+ spare slots (a 3-member set's pools took 2 x 144 bytes, not 2 x 48).
const DOUBLE_PADS: number[][] = [];
const STRING_PADS: string[][] = [];

function padDoubles(length: number): number[] {
  let pad = DOUBLE_PADS[length];
  if (pad === undefined) {
    pad = doubles();
    for (let i = 0; i < length; i++) pad.push(0);
    DOUBLE_PADS[length] = pad;
  }
  return pad;
}

function padStrings(length: number): string[] {
  let pad = STRING_PADS[length];
  if (pad === undefined) {
    pad = [];
    for (let i = 0; i < length; i++) pad.push('');
    STRING_PADS[length] = pad;
  }
  return pad;
}

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
  /** Pairs per leaf, >= 4. Small values are for tests; the default is tuned by measurement. */
  leafCapacity?: number;
  /** Children per branch, >= 4. */
  branchCapacity?: number;
}

// Measured with bench/zset-index.bench.ts at 1M members: leaves of 32..128 were within ~10% of
// each other; branches of 16 or 32 cost 15-20% on insert and rank (a deeper tree); 64/64 was best
// or tied, and larger slots would only grow the slack of small trees.
const DEFAULT_LEAF_CAPACITY = 64;
const DEFAULT_BRANCH_CAPACITY = 64;

export class ZSetIndex {
  private readonly tree: Tree;
  // Rank by position (rankAt): the pairs before each leaf in index order, by leaf slot. Valid while
  // prefixVersion === version; any change bumps version, and a stale table is rebuilt only after
  // enough reads since the change to pay for it (a quarter of the leaf count: at most four leaf
  // visits per read, amortized). Not in the memory estimate: 8 bytes per leaf, ~0.2 per pair.
  private version = 0;
  private prefix: number[] = [];
  private prefixVersion = -1;
  private readsSinceChange = 0;

  constructor(options: ZSetIndexOptions = {}) {
    this.tree = new Tree(options.leafCapacity ?? DEFAULT_LEAF_CAPACITY, options.branchCapacity ?? DEFAULT_BRANCH_CAPACITY);
  }

  /**
   * Builds an index from pairs already in index order, leaves full: O(n), for loading snapshots.
   * Throws RangeError when the pairs are not strictly ascending or a score is NaN, so a damaged
   * file cannot build a corrupt index.
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
    index.tree.build(scores, members);
    return index;
  }

  get size(): number {
    return this.tree.size;
  }

  /** Branch levels above the leaves (0 while everything fits in one leaf); for tests and stats. */
  get depth(): number {
    return this.tree.height;
  }

  /** Pair slots allocated in the leaf pools (>= size). */
  get capacity(): number {
    const tree = this.tree;
    return tree.height === 0 ? tree.members.length : tree.leafCount.length * tree.leafCap;
  }

  /**
   * The pools' size for memory accounting, in leaf-slot units (a score and a member reference):
   * the leaf slots plus each branch slot counted twice (a separator's score and member, a size and
   * a child). Branches are ~1/40 of a big tree, but a set of a few hundred members has one or two
   * branches of branchCap slots each, as big as its leaves.
   */
  get memorySlots(): number {
    const tree = this.tree;
    if (tree.height === 0) return tree.members.length;
    return tree.leafCount.length * tree.leafCap + 2 * tree.branchCount.length * tree.branchCap;
  }

  /** Requires: the pair is not present; score is not NaN. */
  insert(score: number, member: string): void {
    this.changed();
    this.tree.insert(score, member);
  }

  /** Removes the pair; false when it is absent. */
  delete(score: number, member: string): boolean {
    this.changed();
    return this.tree.delete(score, member);
  }

  /** 0-based rank of the pair, -1 when absent. */
  rank(score: number, member: string): number {
    return this.tree.rank(score, member);
  }

  /** Where the last rank() call found its pair: a position in the leaf pools, for rankAt. */
  get lastPosition(): number {
    return this.tree.rankPosition;
  }

  /**
   * Whether rankAt can answer now. Counts a read: the table of pairs before each leaf is rebuilt
   * once enough reads have followed the last change.
   */
  leafRanksReady(): boolean {
    if (this.prefixVersion === this.version) return true;
    if (++this.readsSinceChange < this.tree.leafCount.length >>> 2) return false;
    this.buildPrefix();
    return true;
  }

  /**
   * The rank of `member` if it is the pair at `position` (a lastPosition from an earlier rank());
   * -1 otherwise, and whenever leafRanksReady() would say false. A caller that remembers where it
   * found a member skips the descent from the root and the search of the leaf: one load confirms
   * the guess, and a stale one (the member moved, or the set changed) fails that check.
   */
  rankAt(position: number, member: string): number {
    const tree = this.tree;
    if (this.prefixVersion !== this.version) return -1;
    const leaf = (position / tree.leafCap) | 0;
    if (leaf >= tree.leafCount.length) return -1;
    const offset = position - leaf * tree.leafCap;
    if (offset >= tree.leafCount[leaf] || tree.members[position] !== member) return -1;
    return this.prefix[leaf] + offset;
  }

  private buildPrefix(): void {
    const tree = this.tree;
    const prefix = this.prefix;
    let before = 0;
    for (let leaf = tree.edgeLeaf(false); leaf !== NONE; leaf = tree.next[leaf]) {
      prefix[leaf] = before;
      before += tree.leafCount[leaf];
    }
    this.prefixVersion = this.version;
  }

  private changed(): void {
    this.version++;
    this.readsSinceChange = 0;
  }

  /** Requires: 0 <= rank < size. */
  scoreAt(rank: number): number {
    const tree = this.tree;
    return tree.scores[tree.slotAt(rank, false)];
  }

  /** Requires: 0 <= rank < size. */
  memberAt(rank: number): string {
    const tree = this.tree;
    return tree.members[tree.slotAt(rank, false)];
  }

  /** First rank whose score is >= min (> min when exclusive); size when none. */
  firstRankAbove(min: number, exclusive: boolean): number {
    return this.tree.firstRankAbove(min, exclusive);
  }

  /** Last rank whose score is <= max (< max when exclusive); -1 when none. */
  lastRankBelow(max: number, exclusive: boolean): number {
    return this.tree.firstRankAbove(max, !exclusive) - 1;
  }

  /**
   * First rank whose member is >= bound (> bound when exclusive); a null bound is '-'. A binary
   * search on members along the index order: exact when all scores are equal (what Redis's lex
   * commands assume), otherwise well-defined but arbitrary.
   */
  firstRankAboveMember(bound: string | null, exclusive: boolean): number {
    return bound === null ? 0 : this.tree.firstRankAboveMember(bound, exclusive);
  }

  /** Last rank whose member is <= bound (< bound when exclusive); a null bound is '+'. */
  lastRankBelowMember(bound: string | null, exclusive: boolean): number {
    return bound === null ? this.tree.size - 1 : this.tree.firstRankAboveMember(bound, !exclusive) - 1;
  }

  /** A cursor at rank. Requires: -1 <= rank <= size (the two ends give an invalid cursor). */
  cursorAt(rank: number): ZSetCursor {
    const cursor = new Cursor(this.tree);
    cursor.seek(rank);
    return cursor;
  }

  /**
   * Deletes the pairs at ranks start..stop inclusive (clamped to 0..size-1), calling onDelete on
   * each in order first; returns how many. O(removed + (removed / leafCapacity + 1) * log n): whole
   * leaves are unlinked, not emptied pair by pair.
   * Requires: integer ranks; onDelete neither throws nor touches this index.
   */
  deleteRankRange(start: number, stop: number, onDelete?: (score: number, member: string) => void): number {
    this.changed();
    return this.tree.deleteRankRange(start, stop, onDelete);
  }

  clear(): void {
    this.changed();
    this.prefix = [];
    this.tree.reset();
  }

  /** Calls fn on every pair in order. Requires: fn does not change this index. */
  forEach(fn: (score: number, member: string) => void): void {
    const tree = this.tree;
    const scores = tree.scores;
    const members = tree.members;
    for (let leaf = tree.edgeLeaf(false); leaf !== NONE; leaf = tree.next[leaf]) {
      const base = leaf * tree.leafCap;
      const end = base + tree.leafCount[leaf];
      for (let i = base; i < end; i++) fn(scores[i], members[i]);
    }
  }

  /**
   * Calls fn once per leaf, in order, with the pool arrays and the leaf's [start, end) in them:
   * for bulk readers (a snapshot encodes a leaf's pairs in one call). fn must not change the index.
   */
  forEachRun(fn: (scores: readonly number[], members: readonly string[], start: number, end: number) => void): void {
    const tree = this.tree;
    for (let leaf = tree.edgeLeaf(false); leaf !== NONE; leaf = tree.next[leaf]) {
      const base = leaf * tree.leafCap;
      fn(tree.scores, tree.members, base, base + tree.leafCount[leaf]);
    }
  }

  /** Verifies every structural invariant; returns the first one broken, or null. O(n); for tests. */
  checkInvariants(): string | null {
    return this.tree.check();
  }
}

class Cursor implements ZSetCursor {
  // `at` is a slot in the leaf pool; [start, end) is the current leaf's run of pairs.
  private leaf = 0;
  private at = 0;
  private start = 0;
  private end = 0;
  private position = 0;
  private scores: number[];
  private members: string[];

  constructor(private readonly tree: Tree) {
    this.scores = tree.scores;
    this.members = tree.members;
  }

  get valid(): boolean {
    return this.at >= this.start && this.at < this.end;
  }

  get score(): number {
    return this.scores[this.at];
  }

  get member(): string {
    return this.members[this.at];
  }

  get rank(): number {
    return this.position;
  }

  next(): void {
    if (this.at >= this.end) return;
    this.at++;
    this.position++;
    if (this.at === this.end) {
      const next = this.tree.next[this.leaf];
      if (next !== NONE) this.enter(next, 0);
    }
  }

  prev(): void {
    if (this.at < this.start) return;
    this.at--;
    this.position--;
    if (this.at < this.start) {
      const prev = this.tree.prev[this.leaf];
      if (prev !== NONE) this.enter(prev, this.tree.leafCount[prev] - 1);
    }
  }

  seek(rank: number): void {
    const tree = this.tree;
    assert(rank >= -1 && rank <= tree.size, 'ZSetCursor.seek: rank out of range');
    this.scores = tree.scores;
    this.members = tree.members;
    this.position = rank;
    if (rank === tree.size) {
      const last = tree.edgeLeaf(true);
      this.enter(last, tree.leafCount[last]);
    } else if (rank === -1) {
      this.enter(tree.edgeLeaf(false), -1);
    } else {
      const slot = tree.slotAt(rank, false);
      const leaf = tree.slotLeaf;
      this.enter(leaf, slot - leaf * tree.leafCap);
    }
  }

  private enter(leaf: number, offset: number): void {
    const tree = this.tree;
    this.leaf = leaf;
    this.start = leaf * tree.leafCap;
    this.end = this.start + tree.leafCount[leaf];
    this.at = this.start + offset;
  }
}

// The pools and every algorithm on them. Fields are public for ZSetIndex and Cursor only (the class
// is not exported); ids index the per-node arrays.
class Tree {
  readonly leafMin: number;
  readonly branchMin: number;

  // Leaves. Slot k's pairs are scores/members[k * leafCap, + leafCount[k]).
  scores: number[] = doubles();
  members: string[] = [];
  leafCount: number[] = [0];
  prev = SHARED_LINKS;
  next = SHARED_LINKS;
  freeLeaves = SHARED_NUMBERS;

  // Branches. Slot b's children and sizes are at [b * branchCap, + branchCount[b]), its separators
  // at [b * branchCap, + branchCount[b] - 1).
  keyScores = SHARED_DOUBLES;
  keyMembers = SHARED_STRINGS;
  sizes = SHARED_NUMBERS;
  children = SHARED_NUMBERS;
  branchCount = SHARED_NUMBERS;
  freeBranches = SHARED_NUMBERS;

  root = 0;
  /** Branch levels above the leaves: 0 while the root is a leaf. */
  height = 0;
  size = 0;

  // The branches and child positions of the last descent, root first; reused, never reallocated.
  pathNodes = SHARED_NUMBERS;
  pathIdx = SHARED_NUMBERS;
  // Out-values, as fields so that nothing is allocated: the leaf holding slotAt's slot, and the
  // pairs left of findLeaf's path.
  slotLeaf = 0;
  rankBase = 0;
  /** The pool position rank() ended at. */
  rankPosition = 0;
  probePlain: Plainness = UNTESTED;

  constructor(
    readonly leafCap: number,
    readonly branchCap: number,
  ) {
    // 4 is the least capacity for which a split's halves and a merge's sum both respect min.
    if (!(Number.isInteger(leafCap) && leafCap >= 4)) throw new RangeError('leafCapacity must be an integer >= 4');
    if (!(Number.isInteger(branchCap) && branchCap >= 4)) throw new RangeError('branchCapacity must be an integer >= 4');
    this.leafMin = leafCap >>> 1;
    this.branchMin = branchCap >>> 1;
  }

  reset(): void {
    this.scores = doubles();
    this.members = [];
    this.leafCount = [0];
    this.prev = SHARED_LINKS;
    this.next = SHARED_LINKS;
    this.freeLeaves = SHARED_NUMBERS;
    this.keyScores = SHARED_DOUBLES;
    this.keyMembers = SHARED_STRINGS;
    this.sizes = SHARED_NUMBERS;
    this.children = SHARED_NUMBERS;
    this.branchCount = SHARED_NUMBERS;
    this.freeBranches = SHARED_NUMBERS;
    this.pathNodes = SHARED_NUMBERS;
    this.pathIdx = SHARED_NUMBERS;
    this.root = 0;
    this.height = 0;
    this.size = 0;
  }

  // ---- searches ---------------------------------------------------------------------------

  // Descends to the leaf whose range holds the pair, recording the path. With `countBefore`, also
  // sums the sizes left of the path into rankBase: during the descent those loads overlap the
  // search's cache misses (~10% faster rank than summing afterwards).
  findLeaf(score: number, member: string, countBefore: boolean): number {
    const keyScores = this.keyScores;
    const keyMembers = this.keyMembers;
    const children = this.children;
    const branchCount = this.branchCount;
    const sizes = this.sizes;
    const cap = this.branchCap;
    let node = this.root;
    let before = 0;
    let plain: Plainness = UNTESTED;
    for (let depth = 0; depth < this.height; depth++) {
      const base = node * cap;
      // The child is the number of separators <= the pair (scores first, as in lowerBound).
      const end = base + branchCount[node] - 1;
      let lo = countScoresBelow(keyScores, base, end, score, false);
      if (lo < end && keyScores[lo] === score) {
        if (plain === UNTESTED) plain = plainness(member);
        let hi = countScoresBelow(keyScores, lo + 1, end, score, true);
        while (lo < hi) {
          const mid = (lo + hi) >>> 1;
          if (!memberLess(member, keyMembers[mid], plain === PLAIN)) lo = mid + 1;
          else hi = mid;
        }
      }
      this.pathNodes[depth] = node;
      this.pathIdx[depth] = lo - base;
      if (countBefore) for (let i = base; i < lo; i++) before += sizes[i];
      node = children[lo];
    }
    this.rankBase = before;
    this.probePlain = plain;
    return node;
  }

  // Slot of the pair at rank (Requires: 0 <= rank < size); sets slotLeaf; records the path when asked.
  slotAt(rank: number, record: boolean): number {
    const sizes = this.sizes;
    const children = this.children;
    const cap = this.branchCap;
    let node = this.root;
    for (let depth = 0; depth < this.height; depth++) {
      let i = node * cap;
      while (rank >= sizes[i]) rank -= sizes[i++];
      if (record) {
        this.pathNodes[depth] = node;
        this.pathIdx[depth] = i - node * cap;
      }
      node = children[i];
    }
    this.slotLeaf = node;
    return node * this.leafCap + rank;
  }

  rank(score: number, member: string): number {
    const leaf = this.findLeaf(score, member, true);
    const base = leaf * this.leafCap;
    const end = base + this.leafCount[leaf];
    const at = lowerBound(this.scores, this.members, base, end, score, member, this.probePlain);
    this.rankPosition = at;
    if (at === end || this.scores[at] !== score || this.members[at] !== member) return -1;
    return this.rankBase + at - base;
  }

  firstRankAbove(min: number, exclusive: boolean): number {
    const keyScores = this.keyScores;
    const sizes = this.sizes;
    const children = this.children;
    const cap = this.branchCap;
    let node = this.root;
    let before = 0;
    for (let depth = 0; depth < this.height; depth++) {
      const base = node * cap;
      // Children left of the first separator that matches hold no match (see countScoresBelow).
      const child = countScoresBelow(keyScores, base, base + this.branchCount[node] - 1, min, exclusive);
      for (let i = base; i < child; i++) before += sizes[i];
      node = children[child];
    }
    const base = node * this.leafCap;
    return before + countScoresBelow(this.scores, base, base + this.leafCount[node], min, exclusive) - base;
  }

  firstRankAboveMember(bound: string, exclusive: boolean): number {
    const plain = isPlain(bound);
    const keyMembers = this.keyMembers;
    const sizes = this.sizes;
    const children = this.children;
    const cap = this.branchCap;
    let node = this.root;
    let before = 0;
    for (let depth = 0; depth < this.height; depth++) {
      const base = node * cap;
      const child = countMembersBelow(keyMembers, base, base + this.branchCount[node] - 1, bound, exclusive, plain);
      for (let i = base; i < child; i++) before += sizes[i];
      node = children[child];
    }
    const base = node * this.leafCap;
    return before + countMembersBelow(this.members, base, base + this.leafCount[node], bound, exclusive, plain) - base;
  }

  // The first leaf (last when `last`).
  edgeLeaf(last: boolean): number {
    let node = this.root;
    for (let depth = 0; depth < this.height; depth++) {
      const base = node * this.branchCap;
      node = this.children[last ? base + this.branchCount[node] - 1 : base];
    }
    return node;
  }

  // ---- insert -----------------------------------------------------------------------------

  insert(score: number, member: string): void {
    const leaf = this.findLeaf(score, member, false);
    let scores = this.scores;
    let members = this.members;
    const base = leaf * this.leafCap;
    const n = this.leafCount[leaf];
    const at = lowerBound(scores, members, base, base + n, score, member, this.probePlain);
    assert(at === base + n || scores[at] !== score || members[at] !== member, 'ZSetIndex.insert: pair already present');
    const sizes = this.sizes;
    const cap = this.branchCap;
    for (let depth = 0; depth < this.height; depth++) sizes[this.pathNodes[depth] * cap + this.pathIdx[depth]]++;
    this.size++;
    let offset = at - base;
    if (n === this.leafCap) {
      offset = this.makeRoom(leaf, offset);
      if (offset < 0) {
        this.splitLeafInserting(leaf, at - base, score, member);
        return;
      }
    }
    const count = this.leafCount[leaf];
    if (count === scores.length) {
      // A lone root leaf's pools may end at its last pair: grow them (doubling from 4, up to a slot).
      this.growLoneLeaf(count);
      scores = this.scores;
      members = this.members;
    }
    for (let i = base + count; i > base + offset; i--) {
      scores[i] = scores[i - 1];
      members[i] = members[i - 1];
    }
    scores[base + offset] = score;
    members[base + offset] = member;
    this.leafCount[leaf] = count + 1;
  }

  // Requires: a lone root leaf holding `count` < leafCap pairs, its pools exactly that long.
  private growLoneLeaf(count: number, grown = Math.min(this.leafCap, count < 4 ? 4 : 2 * count)): void {
    this.scores = this.scores.concat(padDoubles(grown - count));
    this.members = this.members.concat(padStrings(grown - count));
  }

  // For an insert at `offset` of a full leaf at either end of its run of pairs (ascending or
  // descending keys: timestamps, counters), moves pairs into the sibling on the far side when it
  // has room, filling it; returns the insert's new offset, or -1 to split instead. Splitting alone
  // would leave every leaf behind such a run half empty (~43 instead of ~20 bytes per pair).
  // Requires: the insert's path is recorded.
  private makeRoom(leaf: number, offset: number): number {
    if (this.height === 0) return -1;
    const parent = this.pathNodes[this.height - 1];
    const child = this.pathIdx[this.height - 1];
    const base = parent * this.branchCap;
    if (offset === this.leafCap && child > 0) {
      const room = this.leafCap - this.leafCount[this.children[base + child - 1]];
      if (room === 0) return -1;
      this.moveLeafPairsLeft(parent, child - 1, room);
      return offset - room;
    }
    if (offset === 0 && child + 1 < this.branchCount[parent]) {
      const room = this.leafCap - this.leafCount[this.children[base + child + 1]];
      if (room === 0) return -1;
      this.moveLeafPairsRight(parent, child + 1, room);
      return 0;
    }
    return -1;
  }

  // Splits a full leaf into itself and a new right neighbour while inserting the pair at offset
  // `at`, then gives the parent the new child. Requires: the insert's path is recorded.
  private splitLeafInserting(leaf: number, at: number, score: number, member: string): void {
    const right = this.allocLeaf();
    const scores = this.scores;
    const members = this.members;
    const cap = this.leafCap;
    const total = cap + 1;
    const leftCount = total >>> 1;
    const lb = leaf * cap;
    const rb = right * cap;
    // Position j of the combined run is the new pair at `at`, else an old pair shifted past it.
    for (let j = leftCount; j < total; j++) {
      const to = rb + j - leftCount;
      if (j === at) {
        scores[to] = score;
        members[to] = member;
      } else {
        const from = lb + (j > at ? j - 1 : j);
        scores[to] = scores[from];
        members[to] = members[from];
      }
    }
    if (at < leftCount) {
      for (let j = leftCount - 1; j > at; j--) {
        scores[lb + j] = scores[lb + j - 1];
        members[lb + j] = members[lb + j - 1];
      }
      scores[lb + at] = score;
      members[lb + at] = member;
    }
    for (let j = leftCount; j < cap; j++) members[lb + j] = '';
    this.leafCount[leaf] = leftCount;
    this.leafCount[right] = total - leftCount;
    const after = this.next[leaf];
    this.next[right] = after;
    if (after !== NONE) this.prev[after] = right;
    this.prev[right] = leaf;
    this.next[leaf] = right;
    this.addRightSibling(this.height - 1, leaf, right, leftCount, total - leftCount, scores[rb], members[rb]);
  }

  // Puts `right` just after `left` (child pathIdx[level] of pathNodes[level]), separated by the key,
  // splitting upwards as needed; level -1 means left is the root, so the tree grows a level.
  private addRightSibling(level: number, left: number, right: number, leftSize: number, rightSize: number, keyScore: number, keyMember: string): void {
    if (level < 0) {
      const root = this.allocBranch();
      const base = root * this.branchCap;
      this.children[base] = left;
      this.children[base + 1] = right;
      this.sizes[base] = leftSize;
      this.sizes[base + 1] = rightSize;
      this.keyScores[base] = keyScore;
      this.keyMembers[base] = keyMember;
      this.branchCount[root] = 2;
      this.root = root;
      this.height++;
      return;
    }
    const parent = this.pathNodes[level];
    const child = this.pathIdx[level];
    const cap = this.branchCap;
    const base = parent * cap;
    const n = this.branchCount[parent];
    const children = this.children;
    const sizes = this.sizes;
    const keyScores = this.keyScores;
    const keyMembers = this.keyMembers;
    sizes[base + child] = leftSize;
    if (n < cap) {
      for (let i = base + n; i > base + child + 1; i--) {
        children[i] = children[i - 1];
        sizes[i] = sizes[i - 1];
      }
      children[base + child + 1] = right;
      sizes[base + child + 1] = rightSize;
      for (let i = base + n - 1; i > base + child; i--) {
        keyScores[i] = keyScores[i - 1];
        keyMembers[i] = keyMembers[i - 1];
      }
      keyScores[base + child] = keyScore;
      keyMembers[base + child] = keyMember;
      this.branchCount[parent] = n + 1;
      return;
    }
    // Full: lay the n + 1 children and n separators out in order (rare, so plain arrays), then
    // deal them to the two halves; the separator between the halves moves up.
    const allChildren: number[] = [];
    const allSizes: number[] = [];
    const allKeyScores: number[] = [];
    const allKeyMembers: string[] = [];
    for (let i = 0; i < n; i++) {
      allChildren.push(children[base + i]);
      allSizes.push(sizes[base + i]);
      if (i === child) {
        allChildren.push(right);
        allSizes.push(rightSize);
        allKeyScores.push(keyScore);
        allKeyMembers.push(keyMember);
      }
      if (i < n - 1) {
        allKeyScores.push(keyScores[base + i]);
        allKeyMembers.push(keyMembers[base + i]);
      }
    }
    const sibling = this.allocBranch();
    const sb = sibling * cap;
    const leftN = (n + 1) >>> 1;
    const rightN = n + 1 - leftN;
    let leftTotal = 0;
    let rightTotal = 0;
    for (let i = 0; i < leftN; i++) {
      children[base + i] = allChildren[i];
      sizes[base + i] = allSizes[i];
      leftTotal += allSizes[i];
    }
    for (let i = 0; i < rightN; i++) {
      children[sb + i] = allChildren[leftN + i];
      sizes[sb + i] = allSizes[leftN + i];
      rightTotal += allSizes[leftN + i];
    }
    for (let i = 0; i < leftN - 1; i++) {
      keyScores[base + i] = allKeyScores[i];
      keyMembers[base + i] = allKeyMembers[i];
    }
    for (let i = leftN - 1; i < n - 1; i++) keyMembers[base + i] = '';
    for (let i = 0; i < rightN - 1; i++) {
      keyScores[sb + i] = allKeyScores[leftN + i];
      keyMembers[sb + i] = allKeyMembers[leftN + i];
    }
    this.branchCount[parent] = leftN;
    this.branchCount[sibling] = rightN;
    this.addRightSibling(level - 1, parent, sibling, leftTotal, rightTotal, allKeyScores[leftN - 1], allKeyMembers[leftN - 1]);
  }

  // ---- delete -----------------------------------------------------------------------------

  delete(score: number, member: string): boolean {
    const leaf = this.findLeaf(score, member, false);
    const scores = this.scores;
    const members = this.members;
    const base = leaf * this.leafCap;
    const n = this.leafCount[leaf];
    const at = lowerBound(scores, members, base, base + n, score, member, this.probePlain);
    if (at === base + n || scores[at] !== score || members[at] !== member) return false;
    this.removeFromLeaf(leaf, at - base, 1);
    this.maybeCompact();
    return true;
  }

  deleteRankRange(start: number, stop: number, onDelete: ((score: number, member: string) => void) | undefined): number {
    if (start < 0) start = 0;
    if (stop > this.size - 1) stop = this.size - 1;
    if (start > stop) return 0;
    const total = stop - start + 1;
    if (total === this.size) {
      if (onDelete !== undefined) {
        for (let leaf = this.edgeLeaf(false); leaf !== NONE; leaf = this.next[leaf]) {
          const base = leaf * this.leafCap;
          for (let i = base; i < base + this.leafCount[leaf]; i++) onDelete(this.scores[i], this.members[i]);
        }
      }
      this.reset();
      return total;
    }
    let remaining = total;
    while (remaining > 0) {
      // The pairs after the removed ones shift down, so each round starts again at rank `start`.
      const slot = this.slotAt(start, true);
      const leaf = this.slotLeaf;
      const offset = slot - leaf * this.leafCap;
      const take = Math.min(remaining, this.leafCount[leaf] - offset);
      if (onDelete !== undefined) {
        for (let i = slot; i < slot + take; i++) onDelete(this.scores[i], this.members[i]);
      }
      this.removeFromLeaf(leaf, offset, take);
      remaining -= take;
    }
    this.maybeCompact();
    return total;
  }

  // Removes `take` pairs from offset `at` of leaf, updates sizes along the recorded path and
  // restores the fill rule.
  private removeFromLeaf(leaf: number, at: number, take: number): void {
    const scores = this.scores;
    const members = this.members;
    const base = leaf * this.leafCap;
    const n = this.leafCount[leaf];
    for (let i = base + at; i < base + n - take; i++) {
      scores[i] = scores[i + take];
      members[i] = members[i + take];
    }
    for (let i = base + n - take; i < base + n; i++) members[i] = '';
    this.leafCount[leaf] = n - take;
    const sizes = this.sizes;
    const cap = this.branchCap;
    for (let depth = 0; depth < this.height; depth++) sizes[this.pathNodes[depth] * cap + this.pathIdx[depth]] -= take;
    this.size -= take;
    if (n - take < this.leafMin && this.height > 0) this.rebalance(leaf);
  }

  // Restores the fill rule after `leaf` lost pairs: borrow from a sibling when the two can both
  // stay at min, else merge with it, and walk up while merges leave the parent underfull; then
  // collapse a root with one child. Requires: the path to leaf is recorded, sizes updated.
  private rebalance(leaf: number): void {
    let node = leaf;
    let isLeaf = true;
    for (let level = this.height - 1; level >= 0; level--) {
      const parent = this.pathNodes[level];
      const child = this.pathIdx[level];
      const min = isLeaf ? this.leafMin : this.branchMin;
      const fill = isLeaf ? this.leafCount[node] : this.branchCount[node];
      if (fill >= min) break;
      const base = parent * this.branchCap;
      const n = this.branchCount[parent];
      assert(n >= 2, 'ZSetIndex.rebalance: an underfull node has no sibling');
      if (isLeaf && fill === 0) {
        // An emptied leaf (range deletes empty many) is unlinked without moving any pair.
        this.unlinkEmptyLeaf(parent, child);
      } else if (child > 0 && this.fillOf(this.children[base + child - 1], isLeaf) + fill >= 2 * min) {
        // Evening out leaves both with >= min. (A range delete can take a leaf far below min, so a
        // neighbour above min is not enough.)
        if (isLeaf) this.moveLeafPairsRight(parent, child, (this.leafCount[this.children[base + child - 1]] - fill) >>> 1);
        else this.borrowBranchFromLeft(parent, child);
        break;
      } else if (child + 1 < n && this.fillOf(this.children[base + child + 1], isLeaf) + fill >= 2 * min) {
        if (isLeaf) this.moveLeafPairsLeft(parent, child, (this.leafCount[this.children[base + child + 1]] - fill) >>> 1);
        else this.borrowBranchFromRight(parent, child);
        break;
      } else {
        // Together they hold < 2 * min <= capacity, so they fit in one node.
        const left = child > 0 ? child - 1 : child;
        if (isLeaf) this.mergeLeaves(parent, left);
        else this.mergeBranches(parent, left);
      }
      node = parent;
      isLeaf = false;
    }
    while (this.height > 0 && this.branchCount[this.root] === 1) {
      const old = this.root;
      this.root = this.children[old * this.branchCap];
      this.freeBranch(old);
      this.height--;
    }
  }

  private fillOf(node: number, isLeaf: boolean): number {
    return isLeaf ? this.leafCount[node] : this.branchCount[node];
  }

  // Drops child `child` and separator `key` from parent, closing the gaps.
  private removeChild(parent: number, child: number, key: number): void {
    const base = parent * this.branchCap;
    const n = this.branchCount[parent];
    const children = this.children;
    const sizes = this.sizes;
    const keyScores = this.keyScores;
    const keyMembers = this.keyMembers;
    for (let i = base + child; i < base + n - 1; i++) {
      children[i] = children[i + 1];
      sizes[i] = sizes[i + 1];
    }
    for (let i = base + key; i < base + n - 2; i++) {
      keyScores[i] = keyScores[i + 1];
      keyMembers[i] = keyMembers[i + 1];
    }
    keyMembers[base + n - 2] = '';
    this.branchCount[parent] = n - 1;
  }

  private unlinkEmptyLeaf(parent: number, child: number): void {
    const leaf = this.children[parent * this.branchCap + child];
    const before = this.prev[leaf];
    const after = this.next[leaf];
    if (before !== NONE) this.next[before] = after;
    if (after !== NONE) this.prev[after] = before;
    this.freeLeaf(leaf);
    // Either neighbouring separator may go: both bound the remaining neighbours correctly.
    this.removeChild(parent, child, child > 0 ? child - 1 : 0);
  }

  // Moves `move` pairs from the end of leaf child - 1 to the front of leaf `child`.
  private moveLeafPairsRight(parent: number, child: number, move: number): void {
    const pb = parent * this.branchCap;
    const node = this.children[pb + child];
    const left = this.children[pb + child - 1];
    const scores = this.scores;
    const members = this.members;
    const n = this.leafCount[node];
    const ln = this.leafCount[left];
    const nb = node * this.leafCap;
    const from = left * this.leafCap + ln - move;
    for (let i = n - 1; i >= 0; i--) {
      scores[nb + i + move] = scores[nb + i];
      members[nb + i + move] = members[nb + i];
    }
    for (let i = 0; i < move; i++) {
      scores[nb + i] = scores[from + i];
      members[nb + i] = members[from + i];
      members[from + i] = '';
    }
    this.leafCount[node] = n + move;
    this.leafCount[left] = ln - move;
    this.sizes[pb + child - 1] -= move;
    this.sizes[pb + child] += move;
    this.keyScores[pb + child - 1] = scores[nb];
    this.keyMembers[pb + child - 1] = members[nb];
  }

  // Moves `move` pairs from the front of leaf child + 1 to the end of leaf `child`.
  private moveLeafPairsLeft(parent: number, child: number, move: number): void {
    const pb = parent * this.branchCap;
    const node = this.children[pb + child];
    const right = this.children[pb + child + 1];
    const scores = this.scores;
    const members = this.members;
    const n = this.leafCount[node];
    const rn = this.leafCount[right];
    const nb = node * this.leafCap;
    const rb = right * this.leafCap;
    for (let i = 0; i < move; i++) {
      scores[nb + n + i] = scores[rb + i];
      members[nb + n + i] = members[rb + i];
    }
    for (let i = 0; i < rn - move; i++) {
      scores[rb + i] = scores[rb + i + move];
      members[rb + i] = members[rb + i + move];
    }
    for (let i = rn - move; i < rn; i++) members[rb + i] = '';
    this.leafCount[node] = n + move;
    this.leafCount[right] = rn - move;
    this.sizes[pb + child] += move;
    this.sizes[pb + child + 1] -= move;
    this.keyScores[pb + child] = scores[rb];
    this.keyMembers[pb + child] = members[rb];
  }

  // Merges leaf left + 1 into leaf left and drops it from parent.
  private mergeLeaves(parent: number, left: number): void {
    const pb = parent * this.branchCap;
    const into = this.children[pb + left];
    const gone = this.children[pb + left + 1];
    const scores = this.scores;
    const members = this.members;
    const n = this.leafCount[into];
    const gn = this.leafCount[gone];
    const ib = into * this.leafCap + n;
    const gb = gone * this.leafCap;
    for (let i = 0; i < gn; i++) {
      scores[ib + i] = scores[gb + i];
      members[ib + i] = members[gb + i];
    }
    this.leafCount[into] = n + gn;
    const after = this.next[gone];
    this.next[into] = after;
    if (after !== NONE) this.prev[after] = into;
    this.freeLeaf(gone);
    this.sizes[pb + left] += this.sizes[pb + left + 1];
    this.removeChild(parent, left + 1, left);
  }

  // Moves children from the left neighbour into branch `child` until the two are even, rotating
  // separators through the parent: the parent's separator comes down, the new boundary goes up.
  private borrowBranchFromLeft(parent: number, child: number): void {
    const cap = this.branchCap;
    const pb = parent * cap;
    const children = this.children;
    const sizes = this.sizes;
    const keyScores = this.keyScores;
    const keyMembers = this.keyMembers;
    const node = children[pb + child];
    const left = children[pb + child - 1];
    const n = this.branchCount[node];
    const ln = this.branchCount[left];
    const move = (ln - n) >>> 1;
    const nb = node * cap;
    const lb = left * cap;
    for (let i = n - 1; i >= 0; i--) {
      children[nb + i + move] = children[nb + i];
      sizes[nb + i + move] = sizes[nb + i];
    }
    for (let i = n - 2; i >= 0; i--) {
      keyScores[nb + i + move] = keyScores[nb + i];
      keyMembers[nb + i + move] = keyMembers[nb + i];
    }
    let moved = 0;
    for (let i = 0; i < move; i++) {
      children[nb + i] = children[lb + ln - move + i];
      sizes[nb + i] = sizes[lb + ln - move + i];
      moved += sizes[nb + i];
    }
    for (let i = 0; i < move - 1; i++) {
      keyScores[nb + i] = keyScores[lb + ln - move + i];
      keyMembers[nb + i] = keyMembers[lb + ln - move + i];
    }
    keyScores[nb + move - 1] = keyScores[pb + child - 1];
    keyMembers[nb + move - 1] = keyMembers[pb + child - 1];
    keyScores[pb + child - 1] = keyScores[lb + ln - move - 1];
    keyMembers[pb + child - 1] = keyMembers[lb + ln - move - 1];
    for (let i = ln - move - 1; i < ln - 1; i++) keyMembers[lb + i] = '';
    this.branchCount[node] = n + move;
    this.branchCount[left] = ln - move;
    sizes[pb + child - 1] -= moved;
    sizes[pb + child] += moved;
  }

  private borrowBranchFromRight(parent: number, child: number): void {
    const cap = this.branchCap;
    const pb = parent * cap;
    const children = this.children;
    const sizes = this.sizes;
    const keyScores = this.keyScores;
    const keyMembers = this.keyMembers;
    const node = children[pb + child];
    const right = children[pb + child + 1];
    const n = this.branchCount[node];
    const rn = this.branchCount[right];
    const move = (rn - n) >>> 1;
    const nb = node * cap;
    const rb = right * cap;
    let moved = 0;
    for (let i = 0; i < move; i++) {
      children[nb + n + i] = children[rb + i];
      sizes[nb + n + i] = sizes[rb + i];
      moved += sizes[rb + i];
    }
    keyScores[nb + n - 1] = keyScores[pb + child];
    keyMembers[nb + n - 1] = keyMembers[pb + child];
    for (let i = 0; i < move - 1; i++) {
      keyScores[nb + n + i] = keyScores[rb + i];
      keyMembers[nb + n + i] = keyMembers[rb + i];
    }
    keyScores[pb + child] = keyScores[rb + move - 1];
    keyMembers[pb + child] = keyMembers[rb + move - 1];
    for (let i = 0; i < rn - move; i++) {
      children[rb + i] = children[rb + i + move];
      sizes[rb + i] = sizes[rb + i + move];
    }
    for (let i = 0; i < rn - 1 - move; i++) {
      keyScores[rb + i] = keyScores[rb + i + move];
      keyMembers[rb + i] = keyMembers[rb + i + move];
    }
    for (let i = rn - 1 - move; i < rn - 1; i++) keyMembers[rb + i] = '';
    this.branchCount[node] = n + move;
    this.branchCount[right] = rn - move;
    sizes[pb + child] += moved;
    sizes[pb + child + 1] -= moved;
  }

  // Merges branch left + 1 into branch left; their parent separator comes down between them.
  private mergeBranches(parent: number, left: number): void {
    const cap = this.branchCap;
    const pb = parent * cap;
    const children = this.children;
    const sizes = this.sizes;
    const keyScores = this.keyScores;
    const keyMembers = this.keyMembers;
    const into = children[pb + left];
    const gone = children[pb + left + 1];
    const n = this.branchCount[into];
    const gn = this.branchCount[gone];
    const ib = into * cap;
    const gb = gone * cap;
    keyScores[ib + n - 1] = keyScores[pb + left];
    keyMembers[ib + n - 1] = keyMembers[pb + left];
    for (let i = 0; i < gn; i++) {
      children[ib + n + i] = children[gb + i];
      sizes[ib + n + i] = sizes[gb + i];
    }
    for (let i = 0; i < gn - 1; i++) {
      keyScores[ib + n + i] = keyScores[gb + i];
      keyMembers[ib + n + i] = keyMembers[gb + i];
    }
    this.branchCount[into] = n + gn;
    this.freeBranch(gone);
    sizes[pb + left] += sizes[pb + left + 1];
    this.removeChild(parent, left + 1, left);
  }

  // ---- slots ------------------------------------------------------------------------------

  // A leaf slot, its pool range materialized (every slot but a lone root leaf's is full length).
  private allocLeaf(): number {
    if (this.next === SHARED_LINKS) {
      this.prev = [NONE];
      this.next = [NONE];
      this.freeLeaves = [];
    }
    const free = this.freeLeaves.pop();
    if (free !== undefined) return free;
    const id = this.leafCount.length;
    const end = (id + 1) * this.leafCap;
    const scores = this.scores;
    const members = this.members;
    while (scores.length < end) scores.push(0);
    while (members.length < end) members.push('');
    this.leafCount.push(0);
    this.prev.push(NONE);
    this.next.push(NONE);
    return id;
  }

  private freeLeaf(leaf: number): void {
    const base = leaf * this.leafCap;
    for (let i = base; i < base + this.leafCount[leaf]; i++) this.members[i] = '';
    this.leafCount[leaf] = 0;
    this.prev[leaf] = NONE;
    this.next[leaf] = NONE;
    this.freeLeaves.push(leaf);
  }

  private allocBranch(): number {
    if (this.children === SHARED_NUMBERS) {
      this.keyScores = doubles();
      this.keyMembers = [];
      this.sizes = [];
      this.children = [];
      this.branchCount = [];
      this.freeBranches = [];
      this.pathNodes = [];
      this.pathIdx = [];
    }
    const free = this.freeBranches.pop();
    if (free !== undefined) return free;
    const id = this.branchCount.length;
    const end = (id + 1) * this.branchCap;
    while (this.children.length < end) {
      this.children.push(0);
      this.sizes.push(0);
      this.keyScores.push(0);
      this.keyMembers.push('');
    }
    this.branchCount.push(0);
    return id;
  }

  private freeBranch(branch: number): void {
    const base = branch * this.branchCap;
    for (let i = base; i < base + this.branchCap; i++) this.keyMembers[i] = '';
    this.branchCount[branch] = 0;
    this.freeBranches.push(branch);
  }

  // Rebuilds compactly once at least half the leaf slots are free, or the tree is back to one leaf
  // in a multi-slot pool: the copy is O(n), paid for by the deletes that emptied those slots.
  private maybeCompact(): void {
    const slots = this.leafCount.length;
    if (this.height === 0 ? slots > 1 : 2 * this.freeLeaves.length >= slots) {
      const scores = doubles();
      const members: string[] = [];
      for (let leaf = this.edgeLeaf(false); leaf !== NONE; leaf = this.next[leaf]) {
        const base = leaf * this.leafCap;
        for (let i = base; i < base + this.leafCount[leaf]; i++) {
          scores.push(this.scores[i]);
          members.push(this.members[i]);
        }
      }
      this.build(scores, members);
    }
  }

  // Replaces the contents with the given pairs, leaves full (the last two share what is left, so
  // neither is underfull). Requires: pairs strictly ascending.
  build(scores: ArrayLike<number>, members: ArrayLike<string>): void {
    this.reset();
    const n = scores.length;
    if (n === 0) return;
    if (n <= this.leafCap) {
      this.growLoneLeaf(0, n);
      for (let i = 0; i < n; i++) {
        this.scores[i] = scores[i];
        this.members[i] = members[i];
      }
      this.leafCount[0] = n;
      this.size = n;
      return;
    }
    // Each level as parallel lists of node ids, subtree sizes and first pairs (the separators).
    let level: number[] = [];
    let levelSizes: number[] = [];
    let firstScores: number[] = [];
    let firstMembers: string[] = [];
    this.leafCount = [];
    this.prev = [];
    this.next = [];
    this.freeLeaves = [];
    for (const [from, to] of chunkBounds(n, this.leafCap, this.leafMin)) {
      const leaf = this.allocLeaf();
      const base = leaf * this.leafCap;
      for (let i = from; i < to; i++) {
        this.scores[base + i - from] = scores[i];
        this.members[base + i - from] = members[i];
      }
      this.leafCount[leaf] = to - from;
      if (level.length > 0) {
        const before = level[level.length - 1];
        this.next[before] = leaf;
        this.prev[leaf] = before;
      }
      level.push(leaf);
      levelSizes.push(to - from);
      firstScores.push(scores[from]);
      firstMembers.push(members[from]);
    }
    while (level.length > 1) {
      const up: number[] = [];
      const upSizes: number[] = [];
      const upScores: number[] = [];
      const upMembers: string[] = [];
      for (const [from, to] of chunkBounds(level.length, this.branchCap, this.branchMin)) {
        const branch = this.allocBranch();
        const base = branch * this.branchCap;
        let total = 0;
        for (let i = from; i < to; i++) {
          this.children[base + i - from] = level[i];
          this.sizes[base + i - from] = levelSizes[i];
          total += levelSizes[i];
          if (i > from) {
            this.keyScores[base + i - from - 1] = firstScores[i];
            this.keyMembers[base + i - from - 1] = firstMembers[i];
          }
        }
        this.branchCount[branch] = to - from;
        up.push(branch);
        upSizes.push(total);
        upScores.push(firstScores[from]);
        upMembers.push(firstMembers[from]);
      }
      level = up;
      levelSizes = upSizes;
      firstScores = upScores;
      firstMembers = upMembers;
      this.height++;
    }
    this.root = level[0];
    this.size = n;
  }

  // ---- checks -----------------------------------------------------------------------------

  check(): string | null {
    if (SHARED_LINKS.length !== 1 || SHARED_LINKS[0] !== NONE || SHARED_NUMBERS.length + SHARED_DOUBLES.length + SHARED_STRINGS.length !== 0) {
      return 'a shared stand-in pool was written';
    }
    const leaves: number[] = [];
    const liveBranches = new Set<number>();
    const problem = this.checkNode(this.root, 0, true, leaves, liveBranches);
    if (problem !== null) return problem;
    let total = 0;
    for (let i = 0; i < leaves.length; i++) {
      const leaf = leaves[i];
      total += this.leafCount[leaf];
      if (this.prev[leaf] !== (i > 0 ? leaves[i - 1] : NONE)) return `leaf ${leaf}: prev link wrong`;
      if (this.next[leaf] !== (i + 1 < leaves.length ? leaves[i + 1] : NONE)) return `leaf ${leaf}: next link wrong`;
    }
    if (total !== this.size) return `size ${this.size} but leaves hold ${total}`;
    if (leaves.length + this.freeLeaves.length !== this.leafCount.length) return 'leaf slots leaked or double-freed';
    if (liveBranches.size + this.freeBranches.length !== this.branchCount.length) return 'branch slots leaked or double-freed';
    for (const leaf of this.freeLeaves) if (leaves.includes(leaf)) return `free leaf ${leaf} is in the tree`;
    for (const branch of this.freeBranches) if (liveBranches.has(branch)) return `free branch ${branch} is in the tree`;
    for (let i = 0; i < this.members.length; i++) {
      const leaf = Math.floor(i / this.leafCap);
      if (i - leaf * this.leafCap >= this.leafCount[leaf] && this.members[i] !== '') return `leaf pool slot ${i} keeps a dead member`;
    }
    for (let i = 0; i < this.keyMembers.length; i++) {
      const branch = Math.floor(i / this.branchCap);
      if (i - branch * this.branchCap >= this.branchCount[branch] - 1 && this.keyMembers[i] !== '') return `branch pool slot ${i} keeps a dead separator`;
    }
    // maybeCompact runs after every delete, so the pools never stay mostly free.
    if (this.height === 0 ? this.leafCount.length !== 1 : 2 * this.freeLeaves.length >= this.leafCount.length) {
      return `${this.freeLeaves.length} of ${this.leafCount.length} leaf slots free, not compacted`;
    }
    let previous = -1;
    for (const leaf of leaves) {
      const base = leaf * this.leafCap;
      for (let i = base; i < base + this.leafCount[leaf]; i++) {
        if (previous !== -1 && comparePairs(this.scores[previous], this.members[previous], this.scores[i], this.members[i]) >= 0) {
          return `pairs out of order at (${this.scores[i]}, ${JSON.stringify(this.members[i])})`;
        }
        previous = i;
      }
    }
    return null;
  }

  // Checks the subtree; collects its leaves left to right and its branches.
  private checkNode(node: number, depth: number, isRoot: boolean, leaves: number[], branches: Set<number>): string | null {
    if (depth === this.height) {
      const n = this.leafCount[node];
      if (n > this.leafCap) return `leaf ${node} over capacity: ${n}`;
      if (!isRoot && n < this.leafMin) return `non-root leaf ${node} underfull: ${n}`;
      leaves.push(node);
      return null;
    }
    branches.add(node);
    const n = this.branchCount[node];
    const base = node * this.branchCap;
    if (n > this.branchCap) return `branch ${node} over capacity: ${n}`;
    if (isRoot ? n < 2 : n < this.branchMin) return `branch ${node} underfull: ${n} children`;
    for (let c = 0; c < n; c++) {
      const first = leaves.length;
      const problem = this.checkNode(this.children[base + c], depth + 1, false, leaves, branches);
      if (problem !== null) return problem;
      let subtotal = 0;
      for (let l = first; l < leaves.length; l++) {
        const lb = leaves[l] * this.leafCap;
        subtotal += this.leafCount[leaves[l]];
        for (let i = lb; i < lb + this.leafCount[leaves[l]]; i++) {
          if (c > 0 && comparePairs(this.scores[i], this.members[i], this.keyScores[base + c - 1], this.keyMembers[base + c - 1]) < 0) {
            return `branch ${node}: a pair is below the separator left of child ${c}`;
          }
          if (c < n - 1 && comparePairs(this.scores[i], this.members[i], this.keyScores[base + c], this.keyMembers[base + c]) >= 0) {
            return `branch ${node}: a pair is not below the separator right of child ${c}`;
          }
        }
      }
      if (subtotal !== this.sizes[base + c]) return `branch ${node}: sizes[${c}] is ${this.sizes[base + c]} but the subtree holds ${subtotal}`;
    }
    for (let i = base + 1; i < base + n - 1; i++) {
      if (comparePairs(this.keyScores[i - 1], this.keyMembers[i - 1], this.keyScores[i], this.keyMembers[i]) >= 0) {
        return `branch ${node}: separators out of order`;
      }
    }
    return null;
  }
}

// Orders pairs as the index does; for checks, not hot paths.
function comparePairs(scoreA: number, memberA: string, scoreB: number, memberB: string): number {
  if (scoreA < scoreB) return -1;
  if (scoreA > scoreB) return 1;
  return compareMembers(memberA, memberB);
}

// First slot in [lo, hi) whose pair is >= (score, member). Requires: plain is UNTESTED or
// plainness(member).
// Searches scores first and members only within the run of equal scores: a member comparison inside
// the main binary search, where the next probe waits on it, made random rank() ~2x slower.
function lowerBound(scores: number[], members: string[], lo: number, hi: number, score: number, member: string, plain: Plainness): number {
  lo = countScoresBelow(scores, lo, hi, score, false);
  if (lo === hi || scores[lo] !== score) return lo;
  // Usually the score is unique: its neighbour settles the run without another search, and when
  // the pair is the one sought, identity settles the comparison without reading characters.
  if (lo + 1 === hi || scores[lo + 1] !== score) {
    const m = members[lo];
    if (m === member) return lo;
    return memberLess(m, member, (plain === UNTESTED ? plainness(member) : plain) === PLAIN) ? lo + 1 : lo;
  }
  if (plain === UNTESTED) plain = plainness(member);
  hi = countScoresBelow(scores, lo + 2, hi, score, true);
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (memberLess(members[mid], member, plain === PLAIN)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

// First slot in [lo, hi) whose score passes the bound (>= min, or > min when exclusive). On a
// branch's separators it is also the child to descend into: children left of the first passing
// separator hold only failing pairs, and the first passing pair is under that child or is the first
// pair right of it (which the leaf search then reports as the leaf's end).
function countScoresBelow(scores: number[], lo: number, hi: number, min: number, exclusive: boolean): number {
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const s = scores[mid];
    if (s < min || (exclusive && s === min)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

// As countScoresBelow, on members. Requires: plain is isPlain(bound).
function countMembersBelow(members: string[], lo: number, hi: number, bound: string, exclusive: boolean, plain: boolean): number {
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const m = members[mid];
    if (memberLess(m, bound, plain) || (exclusive && m === bound)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
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
