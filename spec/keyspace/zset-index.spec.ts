// ZSetIndex against a plain sorted array. Random op sequences (fast-check, so failures shrink) run
// with tiny node capacities, so a few dozen pairs already split, borrow, merge and collapse the root
// at several levels; the structural checker runs after every op. Members mix surrogate pairs,
// U+E000..U+FFFF and ASCII so the UTF-16 vs code point difference is hit; scores repeat and include
// -0/0 and ±Infinity.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { ZSetIndex, compareMembers, type ZSetCursor } from '../../lib/keyspace/zset-index.ts';
import { seededRandom } from '../support/seeded-random.ts';

// Reference order: code points, one by one (what UTF-8 bytes give, and WTF-8 for lone surrogates).
function referenceCompare(a: string, b: string): number {
  const x = Array.from(a, (c) => c.codePointAt(0) as number);
  const y = Array.from(b, (c) => c.codePointAt(0) as number);
  for (let i = 0; i < x.length && i < y.length; i++) if (x[i] !== y[i]) return x[i] - y[i];
  return x.length - y.length;
}

const sign = (n: number): number => (n < 0 ? -1 : n > 0 ? 1 : 0);

type Pair = [number, string];

function pairCompare(a: Pair, b: Pair): number {
  if (a[0] < b[0]) return -1;
  if (a[0] > b[0]) return 1;
  return referenceCompare(a[1], b[1]);
}

// ---- compareMembers ------------------------------------------------------------------------

test('compareMembers: surrogate pairs sort above U+E000..U+FFFF', () => {
  assert.ok(compareMembers('\u{1F600}', '\uFFFF') > 0);
  assert.ok(compareMembers('\uE000', '\u{10000}') < 0);
  assert.ok('\u{1F600}' < '\uFFFF', 'JS < disagrees, which is why compareMembers exists');
  assert.is(compareMembers('ab', 'ab'), 0);
  assert.ok(compareMembers('a', 'ab') < 0);
  assert.ok(compareMembers('', 'a') < 0);
  assert.ok(compareMembers('x\u{10000}', 'x\uD800') > 0, 'paired vs lone lead');
  assert.ok(compareMembers('\uD800\uDC00', '\uD800\uE000') > 0, 'pair vs lone lead then U+E000');
  assert.ok(compareMembers('\uD800\uDC00', '\uDC00') > 0, 'pair vs lone trail');
});

test('compareMembers agrees with UTF-8 byte order on well-formed strings', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'binary' }), fc.string({ unit: 'binary' }), (a, b) => {
      const bytes = sign(Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8')));
      return sign(compareMembers(a, b)) === bytes && sign(compareMembers(b, a)) === -bytes;
    }),
    { numRuns: 3000 },
  );
});

test('compareMembers agrees with code point order on any UTF-16, lone surrogates included', () => {
  const unit = fc.oneof(
    fc.integer({ min: 0xd7fe, max: 0xe001 }).map((c) => String.fromCharCode(c)),
    fc.integer({ min: 0xdbfe, max: 0xdc01 }).map((c) => String.fromCharCode(c)),
    fc.constantFrom('a', '\uFFFF', '\uFFFE', '\uE000', '\u{10000}', '\u{10FFFF}'),
  );
  const text = fc.string({ unit, maxLength: 5 });
  fc.assert(
    fc.property(text, text, (a, b) => sign(compareMembers(a, b)) === sign(referenceCompare(a, b))),
    { numRuns: 5000 },
  );
});

// ---- model-based sequences -----------------------------------------------------------------

const PIECES = ['a', 'b', 'z', '\uE000', '\uFFFF', '\u{1F600}', '\u{10000}', 'é', ''];
const member = fc.array(fc.constantFrom(...PIECES), { maxLength: 3 }).map((parts) => parts.join(''));
const score = fc.oneof(
  fc.constantFrom(-Infinity, -1, -0, 0, 0.5, 1, 2, Infinity),
  fc.double({ noNaN: true, min: -5, max: 5 }),
);

type Op =
  | { kind: 'insert'; score: number; member: string }
  | { kind: 'insertMany'; pairs: Pair[] }
  | { kind: 'delete'; score: number; member: string }
  | { kind: 'deleteAt'; pick: number }
  | { kind: 'rank'; score: number; member: string; pick: number }
  | { kind: 'at'; pick: number }
  | { kind: 'scoreBounds'; min: number; max: number; minEx: boolean; maxEx: boolean }
  | { kind: 'lexBounds'; min: string | null; max: string | null; minEx: boolean; maxEx: boolean }
  | { kind: 'walk'; pick: number; steps: number[] }
  | { kind: 'deleteRange'; start: number; length: number }
  | { kind: 'clear' };

const pick = fc.nat({ max: 1_000_000 });
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 8, arbitrary: fc.record({ kind: fc.constant('insert' as const), score, member }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('insertMany' as const), pairs: fc.array(fc.tuple(score, member), { maxLength: 60, size: 'max' }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('delete' as const), score, member }) },
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('deleteAt' as const), pick }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('rank' as const), score, member, pick }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('at' as const), pick }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('scoreBounds' as const), min: score, max: score, minEx: fc.boolean(), maxEx: fc.boolean() }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('lexBounds' as const),
      min: fc.option(member),
      max: fc.option(member),
      minEx: fc.boolean(),
      maxEx: fc.boolean(),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('walk' as const), pick, steps: fc.array(fc.integer({ min: -6, max: 6 }), { maxLength: 6 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('deleteRange' as const), start: fc.integer({ min: -3, max: 150 }), length: fc.integer({ min: -2, max: 80 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('clear' as const) }) },
);

// Position of the first model pair >= p.
function lowerBound(model: Pair[], p: Pair): number {
  let lo = 0;
  let hi = model.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (pairCompare(model[mid], p) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function modelIndexOf(model: Pair[], p: Pair): number {
  const at = lowerBound(model, p);
  return at < model.length && pairCompare(model[at], p) === 0 ? at : -1;
}

function insertBoth(index: ZSetIndex, model: Pair[], s: number, m: string): void {
  if (modelIndexOf(model, [s, m]) !== -1) return;
  index.insert(s, m);
  model.splice(lowerBound(model, [s, m]), 0, [s, m]);
}

function contents(index: ZSetIndex): Pair[] {
  const out: Pair[] = [];
  index.forEach((s, m) => out.push([s, m]));
  return out;
}

function sameScore(a: number, b: number): boolean {
  return a === b; // -0 === 0: the index may keep either sign of a stored zero
}

// Evidence that the sequences reach deep trees and shrink them again (checked in a final test).
const coverage = { maxDepth: 0, depthDrops: 0 };

function run(ops: Op[], leafCapacity: number, branchCapacity: number, equalScores: boolean): void {
  const index = new ZSetIndex({ leafCapacity, branchCapacity });
  let model: Pair[] = [];
  // Lex searches are exact only when every score is equal; -0 and 0 both count as that score.
  const norm = (s: number): number => (equalScores ? (Object.is(s, -0) || s < 0 ? -0 : 0) : s);
  for (const [step, o] of ops.entries()) {
    const where = `op ${step} ${o.kind}`;
    const depthBefore = index.depth;
    switch (o.kind) {
      case 'insert':
        insertBoth(index, model, norm(o.score), o.member);
        break;
      case 'insertMany':
        for (const [s, m] of o.pairs) insertBoth(index, model, norm(s), m);
        break;
      case 'delete': {
        const at = modelIndexOf(model, [norm(o.score), o.member]);
        assert.is(index.delete(norm(o.score), o.member), at !== -1, where);
        if (at !== -1) model.splice(at, 1);
        break;
      }
      case 'deleteAt': {
        if (model.length === 0) break;
        const [s, m] = model[o.pick % model.length];
        // The other sign of zero names the same pair.
        assert.ok(index.delete(s === 0 ? (Object.is(s, 0) ? -0 : 0) : s, m), where);
        assert.not.ok(index.delete(s, m), `${where}: second delete`);
        model.splice(o.pick % model.length, 1);
        break;
      }
      case 'rank': {
        assert.is(index.rank(norm(o.score), o.member), modelIndexOf(model, [norm(o.score), o.member]), where);
        if (model.length > 0) {
          const r = o.pick % model.length;
          assert.is(index.rank(model[r][0], model[r][1]), r, `${where}: present pair`);
        }
        break;
      }
      case 'at': {
        if (model.length === 0) break;
        const r = o.pick % model.length;
        assert.ok(sameScore(index.scoreAt(r), model[r][0]), where);
        assert.is(index.memberAt(r), model[r][1], where);
        break;
      }
      case 'scoreBounds': {
        const first = model.findIndex(([s]) => (o.minEx ? s > o.min : s >= o.min));
        assert.is(index.firstRankAbove(o.min, o.minEx), first === -1 ? model.length : first, `${where}: min`);
        const after = model.findIndex(([s]) => (o.maxEx ? s >= o.max : s > o.max));
        assert.is(index.lastRankBelow(o.max, o.maxEx), (after === -1 ? model.length : after) - 1, `${where}: max`);
        break;
      }
      case 'lexBounds': {
        const first = index.firstRankAboveMember(o.min, o.minEx);
        const last = index.lastRankBelowMember(o.max, o.maxEx);
        if (equalScores) {
          const ok = (m: string, bound: string | null, ex: boolean, above: boolean): boolean => {
            if (bound === null) return true;
            const c = referenceCompare(m, bound);
            return above ? (ex ? c > 0 : c >= 0) : ex ? c < 0 : c <= 0;
          };
          const f = model.findIndex(([, m]) => ok(m, o.min, o.minEx, true));
          assert.is(first, f === -1 ? model.length : f, `${where}: min`);
          const a = model.findIndex(([, m]) => !ok(m, o.max, o.maxEx, false));
          assert.is(last, (a === -1 ? model.length : a) - 1, `${where}: max`);
        } else {
          assert.ok(first >= 0 && first <= model.length, `${where}: min in range`);
          assert.ok(last >= -1 && last < model.length, `${where}: max in range`);
        }
        break;
      }
      case 'walk': {
        const start = (o.pick % (model.length + 2)) - 1; // -1 ..= size
        const cursor: ZSetCursor = index.cursorAt(start);
        let r = start;
        const check = (): void => {
          assert.is(cursor.rank, r, `${where}: cursor rank`);
          assert.is(cursor.valid, r >= 0 && r < model.length, `${where}: valid at ${r}`);
          if (cursor.valid) {
            assert.ok(sameScore(cursor.score, model[r][0]), `${where}: score at ${r}`);
            assert.is(cursor.member, model[r][1], `${where}: member at ${r}`);
          }
        };
        check();
        for (const steps of o.steps) {
          for (let i = 0; i < Math.abs(steps); i++) {
            if (steps > 0) {
              cursor.next();
              r = Math.min(r + 1, model.length);
            } else {
              cursor.prev();
              r = Math.max(r - 1, -1);
            }
            check();
          }
        }
        cursor.seek(model.length);
        r = model.length;
        check();
        break;
      }
      case 'deleteRange': {
        const stop = o.start + o.length;
        const lo = Math.max(0, o.start);
        const hi = Math.min(model.length - 1, stop);
        const expected = lo <= hi ? model.slice(lo, hi + 1) : [];
        const seen: Pair[] = [];
        assert.is(index.deleteRankRange(o.start, stop, (s, m) => seen.push([s, m])), expected.length, where);
        assert.is(seen.length, expected.length, `${where}: callbacks`);
        for (let i = 0; i < seen.length; i++) {
          assert.ok(sameScore(seen[i][0], expected[i][0]) && seen[i][1] === expected[i][1], `${where}: callback ${i}`);
        }
        if (lo <= hi) model.splice(lo, hi - lo + 1);
        break;
      }
      case 'clear':
        index.clear();
        model = [];
        break;
    }
    assert.is(index.checkInvariants(), null, where);
    coverage.maxDepth = Math.max(coverage.maxDepth, index.depth);
    if (index.depth < depthBefore && o.kind !== 'clear') coverage.depthDrops++;
    assert.is(index.size, model.length, `${where}: size`);
    const have = contents(index);
    assert.is(have.length, model.length, `${where}: forEach length`);
    for (let i = 0; i < have.length; i++) {
      if (!sameScore(have[i][0], model[i][0]) || have[i][1] !== model[i][1]) assert.unreachable(`${where}: pair ${i} differs`);
    }
    const runs = runContents(index);
    for (let i = 0; i < Math.max(runs.length, model.length); i++) {
      if (i >= runs.length || i >= model.length || !sameScore(runs[i][0], model[i][0]) || runs[i][1] !== model[i][1]) {
        assert.unreachable(`${where}: forEachRun pair ${i} differs`);
      }
    }
  }
}

/** The pairs forEachRun hands out, in order: each run non-empty, as a snapshot reads them. */
function runContents(index: ZSetIndex): Pair[] {
  const out: Pair[] = [];
  index.forEachRun((scores, members, start, end) => {
    if (index.size > 0 && end <= start) assert.unreachable(`an empty run [${start}, ${end})`);
    for (let i = start; i < end; i++) out.push([scores[i], members[i]]);
  });
  return out;
}

test('random op sequences match the sorted-array model (mixed scores)', () => {
  fc.assert(
    fc.property(fc.array(op, { maxLength: 150, size: 'max' }), fc.integer({ min: 4, max: 7 }), fc.integer({ min: 4, max: 6 }), (ops, leaf, branch) => {
      run(ops, leaf, branch, false);
    }),
    // A failure shrinks over long sequences; the time cap keeps a broken build from shrinking for
    // many minutes (a passing run takes ~2 s).
    { numRuns: 600, skipAllAfterTimeLimit: 60_000 },
  );
});

test('random op sequences match the model with all scores equal (exact lex bounds)', () => {
  fc.assert(
    fc.property(fc.array(op, { maxLength: 150, size: 'max' }), fc.integer({ min: 4, max: 7 }), fc.integer({ min: 4, max: 6 }), (ops, leaf, branch) => {
      run(ops, leaf, branch, true);
    }),
    { numRuns: 300, skipAllAfterTimeLimit: 60_000 },
  );
});

test('the random sequences reached deep trees and collapsed roots', () => {
  assert.ok(coverage.maxDepth >= 3, `max depth ${coverage.maxDepth}`);
  assert.ok(coverage.depthDrops >= 100, `root collapses ${coverage.depthDrops}`);
});

// ---- larger trees -------------------------------------------------------------------------

test('deep trees: grow, range-delete in chunks, shrink to one leaf', () => {
  for (const [leafCapacity, branchCapacity] of [[4, 4], [5, 4], [8, 6], [64, 64]]) {
    const random = seededRandom(leafCapacity * 31 + branchCapacity);
    const index = new ZSetIndex({ leafCapacity, branchCapacity });
    let model: Pair[] = [];
    for (let i = 0; i < 3000; i++) {
      const p: Pair = [Math.floor(random() * 200) - 100, `m${Math.floor(random() * 1e6)}`];
      if (modelIndexOf(model, p) === -1) {
        index.insert(p[0], p[1]);
        model.push(p);
      }
    }
    model.sort(pairCompare);
    assert.is(index.checkInvariants(), null);
    while (model.length > 0) {
      const start = Math.floor(random() * model.length);
      const stop = start + Math.floor(random() * 400);
      const removed = index.deleteRankRange(start, stop);
      const expect = Math.min(stop, model.length - 1) - start + 1;
      assert.is(removed, expect);
      model.splice(start, expect);
      assert.is(index.checkInvariants(), null, `capacity ${leafCapacity}/${branchCapacity}, size ${model.length}`);
      assert.equal(contents(index), model);
    }
    assert.is(index.size, 0);
  }
});

test('deleting one at a time from either end keeps the tree balanced', () => {
  const index = new ZSetIndex({ leafCapacity: 4, branchCapacity: 4 });
  for (let i = 0; i < 500; i++) index.insert(i, 'x');
  for (let i = 0; i < 250; i++) {
    assert.ok(index.delete(i, 'x'));
    assert.ok(index.delete(499 - i, 'x'));
    assert.is(index.checkInvariants(), null);
  }
  assert.is(index.size, 0);
  assert.is(index.cursorAt(0).valid, false);
});

test('ascending and descending runs fill their leaves instead of leaving them half empty', () => {
  for (const direction of [1, -1]) {
    const index = new ZSetIndex({ leafCapacity: 8, branchCapacity: 4 });
    for (let i = 0; i < 2000; i++) {
      index.insert(direction * i, 'm');
      if (i % 97 === 0) assert.is(index.checkInvariants(), null, `direction ${direction}, ${i}`);
    }
    assert.is(index.checkInvariants(), null);
    assert.ok(index.capacity / index.size < 1.05, `${index.capacity} slots for ${index.size} pairs`);
    for (let r = 0; r < 2000; r += 101) assert.is(index.scoreAt(r), direction === 1 ? r : r - 1999);
  }
  // Random order fills leaves to the usual ~70%.
  const random = seededRandom(7);
  const index = new ZSetIndex({ leafCapacity: 8, branchCapacity: 4 });
  for (let i = 0; i < 2000; i++) index.insert(random(), 'm');
  assert.ok(index.capacity / index.size < 1.8, `${index.capacity} slots for ${index.size} pairs`);
});

test('memory follows the set down: mass deletes compact the pools', () => {
  const random = seededRandom(11);
  const index = new ZSetIndex({ leafCapacity: 8, branchCapacity: 4 });
  const pairs: Pair[] = [];
  for (let i = 0; i < 5000; i++) pairs.push([random(), `m${i}`]);
  for (const [s, m] of pairs) index.insert(s, m);
  const grown = index.capacity;
  for (let i = 0; i < 4900; i++) assert.ok(index.delete(pairs[i][0], pairs[i][1]));
  assert.is(index.checkInvariants(), null);
  assert.ok(index.capacity < grown / 10, `capacity ${index.capacity} after shrinking from ${grown}`);
  assert.ok(index.capacity <= 2 * index.size, `capacity ${index.capacity} for ${index.size} pairs`);
  index.deleteRankRange(1, 98);
  assert.is(index.depth, 0);
  assert.ok(index.capacity <= 8, `one leaf, capacity ${index.capacity}`);
});

test('fromSorted builds a valid index and rejects unordered input', () => {
  for (const n of [0, 1, 3, 4, 5, 17, 64, 65, 1000]) {
    const scores = Array.from({ length: n }, (_, i) => Math.floor(i / 3));
    const members = Array.from({ length: n }, (_, i) => `m${i % 3}`);
    const index = ZSetIndex.fromSorted(scores, members, { leafCapacity: 4, branchCapacity: 4 });
    assert.is(index.checkInvariants(), null, `n=${n}`);
    assert.is(index.size, n);
    for (let r = 0; r < n; r += 7) assert.is(index.rank(scores[r], members[r]), r);
    index.insert(-1, 'first');
    index.deleteRankRange(0, Math.floor(n / 2));
    assert.is(index.checkInvariants(), null, `n=${n} after updates`);
  }
  assert.throws(() => ZSetIndex.fromSorted([1, 1], ['b', 'a']), RangeError);
  assert.throws(() => ZSetIndex.fromSorted([1, 1], ['a', 'a']), RangeError);
  assert.throws(() => ZSetIndex.fromSorted([NaN], ['a']), RangeError);
});

test('insert of a pair already present is caught', () => {
  const index = new ZSetIndex();
  index.insert(0, 'a');
  assert.throws(() => index.insert(-0, 'a'), /already present/);
});

test('capacities below 4 are refused', () => {
  assert.throws(() => new ZSetIndex({ leafCapacity: 3 }), RangeError);
  assert.throws(() => new ZSetIndex({ branchCapacity: 2 }), RangeError);
});

test.run();
