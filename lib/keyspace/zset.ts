// Sorted-set commands (Redis t_zset.c): ZADD ZINCRBY ZREM ZSCORE ZMSCORE ZCARD ZCOUNT ZLEXCOUNT ZRANGE
// ZRANGEBYSCORE ZREVRANGEBYSCORE ZRANGEBYLEX ZREVRANGEBYLEX ZREVRANGE ZRANK ZREVRANK ZPOPMIN ZPOPMAX
// ZREMRANGEBYRANK ZREMRANGEBYSCORE ZREMRANGEBYLEX ZSCAN ZRANDMEMBER ZUNIONSTORE ZINTERSTORE ZDIFFSTORE.
//
// A sorted set (ZSet) is two structures kept in step, as Redis's skiplist encoding keeps a dict
// beside its skiplist:
//   dict   SlotMap member -> score. ZSCORE and the first half of ZRANK; ZSCAN's cursor is a dict slot
//          number (a member keeps its slot while it exists: the SCAN guarantee) and ZRANDMEMBER
//          samples slots.
//   index  ZSetIndex, the (score, member) order as an order-statistic B+tree: ranks, score and lex
//          ranges, pops. Ranges are computed as rank spans and then walked with a cursor, so
//          ZRANGEBYSCORE ... LIMIT 0 10 on a million members touches ten of them.
// Invariants: dict and index hold the same pairs; scores are never NaN; a stored score is never -0
// (see "Negative zero" below); a sorted set in the keyspace is never empty (the command that empties
// one deletes the key, as Redis does).
//
// Each command has one implementation used by both faces of the store: the exported functions
// take JS-friendly arguments (the Store's typed methods call them directly) and the command table at
// the bottom parses `store.call` arguments into them, in Redis's order of checks, so that the same
// malformed command fails with the same error text. Every argument is validated before anything
// changes: a command that throws has changed nothing.
//
// Negative zero. Redis 7.0 stores small sorted sets as listpacks, and zzlInsertAt stores any score
// that double2ll() accepts as an integer: -0.0 == 0 is accepted, so `ZADD z -0 a` stores 0 and ZSCORE
// replies "0" (a skiplist-encoded set, above 128 members, would keep -0). emberkv has one encoding
// and follows the listpack: stored scores are normalised to +0. The reply of ZADD INCR and ZINCRBY is
// the computed score before storing, so `ZINCRBY z -0 new` replies "-0", as Redis does.
//
// Write path. Each change propagates one record that replays it from the same prior state:
//   ZADD ZINCRBY      ZADD key score member ... of the pairs actually added or changed, with the
//                     resulting scores (an INCR is logged as the score it produced).
//   ZREM ZPOP* ZREMRANGEBY*
//                     ZREM key member ... of the members removed.
//   Z*STORE           the command itself, normalised (WEIGHTS and AGGREGATE always spelled out). It is
//                     one record, so a log can never hold the destination's deletion without its
//                     new value, and it is small whatever the result's size. Replay is exact: the
//                     result is a pure function of the sources' contents, since each member's
//                     scores are combined in source order (sorted by cardinality, stably, then by
//                     argument position), never in an order that depends on how a set was built.

import { command, type CommandSpec } from '../command-spec.ts';
import { ReplyError, WrongTypeError } from '../errors.ts';
import type { Arg, Reply } from '../types.ts';
import { ErrorText, doubleArg, integerArg, keyArg, keywordArg, nameArg, textArg } from './args.ts';
import { compileGlob } from './glob.ts';
import { type Entry, type Keyspace, type LogRecord, TYPE_ZSET } from './keyspace.ts';
import { PackedValue } from './packed.ts';
import { ZSET_BYTES, ZSET_INDEX_SLOT_BYTES, ZSET_MEMBER_BYTES, textBytes } from './memory.ts';
import { formatDouble, parseInt64, parseScoreBound } from './numbers.ts';
import { SlotMap } from './slot-map.ts';
import { ZSetIndex, compareMembers } from './zset-index.ts';

// -----------------------------------------------------------------------------------------------
// The value

/** A sorted set: member -> score, plus the (score, member) order. */
export class ZSet {
  dict = new SlotMap<number>(0);
  index = new ZSetIndex();
  /** By dict slot: 1 + where ZRANK last found the member in the index's pools, 0 for none (see rankOf). */
  private leafHints: Int32Array | null = null;

  /** Bytes of the leaf hints (in the set's memory estimate once allocated). */
  get hintBytes(): number {
    return this.leafHints === null ? 0 : this.leafHints.byteLength;
  }

  /**
   * The rank of the member in dict slot `slot` (with that score). A big set remembers where in the
   * index each member was last found and, while the set is not changing, looks there first: a
   * read-mostly set (a leaderboard) then skips the descent from the root, a B+tree level of cache
   * misses at each step. A wrong guess (the set changed, the slot was reused) costs one load before
   * the descent. The hints grow with the set: a caller that keeps a memory estimate adds the
   * change in hintBytes.
   */
  rankOf(slot: number, score: number, member: string): number {
    const index = this.index;
    // A set of one leaf: the descent is that leaf's search, nothing to skip.
    if (index.depth === 0) return index.rank(score, member);
    let hints = this.leafHints;
    if (hints === null || hints.length < this.dict.slotCount) hints = this.growHints();
    // While the set keeps changing, hints are neither read nor kept: a store costs a cache miss,
    // ~3% of a ZINCRBY + ZRANK pair, for a guess the next change may spoil.
    if (!index.leafRanksReady()) return index.rank(score, member);
    const hinted = hints[slot] - 1;
    if (hinted >= 0) {
      const rank = index.rankAt(hinted, member);
      if (rank >= 0) return rank;
    }
    const rank = index.rank(score, member);
    hints[slot] = index.lastPosition + 1;
    return rank;
  }

  /** A hint per dict slot, with room to grow (the old hints kept). */
  private growHints(): Int32Array {
    const hints = this.leafHints;
    const grown = new Int32Array(Math.max(64, 2 * this.dict.slotCount));
    if (hints !== null) grown.set(hints);
    this.leafHints = grown;
    return grown;
  }

  get size(): number {
    return this.dict.size;
  }

  /** A deep copy (COPY, snapshots), built in O(n) from the index's order. */
  clone(): ZSet {
    const scores: number[] = [];
    const members: string[] = [];
    this.index.forEach((score, member) => {
      scores.push(score);
      members.push(member);
    });
    return zsetFromSorted(scores, members);
  }
}

/** Estimated bytes of a whole sorted set whose members are `members` (a new or rebuilt set). */
export function zsetBytes(zset: ZSet, members: readonly string[]): number {
  let bytes = ZSET_BYTES + structureBytes(zset);
  for (const member of members) bytes += memberBytes(member);
  return bytes;
}

/** The part of a set's estimate that depends on its structures' state: the index's pools, the dict's table, the leaf hints. */
export function structureBytes(zset: ZSet): number {
  return zset.index.memorySlots * ZSET_INDEX_SLOT_BYTES + zset.dict.indexBytes + zset.hintBytes;
}

/** Estimated bytes one member adds to its set's entry. */
function memberBytes(member: string): number {
  return ZSET_MEMBER_BYTES + textBytes(member);
}

/**
 * A sorted set from pairs already in index order (snapshots write small sets that way), in O(n).
 * Requires: strictly ascending (score, member) pairs, no NaN, no -0.
 */
export function zsetFromSorted(scores: number[], members: string[]): ZSet {
  const zset = new ZSet();
  zset.index = ZSetIndex.fromSorted(scores, members);
  for (let i = 0; i < members.length; i++) zset.dict.set(members[i], scores[i]);
  return zset;
}

/**
 * A sorted set from unordered pairs, in O(n log n): Z*STORE results and snapshot loading. A member
 * given twice keeps its last score, so `size` is then less than `members.length` (a loader can
 * check that); -0 is stored as 0. Throws RangeError for a NaN score, or when the lengths differ.
 */
export function zsetFromPairs(members: readonly string[], scores: readonly number[]): ZSet {
  if (members.length !== scores.length) throw new RangeError('zsetFromPairs: members and scores differ in length');
  const zset = new ZSet();
  const dict = zset.dict;
  for (let i = 0; i < members.length; i++) {
    const score = scores[i];
    if (Number.isNaN(score)) throw new RangeError(`zsetFromPairs: the score of ${JSON.stringify(members[i])} is NaN`);
    dict.set(members[i], storedScore(score));
  }
  // The index is built from the dict, so the two hold the same pairs even with repeated members.
  const distinctMembers: string[] = [];
  const distinctScores: number[] = [];
  dict.forEach((score, member) => {
    distinctMembers.push(member);
    distinctScores.push(score);
  });
  const order = distinctMembers.map((_, i) => i);
  order.sort((a, b) => {
    const x = distinctScores[a];
    const y = distinctScores[b];
    return x < y ? -1 : x > y ? 1 : compareMembers(distinctMembers[a], distinctMembers[b]);
  });
  zset.index = ZSetIndex.fromSorted(
    order.map((i) => distinctScores[i]),
    order.map((i) => distinctMembers[i]),
  );
  return zset;
}

/** The sorted set of a live entry (built, if it was loaded packed), or WRONGTYPE. */
function zsetOf(ks: Keyspace, entry: Entry): ZSet {
  if (entry.type !== TYPE_ZSET) throw new WrongTypeError();
  if (entry.value instanceof PackedValue) ks.unpack(entry);
  return entry.value as ZSet;
}

/** Score as stored: -0 becomes 0 (see "Negative zero" at the top). */
function storedScore(score: number): number {
  return score === 0 ? 0 : score;
}

// -----------------------------------------------------------------------------------------------
// Records

// Handed to propagate() when nobody listens: propagate still counts the write but reads no record.
const UNHEARD: LogRecord = [];

/** A record to fill, or null when no sink listens (a pure in-memory store builds none). */
function newRecord(ks: Keyspace, name: string, key: string): LogRecord | null {
  return ks.sink === null || ks.loading ? null : [name, key];
}

// -----------------------------------------------------------------------------------------------
// Ranges: parsing (Redis's texts) and conversion to rank spans

/** A score interval, as zslParseRange builds it. */
export interface ScoreRange {
  min: number;
  minExclusive: boolean;
  max: number;
  maxExclusive: boolean;
}

/**
 * A score bound of the typed face: a number is inclusive; a string is read as Redis reads it —
 * `'(1.5'` exclusive, `'1.5'` inclusive, `'-inf'` / `'+inf'` / `'inf'`.
 */
export type ScoreBound = number | string;

/**
 * A lex bound, as ZRANGEBYLEX takes it: `'[a'` inclusive, `'(a'` exclusive, `'-'` below every
 * member, `'+'` above every member. Anything else is refused.
 */
export type LexBound = string;

function notFloatRange(): ReplyError {
  return new ReplyError('ERR min or max is not a float');
}

function notLexRange(): ReplyError {
  return new ReplyError('ERR min or max not valid string range item');
}

/** zslParseRange: both bounds, or 'ERR min or max is not a float'. */
export function parseScoreRange(min: Arg, max: Arg): ScoreRange {
  const low = scoreBoundOf(min);
  const high = scoreBoundOf(max);
  if (low === null || high === null) throw notFloatRange();
  return { min: low.value, minExclusive: low.exclusive, max: high.value, maxExclusive: high.exclusive };
}

function scoreBoundOf(bound: Arg): { value: number; exclusive: boolean } | null {
  // A number is what an integer-encoded argument is to Redis: an inclusive bound.
  if (typeof bound === 'number') return Number.isNaN(bound) ? null : { value: bound, exclusive: false };
  return parseScoreBound(textArg(bound));
}

const LEX_MIN = 0;
const LEX_VALUE = 1;
const LEX_MAX = 2;

/** One end of a lex range: '-' (below all), '+' (above all), or a member, maybe exclusive. */
interface LexEnd {
  kind: typeof LEX_MIN | typeof LEX_VALUE | typeof LEX_MAX;
  value: string;
  exclusive: boolean;
}

// Redis's shared.minstring / shared.maxstring; both count as exclusive (zslParseLexRangeItem).
const MIN_STRING: LexEnd = { kind: LEX_MIN, value: '', exclusive: true };
const MAX_STRING: LexEnd = { kind: LEX_MAX, value: '', exclusive: true };

export interface LexRange {
  min: LexEnd;
  max: LexEnd;
}

/** zslParseLexRange: both bounds, or 'ERR min or max not valid string range item'. */
export function parseLexRange(min: Arg, max: Arg): LexRange {
  const low = lexEndOf(min);
  const high = lexEndOf(max);
  if (low === null || high === null) throw notLexRange();
  return { min: low, max: high };
}

function lexEndOf(bound: Arg): LexEnd | null {
  // Redis refuses integer-encoded bounds; a JS number could only be one.
  if (typeof bound === 'number') return null;
  const text = textArg(bound);
  switch (text.charCodeAt(0)) {
    case 43: // '+': alone, or followed by a NUL byte (C reads no further)
      return text.length === 1 || text.charCodeAt(1) === 0 ? MAX_STRING : null;
    case 45: // '-'
      return text.length === 1 || text.charCodeAt(1) === 0 ? MIN_STRING : null;
    case 40: // '('
      return { kind: LEX_VALUE, value: text.slice(1), exclusive: true };
    case 91: // '['
      return { kind: LEX_VALUE, value: text.slice(1), exclusive: false };
    default:
      return null;
  }
}

/** sdscmplex: '-' below everything, '+' above, members by bytes. */
function compareLexEnds(a: LexEnd, b: LexEnd): number {
  if (a === b) return 0;
  if (a.kind === LEX_MIN || b.kind === LEX_MAX) return -1;
  if (a.kind === LEX_MAX || b.kind === LEX_MIN) return 1;
  return compareMembers(a.value, b.value);
}

// A span of ranks [first, last]; empty when last < first. Module-level scratch to allocate nothing.
let spanFirst = 0;
let spanLast = -1;

/** Sets the span of members whose score is within range. */
function scoreSpan(index: ZSetIndex, range: ScoreRange): void {
  spanFirst = index.firstRankAbove(range.min, range.minExclusive);
  spanLast = index.lastRankBelow(range.max, range.maxExclusive);
}

/**
 * Sets the span of members within a lex range. Like Redis, this assumes all scores are equal; with
 * mixed scores the span is well defined but not meaningful (Redis's answer then depends on its
 * encoding and skiplist levels).
 */
function lexSpan(index: ZSetIndex, range: LexRange): void {
  // zslIsInLexRange's first test: a range that is empty whatever the set holds.
  const order = compareLexEnds(range.min, range.max);
  if (order > 0 || (order === 0 && (range.min.exclusive || range.max.exclusive))) {
    spanFirst = 0;
    spanLast = -1;
    return;
  }
  const { min, max } = range;
  spanFirst = min.kind === LEX_MIN ? 0 : min.kind === LEX_MAX ? index.size : index.firstRankAboveMember(min.value, min.exclusive);
  spanLast = max.kind === LEX_MAX ? index.size - 1 : max.kind === LEX_MIN ? -1 : index.lastRankBelowMember(max.value, max.exclusive);
}

/**
 * Sets the span of ranks start..stop as Redis sanitises them (negative counts from the end).
 * Returns false when the span is empty.
 */
function rankSpan(size: number, start: number, stop: number): boolean {
  if (start < 0) start = size + start;
  if (stop < 0) stop = size + stop;
  if (start < 0) start = 0;
  if (start > stop || start >= size) return false;
  if (stop >= size) stop = size - 1;
  spanFirst = start;
  spanLast = stop;
  return true;
}

// -----------------------------------------------------------------------------------------------
// Reply shapes: one walker, three outputs

const SHAPE_MEMBERS = 0; // string[]                      typed face
const SHAPE_PAIRS = 1; //   Array<[member, score]>        typed face, withScores
const SHAPE_REPLY = 2; //   flat [member, score, ...] with formatted scores (or members only)
type Shape = typeof SHAPE_MEMBERS | typeof SHAPE_PAIRS | typeof SHAPE_REPLY;

/**
 * The members at `count` ranks from `start` (down from it when reverse), in the given shape.
 * Requires: the ranks exist.
 */
function collect(index: ZSetIndex, start: number, count: number, reverse: boolean, shape: Shape, withScores: boolean): unknown[] {
  const out: unknown[] = [];
  if (count <= 0) return out;
  const cursor = index.cursorAt(start);
  for (let i = 0; i < count; i++) {
    if (shape === SHAPE_MEMBERS) out.push(cursor.member);
    else if (shape === SHAPE_PAIRS) out.push([cursor.member, cursor.score]);
    else {
      out.push(cursor.member);
      if (withScores) out.push(formatDouble(cursor.score));
    }
    if (reverse) cursor.prev();
    else cursor.next();
  }
  return out;
}

function pairsReply(pairs: ReadonlyArray<readonly [string, number]>): Reply[] {
  const reply: Reply[] = [];
  for (const [member, score] of pairs) reply.push(member, formatDouble(score));
  return reply;
}

// -----------------------------------------------------------------------------------------------
// ZADD ZINCRBY

export interface ZaddOptions {
  /** Only add new members; never update existing ones. */
  nx?: boolean;
  /** Only update existing members; never add new ones. */
  xx?: boolean;
  /** Only update when the new score is greater than the current one (new members are added). */
  gt?: boolean;
  /** Only update when the new score is less than the current one (new members are added). */
  lt?: boolean;
  /** Count changed members as well as added ones. */
  ch?: boolean;
  /** Add the score to the member's current score (ZINCRBY); the reply is the new score. */
  incr?: boolean;
}

const ZADD_NX = 1;
const ZADD_XX = 2;
const ZADD_GT = 4;
const ZADD_LT = 8;
const ZADD_CH = 16;
const ZADD_INCR = 32;

/** zaddGenericCommand's checks of the options against each other and the pair count. */
function checkZaddFlags(flags: number, pairCount: number): void {
  const nx = (flags & ZADD_NX) !== 0;
  const gt = (flags & ZADD_GT) !== 0;
  const lt = (flags & ZADD_LT) !== 0;
  if (nx && (flags & ZADD_XX) !== 0) throw new ReplyError('ERR XX and NX options at the same time are not compatible');
  if ((gt && nx) || (lt && nx) || (gt && lt)) {
    throw new ReplyError('ERR GT, LT, and/or NX options at the same time are not compatible');
  }
  if ((flags & ZADD_INCR) !== 0 && pairCount > 1) {
    throw new ReplyError('ERR INCR option supports a single increment-element pair');
  }
}

function nanScore(): ReplyError {
  return new ReplyError('ERR resulting score is not a number (NaN)');
}

/**
 * ZADD and ZINCRBY once parsed: applies the pairs in order (a member given twice is added, then
 * updated). Returns the count of added members (plus changed ones with CH), or with INCR the new
 * score, null when NX/XX/GT/LT prevented it.
 * Requires: pairs is not empty, no score is NaN, members are strings, flags passed checkZaddFlags.
 */
function zaddPairs(ks: Keyspace, key: string, pairs: ReadonlyArray<readonly [number, string]>, flags: number): number | null {
  const nx = (flags & ZADD_NX) !== 0;
  const xx = (flags & ZADD_XX) !== 0;
  const gt = (flags & ZADD_GT) !== 0;
  const lt = (flags & ZADD_LT) !== 0;
  const incr = (flags & ZADD_INCR) !== 0;
  let entry = ks.lookupWrite(key);
  let zset: ZSet;
  if (entry === undefined) {
    if (xx) return incr ? null : 0;
    zset = new ZSet();
  } else {
    zset = zsetOf(ks, entry);
    if (incr && !nx) {
      // INCR takes one pair: check now that the sum is a number, before anything changes.
      const current = zset.dict.get(pairs[0][1]);
      if (current !== undefined && Number.isNaN(current + pairs[0][0])) throw nanScore();
    }
  }
  if (entry === undefined) entry = ks.add(key, TYPE_ZSET, zset, ZSET_BYTES);

  const { dict, index } = zset;
  const record = newRecord(ks, 'ZADD', key);
  const structureBefore = structureBytes(zset);
  let added = 0;
  let updated = 0;
  let processed = 0;
  let bytes = 0;
  let result = 0;
  for (let i = 0; i < pairs.length; i++) {
    const pair = pairs[i];
    const member = pair[1];
    const current = dict.get(member);
    if (current !== undefined) {
      if (nx) continue;
      const score = incr ? current + pair[0] : pair[0];
      if ((lt && score >= current) || (gt && score <= current)) continue;
      processed++;
      result = score;
      if (score !== current) {
        const stored = storedScore(score);
        index.delete(current, member);
        index.insert(stored, member);
        dict.set(member, stored);
        updated++;
        if (record !== null) record.push(stored, member);
      }
    } else if (!xx) {
      const score = pair[0];
      const stored = storedScore(score);
      dict.set(member, stored);
      index.insert(stored, member);
      bytes += memberBytes(member);
      added++;
      processed++;
      result = score;
      if (record !== null) record.push(stored, member);
    }
  }
  bytes += structureBytes(zset) - structureBefore;
  if (bytes !== 0) ks.resize(entry, bytes);
  if (added + updated > 0) ks.propagate(record ?? UNHEARD);
  if (incr) return processed > 0 ? result : null;
  return (flags & ZADD_CH) !== 0 ? added + updated : added;
}

function flagsOf(options: ZaddOptions | undefined): number {
  if (options === undefined) return 0;
  let flags = 0;
  if (options.nx) flags |= ZADD_NX;
  if (options.xx) flags |= ZADD_XX;
  if (options.gt) flags |= ZADD_GT;
  if (options.lt) flags |= ZADD_LT;
  if (options.ch) flags |= ZADD_CH;
  if (options.incr) flags |= ZADD_INCR;
  return flags;
}

function checkMember(member: string): string {
  if (typeof member !== 'string') throw new TypeError(`sorted-set members are strings, got ${typeof member}`);
  return member;
}

function checkScore(score: number, message: string = ErrorText.notFloat): number {
  if (typeof score !== 'number') throw new TypeError(`scores are numbers, got ${typeof score}`);
  if (Number.isNaN(score)) throw new ReplyError(message);
  return score;
}

/**
 * ZADD key [NX|XX] [GT|LT] [CH] [INCR] score member ...: pairs are [score, member]. Returns the
 * number of members added (with `ch`, added or changed); with `incr`, the member's new score, or
 * null when NX/XX/GT/LT prevented the update.
 */
export function zadd(
  ks: Keyspace,
  key: string,
  members: ReadonlyArray<readonly [score: number, member: string]>,
  options?: ZaddOptions,
): number | null {
  if (!Array.isArray(members)) throw new TypeError('zadd takes an array of [score, member] pairs');
  if (members.length === 0) throw new ReplyError(ErrorText.syntax);
  const flags = flagsOf(options);
  checkZaddFlags(flags, members.length);
  for (let i = 0; i < members.length; i++) {
    const pair = members[i];
    checkScore(pair[0]);
    checkMember(pair[1]);
  }
  return zaddPairs(ks, key, members, flags);
}

/** ZINCRBY: adds increment to the member's score (0 when new); returns the new score. */
export function zincrby(ks: Keyspace, key: string, increment: number, member: string): number {
  checkScore(increment);
  checkMember(member);
  return zaddPairs(ks, key, [[increment, member]], ZADD_INCR) as number;
}

// -----------------------------------------------------------------------------------------------
// Removal: ZREM ZREMRANGEBY* ZPOPMIN ZPOPMAX

/**
 * After members were removed in place: deletes the emptied key or shrinks its size estimate by the
 * members' bytes and whatever the structures gave back since `structureBefore` (structureBytes).
 */
function afterRemoval(ks: Keyspace, entry: Entry, zset: ZSet, bytes: number, structureBefore: number): void {
  if (zset.size === 0) ks.remove(entry);
  else ks.resize(entry, -bytes + structureBytes(zset) - structureBefore);
}

/** ZREM: how many of the members existed (and are now gone). */
export function zrem(ks: Keyspace, key: string, members: readonly string[]): number {
  if (members.length === 0) throw new ReplyError("ERR wrong number of arguments for 'zrem' command");
  for (const member of members) checkMember(member);
  const entry = ks.lookupWrite(key);
  if (entry === undefined) return 0;
  const zset = zsetOf(ks, entry);
  const record = newRecord(ks, 'ZREM', key);
  const structureBefore = structureBytes(zset);
  let removed = 0;
  let bytes = 0;
  for (const member of members) {
    const score = zset.dict.get(member);
    if (score === undefined) continue;
    zset.dict.delete(member);
    zset.index.delete(score, member);
    bytes += memberBytes(member);
    removed++;
    if (record !== null) record.push(member);
    if (zset.size === 0) break;
  }
  if (removed === 0) return 0;
  afterRemoval(ks, entry, zset, bytes, structureBefore);
  ks.propagate(record ?? UNHEARD);
  return removed;
}

/**
 * Removes ranks first..last (within the set) and logs them as a ZREM; returns how many. When
 * `popped` is given, the removed pairs are appended to it in rank order.
 */
function removeSpan(ks: Keyspace, key: string, entry: Entry, zset: ZSet, first: number, last: number, popped?: Array<[string, number]>): number {
  if (last < first) return 0;
  const record = newRecord(ks, 'ZREM', key);
  const dict = zset.dict;
  const structureBefore = structureBytes(zset);
  let bytes = 0;
  const removed = zset.index.deleteRankRange(first, last, (score, member) => {
    dict.delete(member);
    bytes += memberBytes(member);
    if (record !== null) record.push(member);
    if (popped !== undefined) popped.push([member, score]);
  });
  if (removed === 0) return 0;
  afterRemoval(ks, entry, zset, bytes, structureBefore);
  ks.propagate(record ?? UNHEARD);
  return removed;
}

/** ZREMRANGEBYRANK: removes ranks start..stop (negative from the end); returns how many. */
export function zremrangebyrank(ks: Keyspace, key: string, start: number, stop: number): number {
  start = integerArg(start);
  stop = integerArg(stop);
  const entry = ks.lookupWrite(key);
  if (entry === undefined) return 0;
  const zset = zsetOf(ks, entry);
  if (!rankSpan(zset.size, start, stop)) return 0;
  return removeSpan(ks, key, entry, zset, spanFirst, spanLast);
}

/** ZREMRANGEBYSCORE: removes the members with scores in [min, max] (see ScoreBound). */
export function zremrangebyscore(ks: Keyspace, key: string, min: ScoreBound, max: ScoreBound): number {
  const range = parseScoreRange(min, max);
  const entry = ks.lookupWrite(key);
  if (entry === undefined) return 0;
  const zset = zsetOf(ks, entry);
  scoreSpan(zset.index, range);
  return removeSpan(ks, key, entry, zset, spanFirst, spanLast);
}

/** ZREMRANGEBYLEX: removes the members in a lex range (see LexBound). */
export function zremrangebylex(ks: Keyspace, key: string, min: LexBound, max: LexBound): number {
  const range = parseLexRange(min, max);
  const entry = ks.lookupWrite(key);
  if (entry === undefined) return 0;
  const zset = zsetOf(ks, entry);
  lexSpan(zset.index, range);
  return removeSpan(ks, key, entry, zset, spanFirst, spanLast);
}

/**
 * A count that Redis reads with getPositiveLongFromObjectOrReply, whose message also covers text
 * that is not an integer at all.
 */
function positiveCount(count: Arg): number {
  const value = integerArg(count, ErrorText.notPositive);
  if (value < 0) throw new ReplyError(ErrorText.notPositive);
  return value;
}

/**
 * ZPOPMIN (max false) and ZPOPMAX: removes up to `count` members from the low (high) end and
 * returns them as [member, score], lowest (highest) first.
 */
export function zpop(ks: Keyspace, key: string, count: number, max: boolean): Array<[string, number]> {
  count = positiveCount(count);
  const entry = ks.lookupWrite(key);
  if (entry === undefined) return [];
  const zset = zsetOf(ks, entry);
  if (count === 0) return [];
  const size = zset.size;
  const taken = Math.min(count, size);
  const popped: Array<[string, number]> = [];
  if (max) {
    removeSpan(ks, key, entry, zset, size - taken, size - 1, popped);
    popped.reverse();
  } else {
    removeSpan(ks, key, entry, zset, 0, taken - 1, popped);
  }
  return popped;
}

// -----------------------------------------------------------------------------------------------
// Point reads: ZSCORE ZMSCORE ZCARD ZRANK ZREVRANK

/** The member's score, or null when the key or the member is missing. */
export function zscore(ks: Keyspace, key: string, member: string): number | null {
  checkMember(member);
  const entry = ks.lookupRead(key);
  if (entry === undefined) return null;
  const score = zsetOf(ks, entry).dict.get(member);
  return score === undefined ? null : score;
}

/** ZMSCORE: each member's score or null; a missing key reads as an empty set. */
export function zmscore(ks: Keyspace, key: string, members: readonly string[]): Array<number | null> {
  if (members.length === 0) throw new ReplyError("ERR wrong number of arguments for 'zmscore' command");
  for (const member of members) checkMember(member);
  const entry = ks.lookupRead(key);
  const zset = entry === undefined ? null : zsetOf(ks, entry);
  const scores: Array<number | null> = new Array(members.length);
  for (let i = 0; i < members.length; i++) {
    const score = zset === null ? undefined : zset.dict.get(members[i]);
    scores[i] = score === undefined ? null : score;
  }
  return scores;
}

export function zcard(ks: Keyspace, key: string): number {
  const entry = ks.lookupRead(key);
  return entry === undefined ? 0 : zsetOf(ks, entry).size;
}

/** ZRANK (reverse false) and ZREVRANK: the member's 0-based rank, or null. */
export function zrank(ks: Keyspace, key: string, member: string, reverse: boolean): number | null {
  checkMember(member);
  const entry = ks.lookupRead(key);
  if (entry === undefined) return null;
  const zset = zsetOf(ks, entry);
  const slot = zset.dict.find(member);
  if (slot === -1) return null;
  const hintBytes = zset.hintBytes;
  const rank = zset.rankOf(slot, zset.dict.valueAt(slot) as number, member);
  if (zset.hintBytes !== hintBytes) ks.resize(entry, zset.hintBytes - hintBytes);
  return reverse ? zset.size - 1 - rank : rank;
}

// -----------------------------------------------------------------------------------------------
// Range reads: ZCOUNT ZLEXCOUNT ZRANGE and its older forms

/** ZCOUNT: members with scores in [min, max] (see ScoreBound). */
export function zcount(ks: Keyspace, key: string, min: ScoreBound, max: ScoreBound): number {
  const range = parseScoreRange(min, max);
  const entry = ks.lookupRead(key);
  if (entry === undefined) return 0;
  scoreSpan(zsetOf(ks, entry).index, range);
  return spanLast >= spanFirst ? spanLast - spanFirst + 1 : 0;
}

/** ZLEXCOUNT: members in a lex range (see LexBound). */
export function zlexcount(ks: Keyspace, key: string, min: LexBound, max: LexBound): number {
  const range = parseLexRange(min, max);
  const entry = ks.lookupRead(key);
  if (entry === undefined) return 0;
  lexSpan(zsetOf(ks, entry).index, range);
  return spanLast >= spanFirst ? spanLast - spanFirst + 1 : 0;
}

const BY_AUTO = 0;
const BY_RANK = 1;
const BY_SCORE = 2;
const BY_LEX = 3;
type By = typeof BY_AUTO | typeof BY_RANK | typeof BY_SCORE | typeof BY_LEX;

const DIRECTION_AUTO = 0;
const DIRECTION_FORWARD = 1;
const DIRECTION_REVERSE = 2;
type Direction = typeof DIRECTION_AUTO | typeof DIRECTION_FORWARD | typeof DIRECTION_REVERSE;

/** A ZRANGE once its options are read; the bounds are still raw. */
interface RangeRequest {
  by: By;
  direction: Direction;
  withScores: boolean;
  offset: number;
  /** -1 (or any negative) for no limit. */
  limit: number;
}

/**
 * The heart of ZRANGE and its older forms, after zrangeGenericCommand: resolves defaults, checks
 * the option conflicts, parses the bounds (`start` is the max for a reversed score or lex range),
 * then reads the key. Errors come in Redis's order.
 */
function rangeGeneric(ks: Keyspace, key: string, start: Arg, stop: Arg, request: RangeRequest, shape: Shape): unknown[] {
  const by = request.by === BY_AUTO ? BY_RANK : request.by;
  const reverse = request.direction === DIRECTION_REVERSE;
  if (request.limit !== -1 && by === BY_RANK) {
    throw new ReplyError('ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX');
  }
  if (request.withScores && by === BY_LEX) {
    throw new ReplyError('ERR syntax error, WITHSCORES not supported in combination with BYLEX');
  }
  // Reversed score and lex ranges are given as max, min.
  const low = reverse && by !== BY_RANK ? stop : start;
  const high = reverse && by !== BY_RANK ? start : stop;
  let rankStart = 0;
  let rankStop = 0;
  let scoreRange: ScoreRange | null = null;
  let lexRange: LexRange | null = null;
  if (by === BY_RANK) {
    rankStart = integerArg(low);
    rankStop = integerArg(high);
  } else if (by === BY_SCORE) {
    scoreRange = parseScoreRange(low, high);
  } else {
    lexRange = parseLexRange(low, high);
  }

  const entry = ks.lookupRead(key);
  if (entry === undefined) return [];
  const zset = zsetOf(ks, entry);
  const index = zset.index;
  if (by === BY_RANK) {
    if (!rankSpan(zset.size, rankStart, rankStop)) return [];
    const count = spanLast - spanFirst + 1;
    // Reverse ranks count from the end.
    const from = reverse ? zset.size - 1 - spanFirst : spanFirst;
    return collect(index, from, count, reverse, shape, request.withScores);
  }
  if (scoreRange !== null) scoreSpan(index, scoreRange);
  else lexSpan(index, lexRange as LexRange);
  const first = spanFirst;
  const last = spanLast;
  // Redis walks `offset` members before counting; a negative offset never stops walking, so it
  // yields nothing. A negative limit means no limit.
  const { offset, limit } = request;
  if (last < first || offset < 0) return [];
  let from: number;
  let count: number;
  if (reverse) {
    from = last - offset;
    count = from - first + 1;
  } else {
    from = first + offset;
    count = last - from + 1;
  }
  if (count <= 0) return [];
  if (limit >= 0 && limit < count) count = limit;
  return collect(index, from, count, reverse, shape, request.withScores);
}

export interface ZrangeOptions {
  /** Range by score (bounds are ScoreBounds) or by member (LexBounds); default by rank. */
  by?: 'score' | 'lex';
  /**
   * Highest first. As in Redis, a reversed score or lex range is given as (max, min): `start` is
   * then the upper bound.
   */
  rev?: boolean;
  /** Skip `offset` members of the range, then return at most `count` (negative: all). Not by rank. */
  limit?: { offset: number; count: number };
  /** Return [member, score] pairs (not with `by: 'lex'`). */
  withScores?: boolean;
}

/** The options of ZRANGEBYSCORE and ZREVRANGEBYSCORE. */
export type ZrangeByScoreOptions = Pick<ZrangeOptions, 'limit' | 'withScores'>;

function requestOf(options: ZrangeOptions | undefined): RangeRequest {
  let by: By = BY_AUTO;
  if (options?.by === 'score') by = BY_SCORE;
  else if (options?.by === 'lex') by = BY_LEX;
  else if (options?.by !== undefined) throw new TypeError(`zrange: by is 'score' or 'lex', got ${String(options.by)}`);
  return {
    by,
    direction: options?.rev ? DIRECTION_REVERSE : DIRECTION_FORWARD,
    withScores: options?.withScores === true,
    offset: options?.limit === undefined ? 0 : integerArg(options.limit.offset),
    limit: options?.limit === undefined ? -1 : integerArg(options.limit.count),
  };
}

/**
 * ZRANGE key start stop [BYSCORE|BYLEX] [REV] [LIMIT offset count] [WITHSCORES]. By rank, start
 * and stop are integers (negative from the end); by score, ScoreBounds; by lex, LexBounds. Returns
 * members, or [member, score] pairs with `withScores`.
 */
export function zrange(ks: Keyspace, key: string, start: number | string, stop: number | string, options?: ZrangeOptions): string[] | Array<[string, number]> {
  const request = requestOf(options);
  return rangeGeneric(ks, key, start, stop, request, request.withScores ? SHAPE_PAIRS : SHAPE_MEMBERS) as string[] | Array<[string, number]>;
}

// -----------------------------------------------------------------------------------------------
// ZSCAN

export interface ZscanOptions {
  /** Glob pattern on members. */
  match?: string;
  /** Members to look at per step (a hint, as in Redis); default 10. */
  count?: number;
}

export interface ZscanPage {
  /** '0' when the iteration is complete. */
  cursor: string;
  entries: Array<[member: string, score: number]>;
}

/**
 * ZSCAN's cursor as parseScanCursorOrReply reads it (strtoul): no leading space, an optional sign,
 * decimal digits, nothing after; '' is 0 and a negative cursor wraps (past the end here).
 */
function parseZscanCursor(cursor: Arg): number {
  const text = typeof cursor === 'number' ? String(cursor) : textArg(cursor);
  let end = text.indexOf('\0');
  if (end === -1) end = text.length;
  if (end === 0) return 0;
  let at = 0;
  const first = text.charCodeAt(0);
  if (first === 43 || first === 45) at = 1; // '+' '-'
  const digitsStart = at;
  while (at < end && text.charCodeAt(at) >= 48 && text.charCodeAt(at) <= 57) at++;
  if (at === digitsStart || at !== end) throw new ReplyError(ErrorText.invalidCursor);
  const digits = text.slice(digitsStart, end);
  const value = BigInt(digits);
  if (value > 18446744073709551615n) throw new ReplyError(ErrorText.invalidCursor);
  if (first === 45 && value !== 0n) return Number.POSITIVE_INFINITY;
  return Number(value);
}

function parseZscanOptions(args: Arg[], from: number): ZscanOptions {
  const options: ZscanOptions = {};
  for (let i = from; i < args.length; i += 2) {
    const option = keywordArg(args[i]);
    if (option === 'COUNT' && i + 1 < args.length) {
      const count = integerArg(args[i + 1]);
      if (count < 1) throw new ReplyError(ErrorText.syntax);
      options.count = count;
    } else if (option === 'MATCH' && i + 1 < args.length) {
      options.match = textArg(args[i + 1]);
    } else {
      throw new ReplyError(ErrorText.syntax);
    }
  }
  return options;
}

/**
 * One ZSCAN step over the dict's slots: looks at `count` members from the cursor's slot (or ten
 * times as many slots, when there are holes), then filters by pattern. Members present for the
 * whole scan are returned at least once, whatever is added, removed or rescored between steps.
 */
function zscanSlots(zset: ZSet, cursor: number, options: ZscanOptions): ZscanPage {
  const count = options.count ?? 10;
  const matches = options.match === undefined ? null : compileGlob(options.match);
  const dict = zset.dict;
  const slotCount = dict.slotCount;
  const entries: Array<[string, number]> = [];
  let slot = cursor;
  let seen = 0;
  let examined = 0;
  const examinedMax = count * 10;
  while (slot < slotCount && seen < count && examined < examinedMax) {
    const member = dict.keyAt(slot);
    if (member !== undefined) {
      seen++;
      if (matches === null || matches(member)) entries.push([member, dict.valueAt(slot) as number]);
    }
    slot++;
    examined++;
  }
  return { cursor: slot >= slotCount ? '0' : String(slot), entries };
}

/** ZSCAN key cursor [MATCH pattern] [COUNT count]: pass '0' to start, then the returned cursor. */
export function zscan(ks: Keyspace, key: string, cursor: string | number, options: ZscanOptions = {}): ZscanPage {
  const position = parseZscanCursor(cursor);
  if (options.count !== undefined && (!Number.isInteger(options.count) || options.count < 1)) {
    throw new ReplyError(ErrorText.syntax);
  }
  const entry = ks.lookupRead(key);
  if (entry === undefined) return { cursor: '0', entries: [] };
  return zscanSlots(zsetOf(ks, entry), position, options);
}

// -----------------------------------------------------------------------------------------------
// ZRANDMEMBER

const LONG_MAX = 9223372036854775807n;

/**
 * ZRANDMEMBER's count, checked as zrandmemberCommand does: within ±LONG_MAX, and within
 * ±LONG_MAX/2 with WITHSCORES. Exact near the bounds, where doubles are not.
 */
function randomCount(count: Arg, withScores: boolean): number {
  const value = integerArg(count);
  if (Math.abs(value) < 2 ** 53) return value;
  const exact = typeof count === 'number' ? BigInt(count) : (parseInt64(textArg(count)) as bigint);
  if (exact < -LONG_MAX) {
    throw new ReplyError('ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807');
  }
  if (withScores && (exact < -LONG_MAX / 2n || exact > LONG_MAX / 2n)) throw new ReplyError('ERR value is out of range');
  return value;
}

/** ZRANDMEMBER key: a random member, or null when the key is missing. */
export function zrandmember(ks: Keyspace, key: string): string | null {
  const entry = ks.lookupRead(key);
  if (entry === undefined) return null;
  const dict = zsetOf(ks, entry).dict;
  return dict.keyAt(dict.randomSlot()) as string;
}

/**
 * ZRANDMEMBER key count [WITHSCORES]: `count` distinct members when positive (all of them if
 * fewer), `-count` members with possible repeats when negative. Returns [member, score] pairs.
 */
export function zrandmembers(ks: Keyspace, key: string, count: number, withScores: boolean): Array<[string, number]> {
  return randomPairs(ks, key, randomCount(count, withScores));
}

// Requires: count passed randomCount.
function randomPairs(ks: Keyspace, key: string, count: number): Array<[string, number]> {
  const entry = ks.lookupRead(key);
  if (entry === undefined) return [];
  const zset = zsetOf(ks, entry);
  const dict = zset.dict;
  const size = zset.size;
  const picked: Array<[string, number]> = [];
  if (count === 0) return picked;
  if (count < 0) {
    // Independent draws: repeats allowed, any order.
    for (let i = 0; i < -count; i++) {
      const slot = dict.randomSlot();
      picked.push([dict.keyAt(slot) as string, dict.valueAt(slot) as number]);
    }
  } else if (count >= size) {
    // The whole set (Redis walks it from the highest member down).
    const cursor = zset.index.cursorAt(size - 1);
    for (let i = 0; i < size; i++, cursor.prev()) picked.push([cursor.member, cursor.score]);
  } else if (count * 3 > size) {
    // Most of the set: shuffle the first `count` places of all members (partial Fisher-Yates).
    const all: Array<[string, number]> = [];
    dict.forEach((score, member) => all.push([member, score]));
    for (let i = 0; i < count; i++) {
      const j = i + Math.floor(Math.random() * (all.length - i));
      const swap = all[i];
      all[i] = all[j];
      all[j] = swap;
      picked.push(all[i]);
    }
  } else {
    // Few of many: draw slots until enough distinct ones.
    const chosen = new Set<number>();
    while (chosen.size < count) {
      const slot = dict.randomSlot();
      if (chosen.has(slot)) continue;
      chosen.add(slot);
      picked.push([dict.keyAt(slot) as string, dict.valueAt(slot) as number]);
    }
  }
  return picked;
}

// -----------------------------------------------------------------------------------------------
// ZUNIONSTORE ZINTERSTORE ZDIFFSTORE

export type Aggregate = 'sum' | 'min' | 'max';

export interface ZstoreOptions {
  /** One multiplier per source key (default 1 each). */
  weights?: readonly number[];
  /** How a member's scores combine; default 'sum'. */
  aggregate?: Aggregate;
}

const OP_UNION = 0;
const OP_INTER = 1;
const OP_DIFF = 2;
type SetOperation = typeof OP_UNION | typeof OP_INTER | typeof OP_DIFF;
const OPERATION_NAMES = ['zunionstore', 'zinterstore', 'zdiffstore'] as const;

const AGGREGATE_SUM = 0;
const AGGREGATE_MIN = 1;
const AGGREGATE_MAX = 2;
type AggregateCode = typeof AGGREGATE_SUM | typeof AGGREGATE_MIN | typeof AGGREGATE_MAX;
const AGGREGATE_NAMES = ['SUM', 'MIN', 'MAX'] as const;

/** zunionInterAggregate: inf + -inf sums to 0, and MIN/MAX keep the target on ties and NaN. */
function aggregateScores(target: number, value: number, aggregate: AggregateCode): number {
  if (aggregate === AGGREGATE_SUM) {
    const sum = target + value;
    return Number.isNaN(sum) ? 0 : sum;
  }
  if (aggregate === AGGREGATE_MIN) return value < target ? value : target;
  return value > target ? value : target;
}

/** The sources of a set operation: each key's set, null when missing; WRONGTYPE for any other type. */
function sourcesOf(ks: Keyspace, keys: readonly string[]): Array<ZSet | null> {
  const sources: Array<ZSet | null> = new Array(keys.length);
  for (let i = 0; i < keys.length; i++) {
    const entry = ks.lookupRead(keys[i]);
    sources[i] = entry === undefined ? null : zsetOf(ks, entry);
  }
  return sources;
}

function sizeOf(source: ZSet | null): number {
  return source === null ? 0 : source.size;
}

/**
 * Computes the result of a set operation as unordered (members, scores), following
 * zunionInterDiffGenericCommand: union and intersection visit the sources from the smallest up
 * (a stable sort, so equal sizes keep argument order), which fixes the order in which each member's
 * weighted scores combine; a weighted score that is NaN (inf * 0) counts as 0, except that
 * intersection does not check the later sources' products (their NaN then resets a SUM to 0 and is
 * ignored by MIN and MAX).
 */
function combine(operation: SetOperation, sources: Array<ZSet | null>, weights: readonly number[], aggregate: AggregateCode): { members: string[]; scores: number[] } {
  const members: string[] = [];
  const scores: number[] = [];
  if (operation === OP_DIFF) {
    const first = sources[0];
    if (first === null) return { members, scores };
    first.index.forEach((score, member) => {
      for (let j = 1; j < sources.length; j++) {
        const other = sources[j];
        if (other !== null && other.dict.has(member)) return;
      }
      members.push(member);
      scores.push(score);
    });
    return { members, scores };
  }
  const order = sources.map((_, i) => i).sort((a, b) => sizeOf(sources[a]) - sizeOf(sources[b]));
  if (operation === OP_INTER) {
    const smallest = sources[order[0]];
    if (smallest === null || smallest.size === 0) return { members, scores };
    const firstWeight = weights[order[0]];
    smallest.index.forEach((score, member) => {
      let total = firstWeight * score;
      if (Number.isNaN(total)) total = 0;
      for (let j = 1; j < order.length; j++) {
        const value = (sources[order[j]] as ZSet).dict.get(member);
        if (value === undefined) return;
        total = aggregateScores(total, value * weights[order[j]], aggregate);
      }
      members.push(member);
      scores.push(total);
    });
    return { members, scores };
  }
  const accumulator = new Map<string, number>();
  for (const i of order) {
    const source = sources[i];
    if (source === null) continue;
    const weight = weights[i];
    source.index.forEach((score, member) => {
      let value = weight * score;
      if (Number.isNaN(value)) value = 0;
      const current = accumulator.get(member);
      accumulator.set(member, current === undefined ? value : aggregateScores(current, value, aggregate));
    });
  }
  for (const [member, score] of accumulator) {
    members.push(member);
    scores.push(score);
  }
  return { members, scores };
}

/**
 * Stores a result at dest, replacing whatever is there (any type; its TTL goes too) or deleting it
 * when the result is empty, as Redis's setKey / dbDelete do; returns the result's size.
 */
function storeResult(ks: Keyspace, dest: string, members: string[], scores: number[], record: LogRecord): number {
  const existing = ks.lookupWrite(dest);
  if (members.length === 0) {
    if (existing !== undefined) {
      ks.remove(existing);
      ks.propagate(record);
    }
    return 0;
  }
  const zset = zsetFromPairs(members, scores);
  const bytes = zsetBytes(zset, members);
  if (existing === undefined) ks.add(dest, TYPE_ZSET, zset, bytes);
  else ks.overwrite(existing, TYPE_ZSET, zset, bytes, false);
  ks.propagate(record);
  return members.length;
}

/** Runs a set operation whose arguments are all valid, and logs it as its normalised command. */
function storeOperation(ks: Keyspace, operation: SetOperation, dest: string, keys: readonly string[], sources: Array<ZSet | null>, weights: readonly number[], aggregate: AggregateCode): number {
  const { members, scores } = combine(operation, sources, weights, aggregate);
  const record: LogRecord = [OPERATION_NAMES[operation].toUpperCase(), dest, keys.length, ...keys];
  if (operation !== OP_DIFF) record.push('WEIGHTS', ...weights, 'AGGREGATE', AGGREGATE_NAMES[aggregate]);
  return storeResult(ks, dest, members, scores, record);
}

function checkSourceCount(operation: SetOperation, count: number): void {
  if (count < 1) throw new ReplyError(`ERR at least 1 input key is needed for '${OPERATION_NAMES[operation]}' command`);
}

function aggregateCodeOf(name: string): AggregateCode {
  const upper = name.toUpperCase();
  if (upper === 'SUM') return AGGREGATE_SUM;
  if (upper === 'MIN') return AGGREGATE_MIN;
  if (upper === 'MAX') return AGGREGATE_MAX;
  throw new ReplyError(ErrorText.syntax);
}

function typedStore(ks: Keyspace, operation: SetOperation, dest: string, keys: readonly string[], options: ZstoreOptions | undefined): number {
  if (!Array.isArray(keys)) throw new TypeError(`${OPERATION_NAMES[operation]} takes an array of source keys`);
  checkSourceCount(operation, keys.length);
  for (const key of keys) if (typeof key !== 'string') throw new TypeError(`keys are strings, got ${typeof key}`);
  // The sources are read (and type-checked) before the options, as `call` and Redis do.
  const sources = sourcesOf(ks, keys);
  if (operation === OP_DIFF && (options?.weights !== undefined || options?.aggregate !== undefined)) {
    throw new ReplyError(ErrorText.syntax);
  }
  let weights: readonly number[] = keys.map(() => 1);
  if (options?.weights !== undefined) {
    if (options.weights.length !== keys.length) throw new ReplyError(ErrorText.syntax);
    for (const weight of options.weights) checkScore(weight, 'ERR weight value is not a float');
    weights = options.weights;
  }
  const aggregate = options?.aggregate === undefined ? AGGREGATE_SUM : aggregateCodeOf(options.aggregate);
  return storeOperation(ks, operation, dest, keys, sources, weights, aggregate);
}

/** ZUNIONSTORE: stores the union of the sources at dest; returns its size. */
export function zunionstore(ks: Keyspace, dest: string, keys: readonly string[], options?: ZstoreOptions): number {
  return typedStore(ks, OP_UNION, dest, keys, options);
}

/** ZINTERSTORE: stores the members present in every source at dest; returns its size. */
export function zinterstore(ks: Keyspace, dest: string, keys: readonly string[], options?: ZstoreOptions): number {
  return typedStore(ks, OP_INTER, dest, keys, options);
}

/** ZDIFFSTORE: stores the members of the first source found in no other at dest; returns its size. */
export function zdiffstore(ks: Keyspace, dest: string, keys: readonly string[]): number {
  return typedStore(ks, OP_DIFF, dest, keys, undefined);
}

/**
 * Z*STORE dest numkeys key ... [WEIGHTS w ...] [AGGREGATE SUM|MIN|MAX] from `store.call`. Redis
 * reads (and type-checks) the source keys before the options, so WRONGTYPE wins over a syntax error.
 */
function storeCommand(ks: Keyspace, args: Arg[], operation: SetOperation): Reply {
  const dest = keyArg(args[0]);
  const count = integerArg(args[1]);
  checkSourceCount(operation, count);
  if (count > args.length - 2) throw new ReplyError(ErrorText.syntax);
  const keys = args.slice(2, 2 + count).map(keyArg);
  const sources = sourcesOf(ks, keys);
  const weights: number[] = keys.map(() => 1);
  let aggregate: AggregateCode = AGGREGATE_SUM;
  let j = 2 + count;
  while (j < args.length) {
    const remaining = args.length - j;
    const option = keywordArg(args[j]);
    if (operation !== OP_DIFF && remaining >= count + 1 && option === 'WEIGHTS') {
      j++;
      for (let i = 0; i < count; i++, j++) weights[i] = doubleArg(args[j], 'ERR weight value is not a float');
    } else if (operation !== OP_DIFF && remaining >= 2 && option === 'AGGREGATE') {
      aggregate = aggregateCodeOf(textArg(args[j + 1]));
      j += 2;
    } else {
      throw new ReplyError(ErrorText.syntax);
    }
  }
  return storeOperation(ks, operation, dest, keys, sources, weights, aggregate);
}

// -----------------------------------------------------------------------------------------------
// Argument parsing for `store.call`

function zaddCommand(ks: Keyspace, args: Arg[], incrCommand: boolean): Reply {
  const key = keyArg(args[0]);
  let flags = incrCommand ? ZADD_INCR : 0;
  let at = 1;
  // Options come first; the first word that is not one starts the pairs (ZINCRBY too).
  for (; at < args.length; at++) {
    const option = keywordArg(args[at]);
    if (option === 'NX') flags |= ZADD_NX;
    else if (option === 'XX') flags |= ZADD_XX;
    else if (option === 'CH') flags |= ZADD_CH;
    else if (option === 'INCR') flags |= ZADD_INCR;
    else if (option === 'GT') flags |= ZADD_GT;
    else if (option === 'LT') flags |= ZADD_LT;
    else break;
  }
  const elements = args.length - at;
  if (elements === 0 || elements % 2 !== 0) throw new ReplyError(ErrorText.syntax);
  checkZaddFlags(flags, elements / 2);
  // Every score is parsed before anything changes, as Redis does.
  const scores: number[] = [];
  for (let i = at; i < args.length; i += 2) scores.push(doubleArg(args[i]));
  const pairs = scores.map((score, i): [number, string] => [score, nameArg(args[at + 2 * i + 1])]);
  const result = zaddPairs(ks, key, pairs, flags);
  if ((flags & ZADD_INCR) === 0) return result;
  return result === null ? null : formatDouble(result);
}

function scoreReply(score: number | null): Reply {
  return score === null ? null : formatDouble(score);
}

/** The options of ZRANGE and its older forms; `by` and `direction` are fixed by the older ones. */
function rangeCommand(ks: Keyspace, args: Arg[], by: By, direction: Direction): Reply {
  const request: RangeRequest = { by, direction, withScores: false, offset: 0, limit: -1 };
  for (let j = 3; j < args.length; j++) {
    const left = args.length - j - 1;
    const option = keywordArg(args[j]);
    if (option === 'WITHSCORES') request.withScores = true;
    else if (option === 'LIMIT' && left >= 2) {
      request.offset = integerArg(args[j + 1]);
      request.limit = integerArg(args[j + 2]);
      j += 2;
    } else if (request.direction === DIRECTION_AUTO && option === 'REV') request.direction = DIRECTION_REVERSE;
    else if (request.by === BY_AUTO && option === 'BYLEX') request.by = BY_LEX;
    else if (request.by === BY_AUTO && option === 'BYSCORE') request.by = BY_SCORE;
    else throw new ReplyError(ErrorText.syntax);
  }
  return rangeGeneric(ks, keyArg(args[0]), args[1], args[2], request, SHAPE_REPLY) as Reply[];
}

function zpopCommand(ks: Keyspace, args: Arg[], max: boolean): Reply {
  if (args.length > 2) throw new ReplyError(ErrorText.syntax);
  const count = args.length === 2 ? positiveCount(args[1]) : 1;
  return pairsReply(zpop(ks, keyArg(args[0]), count, max));
}

function zscanCommand(ks: Keyspace, args: Arg[]): Reply {
  const cursor = parseZscanCursor(args[1]);
  // Redis looks the key up before reading the options: a missing key ignores bad ones.
  const entry = ks.lookupRead(keyArg(args[0]));
  if (entry === undefined) return ['0', []];
  const zset = zsetOf(ks, entry);
  const page = zscanSlots(zset, cursor, parseZscanOptions(args, 2));
  return [page.cursor, pairsReply(page.entries)];
}

function zrandmemberCommand(ks: Keyspace, args: Arg[]): Reply {
  const key = keyArg(args[0]);
  if (args.length === 1) return zrandmember(ks, key);
  // The count's range error comes before a syntax error in what follows it.
  const count = randomCount(args[1], false);
  if (args.length > 3 || (args.length === 3 && keywordArg(args[2]) !== 'WITHSCORES')) throw new ReplyError(ErrorText.syntax);
  const withScores = args.length === 3;
  if (withScores) randomCount(args[1], true);
  const picked = randomPairs(ks, key, count);
  return withScores ? pairsReply(picked) : picked.map(([member]) => member);
}

/** A score bound from `store.call`: numbers as they are (inclusive), anything else as text. */
function scoreBoundArg(arg: Arg): ScoreBound {
  return typeof arg === 'number' ? arg : textArg(arg);
}

// -----------------------------------------------------------------------------------------------
// The command table's entries

export const zsetCommands: CommandSpec[] = [
  command('zadd', -4, ['write', 'denyoom', 'fast'], [1, 1, 1], (ks, args) => zaddCommand(ks, args, false)),
  command('zincrby', 4, ['write', 'denyoom', 'fast'], [1, 1, 1], (ks, args) => zaddCommand(ks, args, true)),
  command('zrem', -3, ['write', 'fast'], [1, 1, 1], (ks, args) => zrem(ks, keyArg(args[0]), args.slice(1).map(nameArg))),
  command('zscore', 3, ['fast'], [1, 1, 1], (ks, args) => scoreReply(zscore(ks, keyArg(args[0]), nameArg(args[1])))),
  command('zmscore', -3, ['fast'], [1, 1, 1], (ks, args) =>
    zmscore(ks, keyArg(args[0]), args.slice(1).map(nameArg)).map(scoreReply),
  ),
  command('zcard', 2, ['fast'], [1, 1, 1], (ks, args) => zcard(ks, keyArg(args[0]))),
  command('zcount', 4, ['fast'], [1, 1, 1], (ks, args) => zcount(ks, keyArg(args[0]), scoreBoundArg(args[1]), scoreBoundArg(args[2]))),
  command('zlexcount', 4, ['fast'], [1, 1, 1], (ks, args) => zlexcount(ks, keyArg(args[0]), textArg(args[1]), textArg(args[2]))),
  command('zrange', -4, [], [1, 1, 1], (ks, args) => rangeCommand(ks, args, BY_AUTO, DIRECTION_AUTO)),
  command('zrevrange', -4, [], [1, 1, 1], (ks, args) => rangeCommand(ks, args, BY_RANK, DIRECTION_REVERSE)),
  command('zrangebyscore', -4, [], [1, 1, 1], (ks, args) => rangeCommand(ks, args, BY_SCORE, DIRECTION_FORWARD)),
  command('zrevrangebyscore', -4, [], [1, 1, 1], (ks, args) => rangeCommand(ks, args, BY_SCORE, DIRECTION_REVERSE)),
  command('zrangebylex', -4, [], [1, 1, 1], (ks, args) => rangeCommand(ks, args, BY_LEX, DIRECTION_FORWARD)),
  command('zrevrangebylex', -4, [], [1, 1, 1], (ks, args) => rangeCommand(ks, args, BY_LEX, DIRECTION_REVERSE)),
  command('zrank', 3, ['fast'], [1, 1, 1], (ks, args) => zrank(ks, keyArg(args[0]), nameArg(args[1]), false)),
  command('zrevrank', 3, ['fast'], [1, 1, 1], (ks, args) => zrank(ks, keyArg(args[0]), nameArg(args[1]), true)),
  command('zpopmin', -2, ['write', 'fast'], [1, 1, 1], (ks, args) => zpopCommand(ks, args, false)),
  command('zpopmax', -2, ['write', 'fast'], [1, 1, 1], (ks, args) => zpopCommand(ks, args, true)),
  command('zremrangebyrank', 4, ['write'], [1, 1, 1], (ks, args) =>
    zremrangebyrank(ks, keyArg(args[0]), integerArg(args[1]), integerArg(args[2])),
  ),
  command('zremrangebyscore', 4, ['write'], [1, 1, 1], (ks, args) =>
    zremrangebyscore(ks, keyArg(args[0]), scoreBoundArg(args[1]), scoreBoundArg(args[2])),
  ),
  command('zremrangebylex', 4, ['write'], [1, 1, 1], (ks, args) =>
    zremrangebylex(ks, keyArg(args[0]), textArg(args[1]), textArg(args[2])),
  ),
  command('zscan', -3, [], [1, 1, 1], zscanCommand),
  command('zrandmember', -2, [], [1, 1, 1], zrandmemberCommand),
  command('zunionstore', -4, ['write', 'denyoom'], [1, 1, 1], (ks, args) => storeCommand(ks, args, OP_UNION)),
  command('zinterstore', -4, ['write', 'denyoom'], [1, 1, 1], (ks, args) => storeCommand(ks, args, OP_INTER)),
  command('zdiffstore', -4, ['write', 'denyoom'], [1, 1, 1], (ks, args) => storeCommand(ks, args, OP_DIFF)),
];
