// Sorted sets (lib/keyspace/zset.ts), four ways:
//   1. Model: random op sequences (fast-check: seeded, replayable, shrinking) run against a plain
//      reference (a Map of sorted [score, member] arrays) and through both faces at once: store A
//      gets `call`, store B the typed methods. Replies (formatted scores, error texts) are compared
//      after every op, and so is the whole keyspace, with its invariants and size estimates; a
//      failed op must change nothing and emit no record. Members mix ASCII, é, U+FFFD and 😀 (UTF-16
//      and UTF-8 orders differ); scores repeat and include ±inf and -0.
//   2. Write path: A's records, replayed into an empty store, rebuild the same keyspace.
//   3. ZSCAN's guarantee under inserts, deletes and rescoring between steps.
//   4. Differential: random command sequences, malformed ones included, sent to emberkv and to a
//      real redis-server 7.0 (spec/support/redis-oracle.ts); replies compared exactly.
// Replay a failure with ZSET_SEED=<seed printed by fast-check or the oracle test>.

import fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ReplyError, open, type Store } from '../../lib/index.ts';
import { TYPE_ZSET, type LogRecord } from '../../lib/keyspace/keyspace.ts';
import { ENTRY_BYTES, VOLATILE_BYTES, ZSET_BYTES, ZSET_INDEX_SLOT_BYTES, ZSET_MEMBER_BYTES, textBytes } from '../../lib/keyspace/memory.ts';
import { formatDouble } from '../../lib/keyspace/numbers.ts';
import type { ZSet } from '../../lib/keyspace/zset.ts';
import { ZSetIndex } from '../../lib/keyspace/zset-index.ts';
import type { Arg, Reply } from '../../lib/types.ts';
import { startRedis, type OracleReply } from '../support/redis-oracle.ts';
import { dumpStore } from '../support/model.ts';
import { seededRandom } from '../support/seeded-random.ts';
import { recordingSink } from '../support/recording-sink.ts';

const SEED = process.env.ZSET_SEED === undefined ? 20240607 : Number(process.env.ZSET_SEED);

async function memoryStore(): Promise<Store> {
  return open(undefined, { activeExpiry: false });
}

/** Runs a command, turning a ReplyError into `{ error }` (other errors are bugs and propagate). */
function attempt(run: () => Reply): Reply | { error: string } {
  try {
    return run();
  } catch (error) {
    if (error instanceof ReplyError) return { error: error.message };
    throw error;
  }
}

// ---------------------------------------------------------------------------------------------
// Invariants of a store's sorted sets

/** Checks every sorted set in the store; returns the first problem or null. */
function zsetProblem(store: Store): string | null {
  let total = 0;
  for (const entry of store.ks.allEntries()) {
    const key = entry.key;
    total += entry.bytes;
    if (entry.type !== TYPE_ZSET) continue;
    const zset = entry.value as ZSet;
    if (zset.size === 0) return `${key}: an empty sorted set is stored`;
    if (zset.index.size !== zset.dict.size) return `${key}: index holds ${zset.index.size}, dict ${zset.dict.size}`;
    const indexProblem = zset.index.checkInvariants();
    if (indexProblem !== null) return `${key}: ${indexProblem}`;
    let bytes = ENTRY_BYTES + textBytes(key) + ZSET_BYTES + zset.index.memorySlots * ZSET_INDEX_SLOT_BYTES + zset.dict.indexBytes + zset.hintBytes + (entry.volatileSlot === -1 ? 0 : VOLATILE_BYTES);
    for (const [member, score] of zset.dict.entries()) {
      if (Object.is(score, -0)) return `${key}: ${member} is stored with score -0`;
      if (zset.index.rank(score, member) < 0) return `${key}: ${member} ${score} is in the dict but not the index`;
      bytes += ZSET_MEMBER_BYTES + textBytes(member);
    }
    if (bytes !== entry.bytes) return `${key}: size estimate ${entry.bytes}, expected ${bytes}`;
  }
  if (total !== store.ks.usedMemory) return `usedMemory ${store.ks.usedMemory}, entries sum to ${total}`;
  return null;
}

// ---------------------------------------------------------------------------------------------
// The reference model

type Pair = [number, string];
type ModelValue = { type: 'string' } | { type: 'zset'; pairs: Pair[] };
type Model = Map<string, ModelValue>;

const utf8 = (text: string): Buffer => Buffer.from(text, 'utf8');

/** Redis's member order: bytes (sdscmp), independent of the code under test. */
function memberOrder(a: string, b: string): number {
  return Buffer.compare(utf8(a), utf8(b));
}

function pairOrder(a: Pair, b: Pair): number {
  return a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : memberOrder(a[1], b[1]);
}

const WRONGTYPE = 'WRONGTYPE Operation against a key holding the wrong kind of value';
const SYNTAX = 'ERR syntax error';
const NOT_FLOAT = 'ERR value is not a valid float';
const NOT_INTEGER = 'ERR value is not an integer or out of range';
const RANGE_NOT_FLOAT = 'ERR min or max is not a float';
const RANGE_NOT_LEX = 'ERR min or max not valid string range item';

class ModelError extends Error {}

/** A float argument from the generators' pools (string2d). */
function modelFloat(text: string): number | null {
  if (text === 'inf' || text === '+inf') return Infinity;
  if (text === '-inf') return -Infinity;
  if (text === 'x') return null;
  return Number(text);
}

/** A score range bound from the pools (zslParseRange). */
function modelBound(text: string): { value: number; exclusive: boolean } | null {
  const exclusive = text.startsWith('(');
  const rest = exclusive ? text.slice(1) : text;
  if (rest === '') return { value: 0, exclusive };
  const value = modelFloat(rest);
  return value === null ? null : { value, exclusive };
}

type ModelLex = { end: 'min' | 'max' } | { value: string; exclusive: boolean };

function modelLex(text: string): ModelLex | null {
  if (text === '-') return { end: 'min' };
  if (text === '+') return { end: 'max' };
  if (text.startsWith('[')) return { value: text.slice(1), exclusive: false };
  if (text.startsWith('(')) return { value: text.slice(1), exclusive: true };
  return null;
}

function lexAboveMin(member: string, min: ModelLex): boolean {
  if ('end' in min) return min.end === 'min';
  const order = memberOrder(member, min.value);
  return min.exclusive ? order > 0 : order >= 0;
}

function lexBelowMax(member: string, max: ModelLex): boolean {
  if ('end' in max) return max.end === 'max';
  const order = memberOrder(member, max.value);
  return max.exclusive ? order < 0 : order <= 0;
}

function modelInteger(text: string): number {
  if (!/^-?\d+$/.test(text) || text === '-0') throw new ModelError(NOT_INTEGER);
  return Number(text);
}

/** The sorted set at key, [] when missing; WRONGTYPE for a string. */
function modelPairs(model: Model, key: string): Pair[] | null {
  const value = model.get(key);
  if (value === undefined) return null;
  if (value.type !== 'zset') throw new ModelError(WRONGTYPE);
  return value.pairs;
}

function sameScores(pairs: Pair[] | null): boolean {
  return pairs === null || pairs.every(([score]) => score === pairs[0][0]);
}

function setPairs(model: Model, key: string, pairs: Pair[]): void {
  pairs.sort(pairOrder);
  if (pairs.length === 0) model.delete(key);
  else model.set(key, { type: 'zset', pairs });
}

const stored = (score: number): number => (score === 0 ? 0 : score);
const flat = (pairs: Pair[], withScores: boolean): Reply[] =>
  pairs.flatMap(([score, member]) => (withScores ? [member, formatDouble(score)] : [member]));

// ---------------------------------------------------------------------------------------------
// Ops: one description, three executors (model, `call`, typed)

type RangeCommand = 'ZRANGE' | 'ZREVRANGE' | 'ZRANGEBYSCORE' | 'ZREVRANGEBYSCORE' | 'ZRANGEBYLEX' | 'ZREVRANGEBYLEX';
type StoreCommand = 'ZUNIONSTORE' | 'ZINTERSTORE' | 'ZDIFFSTORE';

type Op =
  | { kind: 'zadd'; key: string; flags: string[]; pairs: Array<[string, string]> }
  | { kind: 'zincrby'; key: string; increment: string; member: string }
  | { kind: 'zrem'; key: string; members: string[] }
  | { kind: 'zscore'; key: string; member: string }
  | { kind: 'zmscore'; key: string; members: string[] }
  | { kind: 'zcard'; key: string }
  | { kind: 'zcount'; key: string; min: string; max: string }
  | { kind: 'zlexcount'; key: string; min: string; max: string }
  | { kind: 'range'; command: RangeCommand; key: string; start: string; stop: string; by: 'BYSCORE' | 'BYLEX' | null; rev: boolean; withScores: boolean; limit: [string, string] | null }
  | { kind: 'zrank'; key: string; member: string; reverse: boolean }
  | { kind: 'zpop'; key: string; max: boolean; count: string | null }
  | { kind: 'zremrangebyrank'; key: string; start: string; stop: string }
  | { kind: 'zremrangebyscore'; key: string; min: string; max: string }
  | { kind: 'zremrangebylex'; key: string; min: string; max: string }
  | { kind: 'store'; command: StoreCommand; dest: string; keys: string[]; weights: string[] | null; aggregate: string | null }
  | { kind: 'zrandmember'; key: string; count: number | null; withScores: boolean }
  | { kind: 'zscan'; key: string; count: number; match: string | null }
  | { kind: 'del'; key: string }
  | { kind: 'set'; key: string };

/** What the model says a command replies: exactly, a predicate for random replies, or skip. */
type Expected = { reply: Reply } | { error: string } | { check: (reply: Reply) => string | null } | { skip: true };

const KEYS = ['k1', 'k2', 'k3', 's'];
const MEMBERS = ['a', 'b', 'c', 'é', '\uFFFD', '😀', ''];
const SCORES = ['-inf', '-2', '-1', '-0', '0', '0', '0.5', '1', '1', '1.5', '2', 'inf', '+inf', '0.1', '0.2', '1e300', 'x'];
const BOUNDS = ['-inf', '+inf', 'inf', '(1', '1', '(0', '0', '-0', '(-0', '2', '(2', '1.5', '(1.5', '-1', '(-inf', '(+inf', 'x', '', '('];
const LEX = ['-', '+', '[a', '(a', '[b', '(c', '[é', '(😀', '[', '(', '[\uFFFD', 'a', ''];
const INTEGERS = ['-4', '-2', '-1', '0', '1', '2', '4', 'x'];
const WEIGHTS = ['1', '0', '2', '-1', '0.5', 'inf', '-inf', 'x'];
const PATTERNS = ['*', 'a*', '*b', '[ab]*', 'x', '*é*'];

const keyArb = fc.constantFrom(...KEYS);
const memberArb = fc.constantFrom(...MEMBERS);
const scoreArb = fc.constantFrom(...SCORES);
const boundArb = fc.constantFrom(...BOUNDS);
const lexArb = fc.constantFrom(...LEX);
const intArb = fc.constantFrom(...INTEGERS);

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.record({
      kind: fc.constant('zadd' as const),
      key: keyArb,
      flags: fc.subarray(['NX', 'XX', 'GT', 'LT', 'CH', 'INCR'], { maxLength: 2 }),
      pairs: fc.array(fc.tuple(scoreArb, memberArb), { minLength: 1, maxLength: 3 }),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('zincrby' as const), key: keyArb, increment: scoreArb, member: memberArb }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('zrem' as const), key: keyArb, members: fc.array(memberArb, { minLength: 1, maxLength: 3 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('zscore' as const), key: keyArb, member: memberArb }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('zmscore' as const), key: keyArb, members: fc.array(memberArb, { minLength: 1, maxLength: 3 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('zcard' as const), key: keyArb }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('zcount' as const), key: keyArb, min: boundArb, max: boundArb }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('zlexcount' as const), key: keyArb, min: lexArb, max: lexArb }) },
  {
    weight: 8,
    arbitrary: fc
      .record({
        command: fc.constantFrom<RangeCommand>('ZRANGE', 'ZRANGE', 'ZRANGE', 'ZREVRANGE', 'ZRANGEBYSCORE', 'ZREVRANGEBYSCORE', 'ZRANGEBYLEX', 'ZREVRANGEBYLEX'),
        key: keyArb,
        by: fc.constantFrom<'BYSCORE' | 'BYLEX' | null>(null, 'BYSCORE', 'BYLEX'),
        rev: fc.boolean(),
        withScores: fc.boolean(),
        limit: fc.option(fc.tuple(fc.constantFrom('0', '1', '2', '-1', 'x'), fc.constantFrom('-1', '0', '1', '2', '-2')), { freq: 3 }),
        ints: fc.tuple(intArb, intArb),
        bounds: fc.tuple(boundArb, boundArb),
        lex: fc.tuple(lexArb, lexArb),
      })
      .map(({ command, key, by, rev, withScores, limit, ints, bounds, lex }): Op => {
        const effectiveBy = command === 'ZRANGE' ? by : command.includes('SCORE') ? 'BYSCORE' : command.includes('LEX') ? 'BYLEX' : null;
        const [start, stop] = effectiveBy === 'BYSCORE' ? bounds : effectiveBy === 'BYLEX' ? lex : ints;
        return { kind: 'range', command, key, start, stop, by: command === 'ZRANGE' ? by : null, rev: command === 'ZRANGE' && rev, withScores, limit };
      }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('zrank' as const), key: keyArb, member: memberArb, reverse: fc.boolean() }) },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant('zpop' as const), key: keyArb, max: fc.boolean(), count: fc.option(fc.constantFrom('0', '1', '2', '5', '-1', 'x')) }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('zremrangebyrank' as const), key: keyArb, start: intArb, stop: intArb }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('zremrangebyscore' as const), key: keyArb, min: boundArb, max: boundArb }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('zremrangebylex' as const), key: keyArb, min: lexArb, max: lexArb }) },
  {
    weight: 3,
    arbitrary: fc
      .record({
        command: fc.constantFrom<StoreCommand>('ZUNIONSTORE', 'ZINTERSTORE', 'ZDIFFSTORE'),
        dest: keyArb,
        keys: fc.array(keyArb, { minLength: 1, maxLength: 3 }),
        weights: fc.option(fc.array(fc.constantFrom(...WEIGHTS), { minLength: 3, maxLength: 3 }), { freq: 2 }),
        aggregate: fc.option(fc.constantFrom('SUM', 'MIN', 'MAX', 'max', 'bad'), { freq: 2 }),
        optionsOnDiff: fc.boolean(),
      })
      .map(({ command, dest, keys, weights, aggregate, optionsOnDiff }): Op => {
        const allowed = command !== 'ZDIFFSTORE' || optionsOnDiff;
        return {
          kind: 'store',
          command,
          dest,
          keys,
          weights: allowed && weights !== null ? weights.slice(0, keys.length) : null,
          aggregate: allowed && (command !== 'ZDIFFSTORE' || weights === null) ? aggregate : null,
        };
      }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('zrandmember' as const), key: keyArb, count: fc.option(fc.integer({ min: -6, max: 6 })), withScores: fc.boolean() }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('zscan' as const), key: keyArb, count: fc.integer({ min: 1, max: 4 }), match: fc.option(fc.constantFrom(...PATTERNS)) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('del' as const), key: keyArb }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('set' as const), key: fc.constant('s') }) },
);

/** A glob for the PATTERNS pool, written out independently of lib/keyspace/glob.ts. */
function modelGlob(pattern: string): (member: string) => boolean {
  switch (pattern) {
    case '*':
      return () => true;
    case 'a*':
      return (m) => m.startsWith('a');
    case '*b':
      return (m) => m.endsWith('b');
    case '[ab]*':
      return (m) => m.startsWith('a') || m.startsWith('b');
    case '*é*':
      return (m) => m.includes('é');
    default:
      return (m) => m === pattern;
  }
}

/** zunionInterAggregate. */
function modelAggregate(target: number, value: number, aggregate: string): number {
  if (aggregate === 'SUM') {
    const sum = target + value;
    return Number.isNaN(sum) ? 0 : sum;
  }
  if (aggregate === 'MIN') return value < target ? value : target;
  return value > target ? value : target;
}

/** Applies an op to the model; returns what the store must reply. */
function modelApply(model: Model, op: Op): Expected {
  try {
    return { ...modelRun(model, op) };
  } catch (error) {
    if (error instanceof ModelError) return { error: error.message };
    throw error;
  }
}

function modelRun(model: Model, op: Op): Expected {
  switch (op.kind) {
    case 'zadd':
    case 'zincrby': {
      const flags = new Set(op.kind === 'zadd' ? op.flags : ['INCR']);
      const pairs = op.kind === 'zadd' ? op.pairs : [[op.increment, op.member] as [string, string]];
      const [nx, xx, gt, lt, incr] = ['NX', 'XX', 'GT', 'LT', 'INCR'].map((flag) => flags.has(flag));
      if (nx && xx) throw new ModelError('ERR XX and NX options at the same time are not compatible');
      if ((gt && nx) || (lt && nx) || (gt && lt)) throw new ModelError('ERR GT, LT, and/or NX options at the same time are not compatible');
      if (incr && pairs.length > 1) throw new ModelError('ERR INCR option supports a single increment-element pair');
      const scores = pairs.map(([text]) => modelFloat(text));
      if (scores.some((score) => score === null)) throw new ModelError(NOT_FLOAT);
      const current = modelPairs(model, op.key);
      if (current === null && xx) return { reply: incr ? null : 0 };
      const byMember = new Map((current ?? []).map(([score, member]) => [member, score]));
      if (incr && !nx && byMember.has(pairs[0][1]) && Number.isNaN((byMember.get(pairs[0][1]) as number) + (scores[0] as number))) {
        throw new ModelError('ERR resulting score is not a number (NaN)');
      }
      let added = 0;
      let changed = 0;
      let last: number | null = null;
      pairs.forEach(([, member], i) => {
        const given = scores[i] as number;
        const old = byMember.get(member);
        if (old === undefined) {
          if (xx) return;
          byMember.set(member, stored(given));
          added++;
          last = given;
          return;
        }
        if (nx) return;
        const next = incr ? old + given : given;
        if ((lt && next >= old) || (gt && next <= old)) return;
        last = next;
        if (next !== old) {
          byMember.set(member, stored(next));
          changed++;
        }
      });
      setPairs(model, op.key, [...byMember].map(([member, score]): Pair => [score, member]));
      if (incr) return { reply: last === null ? null : formatDouble(last) };
      return { reply: flags.has('CH') ? added + changed : added };
    }
    case 'zrem': {
      const current = modelPairs(model, op.key);
      if (current === null) return { reply: 0 };
      const gone = new Set(op.members);
      const kept = current.filter(([, member]) => !gone.has(member));
      setPairs(model, op.key, kept);
      return { reply: current.length - kept.length };
    }
    case 'zscore': {
      const found = (modelPairs(model, op.key) ?? []).find(([, member]) => member === op.member);
      return { reply: found === undefined ? null : formatDouble(found[0]) };
    }
    case 'zmscore': {
      const current = modelPairs(model, op.key) ?? [];
      return { reply: op.members.map((m) => { const found = current.find(([, member]) => member === m); return found === undefined ? null : formatDouble(found[0]); }) };
    }
    case 'zcard':
      return { reply: (modelPairs(model, op.key) ?? []).length };
    case 'zcount':
    case 'zremrangebyscore': {
      const min = modelBound(op.min);
      const max = modelBound(op.max);
      if (min === null || max === null) throw new ModelError(RANGE_NOT_FLOAT);
      const current = modelPairs(model, op.key);
      if (current === null) return { reply: 0 };
      const inRange = ([score]: Pair): boolean =>
        (min.exclusive ? score > min.value : score >= min.value) && (max.exclusive ? score < max.value : score <= max.value);
      const count = current.filter(inRange).length;
      if (op.kind === 'zremrangebyscore') setPairs(model, op.key, current.filter((pair) => !inRange(pair)));
      return { reply: count };
    }
    case 'zlexcount':
    case 'zremrangebylex': {
      const min = modelLex(op.min);
      const max = modelLex(op.max);
      if (min === null || max === null) throw new ModelError(RANGE_NOT_LEX);
      const current = modelPairs(model, op.key);
      if (current === null) return { reply: 0 };
      if (!sameScores(current)) return { skip: true };
      const inRange = ([, member]: Pair): boolean => lexAboveMin(member, min) && lexBelowMax(member, max);
      const count = current.filter(inRange).length;
      if (op.kind === 'zremrangebylex') setPairs(model, op.key, current.filter((pair) => !inRange(pair)));
      return { reply: count };
    }
    case 'range':
      return modelRange(model, op);
    case 'zrank': {
      const current = modelPairs(model, op.key) ?? [];
      const rank = current.findIndex(([, member]) => member === op.member);
      return { reply: rank === -1 ? null : op.reverse ? current.length - 1 - rank : rank };
    }
    case 'zpop': {
      let count = 1;
      if (op.count !== null) {
        // getPositiveLongFromObjectOrReply: one message for "not an integer" and "negative".
        count = /^-?\d+$/.test(op.count) ? Number(op.count) : -1;
        if (count < 0) throw new ModelError('ERR value is out of range, must be positive');
      }
      const current = modelPairs(model, op.key);
      if (current === null || count === 0) return { reply: [] };
      const taken = op.max ? current.slice(-count).reverse() : current.slice(0, count);
      setPairs(model, op.key, op.max ? current.slice(0, Math.max(0, current.length - count)) : current.slice(count));
      return { reply: flat(taken, true) };
    }
    case 'zremrangebyrank': {
      let start = modelInteger(op.start);
      let stop = modelInteger(op.stop);
      const current = modelPairs(model, op.key);
      if (current === null) return { reply: 0 };
      const n = current.length;
      if (start < 0) start += n;
      if (stop < 0) stop += n;
      if (start < 0) start = 0;
      if (start > stop || start >= n) return { reply: 0 };
      if (stop >= n) stop = n - 1;
      setPairs(model, op.key, [...current.slice(0, start), ...current.slice(stop + 1)]);
      return { reply: stop - start + 1 };
    }
    case 'store':
      return modelStore(model, op);
    case 'zrandmember':
      return modelRandom(model, op);
    case 'zscan': {
      const current = modelPairs(model, op.key) ?? [];
      const matches = op.match === null ? () => true : modelGlob(op.match);
      const expected = current.filter(([, member]) => matches(member)).sort((a, b) => memberOrder(a[1], b[1]));
      return { reply: flat(expected.map(([score, member]): Pair => [score, member]), true) };
    }
    case 'del': {
      const existed = model.delete(op.key);
      return { reply: existed ? 1 : 0 };
    }
    case 'set':
      model.set(op.key, { type: 'string' });
      return { reply: 'OK' };
  }
}

function modelRange(model: Model, op: Extract<Op, { kind: 'range' }>): Expected {
  const command = op.command;
  let by = command === 'ZRANGE' ? op.by : command.includes('SCORE') ? 'BYSCORE' : command.includes('LEX') ? 'BYLEX' : 'RANK';
  if (by === null) by = 'RANK';
  const reverse = op.rev || command.startsWith('ZREV');
  let offset = 0;
  let limit = -1;
  if (op.limit !== null) {
    offset = modelInteger(op.limit[0]);
    limit = modelInteger(op.limit[1]);
  }
  if (limit !== -1 && by === 'RANK') throw new ModelError('ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX');
  if (op.withScores && by === 'BYLEX') throw new ModelError('ERR syntax error, WITHSCORES not supported in combination with BYLEX');
  const [low, high] = reverse && by !== 'RANK' ? [op.stop, op.start] : [op.start, op.stop];
  let select: (pairs: Pair[]) => Pair[];
  if (by === 'RANK') {
    let start = modelInteger(low);
    let stop = modelInteger(high);
    select = (pairs) => {
      const n = pairs.length;
      if (start < 0) start += n;
      if (stop < 0) stop += n;
      if (start < 0) start = 0;
      if (start > stop || start >= n) return [];
      if (stop >= n) stop = n - 1;
      const ordered = reverse ? [...pairs].reverse() : pairs;
      return ordered.slice(start, stop + 1);
    };
  } else {
    let inRange: (pair: Pair) => boolean;
    if (by === 'BYSCORE') {
      const min = modelBound(low);
      const max = modelBound(high);
      if (min === null || max === null) throw new ModelError(RANGE_NOT_FLOAT);
      inRange = ([score]) => (min.exclusive ? score > min.value : score >= min.value) && (max.exclusive ? score < max.value : score <= max.value);
    } else {
      const min = modelLex(low);
      const max = modelLex(high);
      if (min === null || max === null) throw new ModelError(RANGE_NOT_LEX);
      inRange = ([, member]) => lexAboveMin(member, min) && lexBelowMax(member, max);
    }
    select = (pairs) => {
      const matching = pairs.filter(inRange);
      if (reverse) matching.reverse();
      if (offset < 0) return [];
      return matching.slice(offset, limit < 0 ? undefined : offset + limit);
    };
  }
  const current = modelPairs(model, op.key);
  if (current === null) return { reply: [] };
  if (by === 'BYLEX' && !sameScores(current)) return { skip: true };
  return { reply: flat(select(current), op.withScores) };
}

function modelStore(model: Model, op: Extract<Op, { kind: 'store' }>): Expected {
  const sources = op.keys.map((key) => modelPairs(model, key) ?? []);
  const weights = op.keys.map(() => 1);
  let aggregate = 'SUM';
  if (op.command === 'ZDIFFSTORE' && (op.weights !== null || op.aggregate !== null)) throw new ModelError(SYNTAX);
  if (op.weights !== null) {
    op.weights.forEach((text, i) => {
      const weight = modelFloat(text);
      if (weight === null) throw new ModelError('ERR weight value is not a float');
      weights[i] = weight;
    });
  }
  if (op.aggregate !== null) {
    aggregate = op.aggregate.toUpperCase();
    if (!['SUM', 'MIN', 'MAX'].includes(aggregate)) throw new ModelError(SYNTAX);
  }
  let result: Pair[] = [];
  if (op.command === 'ZDIFFSTORE') {
    const others = new Set(sources.slice(1).flatMap((pairs) => pairs.map(([, member]) => member)));
    result = sources[0].filter(([, member]) => !others.has(member)).map(([s, m]): Pair => [s, m]);
  } else {
    // Smallest source first; equal sizes keep argument order (a stable sort, as glibc's qsort is).
    const order = sources.map((_, i) => i).sort((a, b) => sources[a].length - sources[b].length);
    const weighted = (i: number, score: number): number => {
      const value = weights[i] * score;
      return Number.isNaN(value) ? 0 : value;
    };
    if (op.command === 'ZUNIONSTORE') {
      const totals = new Map<string, number>();
      for (const i of order) {
        for (const [score, member] of sources[i]) {
          const value = weighted(i, score);
          const total = totals.get(member);
          totals.set(member, total === undefined ? value : modelAggregate(total, value, aggregate));
        }
      }
      result = [...totals].map(([member, score]): Pair => [score, member]);
    } else {
      const [first, ...rest] = order;
      for (const [score, member] of sources[first]) {
        let total = weighted(first, score);
        let everywhere = true;
        for (const j of rest) {
          const found = sources[j].find(([, m]) => m === member);
          if (found === undefined) {
            everywhere = false;
            break;
          }
          // Later sources' products are not checked for NaN (Redis's zinterstore).
          total = modelAggregate(total, found[0] * weights[j], aggregate);
        }
        if (everywhere) result.push([total, member]);
      }
    }
  }
  result = result.map(([score, member]): Pair => [stored(score), member]);
  if (result.length === 0) model.delete(op.dest);
  else setPairs(model, op.dest, result);
  return { reply: result.length };
}

function modelRandom(model: Model, op: Extract<Op, { kind: 'zrandmember' }>): Expected {
  const current = modelPairs(model, op.key);
  const scores = new Map((current ?? []).map(([score, member]) => [member, formatDouble(score)]));
  if (op.count === null) {
    return { check: (reply) => (current === null ? (reply === null ? null : 'expected nil') : scores.has(reply as string) ? null : `not a member: ${String(reply)}`) };
  }
  const count = op.count;
  const withScores = op.withScores;
  return {
    check: (reply) => {
      if (!Array.isArray(reply)) return 'expected an array';
      const step = withScores ? 2 : 1;
      const members: string[] = [];
      for (let i = 0; i < reply.length; i += step) {
        const member = reply[i] as string;
        if (!scores.has(member)) return `not a member: ${member}`;
        if (withScores && reply[i + 1] !== scores.get(member)) return `wrong score for ${member}: ${String(reply[i + 1])}`;
        members.push(member);
      }
      const size = scores.size;
      const expectedLength = count >= 0 ? Math.min(count, size) : size === 0 ? 0 : -count;
      if (members.length !== expectedLength) return `expected ${expectedLength} members, got ${members.length}`;
      if (count > 0 && new Set(members).size !== members.length) return 'repeated members for a positive count';
      return null;
    },
  };
}

// `call` form of an op.
function callArgs(op: Op): Arg[] {
  switch (op.kind) {
    case 'zadd':
      return ['ZADD', op.key, ...op.flags, ...op.pairs.flat()];
    case 'zincrby':
      return ['ZINCRBY', op.key, op.increment, op.member];
    case 'zrem':
      return ['ZREM', op.key, ...op.members];
    case 'zscore':
      return ['ZSCORE', op.key, op.member];
    case 'zmscore':
      return ['ZMSCORE', op.key, ...op.members];
    case 'zcard':
      return ['ZCARD', op.key];
    case 'zcount':
      return ['ZCOUNT', op.key, op.min, op.max];
    case 'zlexcount':
      return ['ZLEXCOUNT', op.key, op.min, op.max];
    case 'range': {
      const args: Arg[] = [op.command, op.key, op.start, op.stop];
      if (op.by !== null) args.push(op.by);
      if (op.rev) args.push('REV');
      if (op.withScores) args.push('WITHSCORES');
      if (op.limit !== null) args.push('LIMIT', ...op.limit);
      return args;
    }
    case 'zrank':
      return [op.reverse ? 'ZREVRANK' : 'ZRANK', op.key, op.member];
    case 'zpop':
      return [op.max ? 'ZPOPMAX' : 'ZPOPMIN', op.key, ...(op.count === null ? [] : [op.count])];
    case 'zremrangebyrank':
      return ['ZREMRANGEBYRANK', op.key, op.start, op.stop];
    case 'zremrangebyscore':
      return ['ZREMRANGEBYSCORE', op.key, op.min, op.max];
    case 'zremrangebylex':
      return ['ZREMRANGEBYLEX', op.key, op.min, op.max];
    case 'store': {
      const args: Arg[] = [op.command, op.dest, op.keys.length, ...op.keys];
      if (op.weights !== null) args.push('WEIGHTS', ...op.weights);
      if (op.aggregate !== null) args.push('AGGREGATE', op.aggregate);
      return args;
    }
    case 'zrandmember':
      return ['ZRANDMEMBER', op.key, ...(op.count === null ? [] : [op.count]), ...(op.count !== null && op.withScores ? ['WITHSCORES'] : [])];
    case 'zscan':
      return ['ZSCAN', op.key, '0', 'COUNT', op.count, ...(op.match === null ? [] : ['MATCH', op.match])];
    case 'del':
      return ['DEL', op.key];
    case 'set':
      return ['SET', op.key, 'v'];
  }
}

/** Runs a whole ZSCAN with `step` and returns the members seen, sorted, flat with scores. */
function fullScan(step: (cursor: string) => { cursor: string; entries: Array<[string, string]> }): Reply {
  const seen = new Map<string, string>();
  let cursor = '0';
  let calls = 0;
  do {
    const page = step(cursor);
    for (const [member, score] of page.entries) seen.set(member, score);
    cursor = page.cursor;
    if (++calls > 1000) throw new Error('ZSCAN did not terminate');
  } while (cursor !== '0');
  return [...seen].sort((a, b) => memberOrder(a[0], b[0])).flat();
}

function runCall(store: Store, op: Op): Reply {
  if (op.kind === 'zscan') {
    return fullScan((cursor) => {
      const args = callArgs(op);
      args[2] = cursor;
      const [next, flatEntries] = store.call('ZSCAN', ...args.slice(1)) as [string, string[]];
      const entries: Array<[string, string]> = [];
      for (let i = 0; i < flatEntries.length; i += 2) entries.push([flatEntries[i], flatEntries[i + 1]]);
      return { cursor: next, entries };
    });
  }
  const [name, ...args] = callArgs(op);
  return store.call(String(name), ...args);
}

const numberOrText = (text: string): number | string => (/^-?\d+(\.\d+)?$/.test(text) && text !== '-0' ? Number(text) : text);
const typedFloat = (text: string): number => modelFloat(text) ?? Number.NaN;
const typedInteger = (text: string): number => (text === 'x' ? Number.NaN : Number(text));
const scoreReply = (score: number | null): Reply => (score === null ? null : formatDouble(score));
const pairsReply = (pairs: Array<[string, number]>): Reply => pairs.flatMap(([member, score]) => [member, formatDouble(score)]);

/** Runs an op through the typed methods; its result in `call`'s reply shape. */
function runTyped(store: Store, op: Op): Reply {
  switch (op.kind) {
    case 'zadd': {
      const options = Object.fromEntries(op.flags.map((flag) => [flag.toLowerCase(), true]));
      const result = store.zadd(op.key, op.pairs.map(([score, member]): [number, string] => [typedFloat(score), member]), options);
      return options.incr ? scoreReply(result) : result;
    }
    case 'zincrby':
      return formatDouble(store.zincrby(op.key, typedFloat(op.increment), op.member));
    case 'zrem':
      return store.zrem(op.key, ...op.members);
    case 'zscore':
      return scoreReply(store.zscore(op.key, op.member));
    case 'zmscore':
      return store.zmscore(op.key, ...op.members).map(scoreReply);
    case 'zcard':
      return store.zcard(op.key);
    case 'zcount':
      return store.zcount(op.key, numberOrText(op.min), numberOrText(op.max));
    case 'zlexcount':
      return store.zlexcount(op.key, op.min, op.max);
    case 'range': {
      const limit = op.limit === null ? undefined : { offset: typedInteger(op.limit[0]), count: typedInteger(op.limit[1]) };
      const withScores = op.withScores;
      const shape = (result: string[] | Array<[string, number]>): Reply =>
        withScores ? pairsReply(result as Array<[string, number]>) : (result as string[]);
      const rank = (text: string): number | string => (text === 'x' ? text : Number(text));
      switch (op.command) {
        case 'ZRANGE': {
          const by = op.by === 'BYSCORE' ? 'score' : op.by === 'BYLEX' ? 'lex' : undefined;
          const start = by === undefined ? rank(op.start) : by === 'score' ? numberOrText(op.start) : op.start;
          const stop = by === undefined ? rank(op.stop) : by === 'score' ? numberOrText(op.stop) : op.stop;
          return shape(store.zrange(op.key, start, stop, { by, rev: op.rev, limit, withScores }));
        }
        case 'ZREVRANGE':
          if (limit !== undefined) return shape(store.zrange(op.key, rank(op.start), rank(op.stop), { rev: true, limit, withScores }));
          return shape(store.zrevrange(op.key, typedInteger(op.start), typedInteger(op.stop), { withScores }));
        case 'ZRANGEBYSCORE':
          return shape(store.zrangebyscore(op.key, numberOrText(op.start), numberOrText(op.stop), { limit, withScores }));
        case 'ZREVRANGEBYSCORE':
          return shape(store.zrevrangebyscore(op.key, numberOrText(op.start), numberOrText(op.stop), { limit, withScores }));
        case 'ZRANGEBYLEX':
          if (withScores) return shape(store.zrange(op.key, op.start, op.stop, { by: 'lex', limit, withScores }));
          return store.zrangebylex(op.key, op.start, op.stop, { limit });
        case 'ZREVRANGEBYLEX':
          if (withScores) return shape(store.zrange(op.key, op.start, op.stop, { by: 'lex', rev: true, limit, withScores }));
          return store.zrevrangebylex(op.key, op.start, op.stop, { limit });
      }
      throw new Error('unreachable');
    }
    case 'zrank':
      return op.reverse ? store.zrevrank(op.key, op.member) : store.zrank(op.key, op.member);
    case 'zpop': {
      const count = op.count === null ? undefined : typedInteger(op.count);
      return pairsReply(op.max ? store.zpopmax(op.key, count) : store.zpopmin(op.key, count));
    }
    case 'zremrangebyrank':
      return store.zremrangebyrank(op.key, typedInteger(op.start), typedInteger(op.stop));
    case 'zremrangebyscore':
      return store.zremrangebyscore(op.key, numberOrText(op.min), numberOrText(op.max));
    case 'zremrangebylex':
      return store.zremrangebylex(op.key, op.min, op.max);
    case 'store': {
      if (op.command === 'ZDIFFSTORE') {
        if (op.weights !== null || op.aggregate !== null) return runCall(store, op); // not expressible
        return store.zdiffstore(op.dest, op.keys);
      }
      const options = {
        weights: op.weights === null ? undefined : op.weights.map(typedFloat),
        aggregate: op.aggregate === null ? undefined : (op.aggregate.toLowerCase() as 'sum'),
      };
      return op.command === 'ZUNIONSTORE' ? store.zunionstore(op.dest, op.keys, options) : store.zinterstore(op.dest, op.keys, options);
    }
    case 'zrandmember':
      if (op.count === null) return store.zrandmember(op.key);
      if (op.withScores) return pairsReply(store.zrandmember(op.key, op.count, true));
      return store.zrandmember(op.key, op.count);
    case 'zscan':
      return fullScan((cursor) => {
        const page = store.zscan(op.key, cursor, { count: op.count, match: op.match ?? undefined });
        return { cursor: page.cursor, entries: page.entries.map(([member, score]): [string, string] => [member, formatDouble(score)]) };
      });
    case 'del':
      return store.del(op.key);
    case 'set':
      return store.set(op.key, 'v');
  }
}

function modelDump(model: Model): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of [...model.keys()].sort()) {
    const value = model.get(key) as ModelValue;
    out[key] = value.type === 'string'
      ? { type: 'string', value: `s:${utf8('v').toString('hex')}`, expiresAt: 0 }
      : { type: 'zset', value: value.pairs.map(([score, member]) => [score, member]), expiresAt: 0 };
  }
  return out;
}

/** JSON that keeps ±Infinity and -0 apart. */
function exact(value: unknown): string {
  return JSON.stringify(value, (_, item) => (typeof item === 'number' ? `n:${Object.is(item, -0) ? '-0' : String(item)}` : item));
}

function describeOp(op: Op): string {
  return JSON.stringify(callArgs(op));
}

// ---------------------------------------------------------------------------------------------
// 1 and 2: model-based, both faces, and the write path

test('random op sequences: both faces agree with the model; failed ops change nothing and log nothing; records replay', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 60 }), async (ops) => {
      const model: Model = new Map();
      const viaCall = await memoryStore();
      const viaTyped = await memoryStore();
      const records: LogRecord[] = [];
      viaCall.ks.sink = recordingSink((unit) => records.push(...unit));
      for (const op of ops) {
        const before = dumpStore(viaCall);
        const expected = modelApply(model, op);
        if ('skip' in expected) continue;
        const logged = records.length;
        const fromCall = attempt(() => runCall(viaCall, op));
        const fromTyped = attempt(() => runTyped(viaTyped, op));
        const where = describeOp(op);
        if ('check' in expected) {
          for (const reply of [fromCall, fromTyped]) {
            const problem = reply !== null && typeof reply === 'object' && 'error' in reply ? reply.error : expected.check(reply as Reply);
            assert.is(problem, null, `${where}: ${problem}`);
          }
        } else {
          const want = 'error' in expected ? expected : expected.reply;
          assert.equal(fromCall, want, `${where} via call`);
          assert.equal(fromTyped, want, `${where} via typed face`);
        }
        const after = dumpStore(viaCall);
        assert.equal(after, modelDump(model), `${where}: keyspace differs from the model`);
        assert.equal(dumpStore(viaTyped), after, `${where}: the typed face's keyspace differs`);
        for (const store of [viaCall, viaTyped]) {
          const problem = zsetProblem(store);
          assert.is(problem, null, `${where}: ${problem}`);
        }
        const unchanged = exact(before) === exact(after);
        if ('error' in expected) assert.is(records.length, logged, `${where}: a failed command logged a record`);
        else if (!unchanged) assert.ok(records.length > logged, `${where}: changed the keyspace without a record`);
        // *STORE and SET rewrite their key even with equal contents (Redis propagates them too).
        else if (op.kind !== 'store' && op.kind !== 'set') assert.is(records.length, logged, `${where}: logged a record without a change`);
      }
      const replica = await memoryStore();
      replica.ks.loading = true;
      for (const record of records) replica.call(String(record[0]), ...record.slice(1));
      replica.ks.loading = false;
      assert.equal(dumpStore(replica), dumpStore(viaCall), 'replayed records give a different keyspace');
      for (const store of [viaCall, viaTyped, replica]) await store.close();
    }),
    { seed: SEED, numRuns: 400, includeErrorInReport: true },
  );
});

// ---------------------------------------------------------------------------------------------
// ZRANK on big sets: the remembered leaf (ZSet.rankOf) against a sorted-array model

interface BigModel {
  pairs: Pair[];
}

const byIndexOrder = (a: Pair, b: Pair): number => a[0] - b[0] || memberOrder(a[1], b[1]);

/** Ranks and memory agree with the model after every command. */
function checkBig(model: BigModel, store: Store, where: string): void {
  assert.is(store.zcard('z'), model.pairs.length, `${where}: size`);
  const problem = zsetProblem(store);
  assert.is(problem, null, `${where}: ${problem}`);
}

class BigAdd implements fc.Command<BigModel, Store> {
  constructor(readonly member: string, readonly score: number) {}
  check = (): boolean => true;
  run(model: BigModel, store: Store): void {
    model.pairs = model.pairs.filter(([, m]) => m !== this.member);
    model.pairs.push([this.score, this.member]);
    model.pairs.sort(byIndexOrder);
    store.zadd('z', [[this.score, this.member]]);
    checkBig(model, store, this.toString());
  }
  toString = (): string => `zadd(${this.score}, ${this.member})`;
}

class BigRem implements fc.Command<BigModel, Store> {
  constructor(readonly member: string) {}
  check = (model: Readonly<BigModel>): boolean => model.pairs.length > 100;
  run(model: BigModel, store: Store): void {
    const present = model.pairs.some(([, m]) => m === this.member);
    model.pairs = model.pairs.filter(([, m]) => m !== this.member);
    assert.is(store.zrem('z', this.member), present ? 1 : 0);
    checkBig(model, store, this.toString());
  }
  toString = (): string => `zrem(${this.member})`;
}

class BigRemRange implements fc.Command<BigModel, Store> {
  constructor(readonly start: number, readonly count: number) {}
  check = (model: Readonly<BigModel>): boolean => model.pairs.length > 100 + this.count;
  run(model: BigModel, store: Store): void {
    const removed = model.pairs.splice(this.start, this.count).length;
    assert.is(store.zremrangebyrank('z', this.start, this.start + this.count - 1), removed);
    checkBig(model, store, this.toString());
  }
  toString = (): string => `zremrangebyrank(${this.start}, +${this.count})`;
}

class BigRanks implements fc.Command<BigModel, Store> {
  constructor(readonly members: string[]) {}
  check = (): boolean => true;
  run(model: BigModel, store: Store): void {
    for (const member of this.members) {
      const at = model.pairs.findIndex(([, m]) => m === member);
      const where = `${this.toString()}: ${member}`;
      assert.is(store.zrank('z', member), at === -1 ? null : at, `${where} zrank`);
      assert.is(store.zrevrank('z', member), at === -1 ? null : model.pairs.length - 1 - at, `${where} zrevrank`);
    }
    checkBig(model, store, this.toString());
  }
  toString = (): string => (this.members.length > 20 ? `ranks(all ${this.members.length})` : `ranks(${this.members.join(' ')})`);
}

test('ZRANK on big sets: a remembered position never gives a wrong rank, through writes, moves and reused slots', async () => {
  // 300 members in leaves of 64: several leaves, so ranks go through the hints. Members come from
  // a pool a little larger than the set, so deletes free dict slots that later adds reuse (a stale
  // hint then points at some other member's leaf), and ties on score are common.
  const pool = Array.from({ length: 400 }, (_, i) => `m${i}`);
  const member = fc.constantFrom(...pool);
  const commands = [
    fc.tuple(member, fc.integer({ min: -20, max: 20 })).map(([m, score]) => new BigAdd(m, score)),
    member.map((m) => new BigRem(m)),
    fc.tuple(fc.nat({ max: 150 }), fc.integer({ min: 1, max: 40 })).map(([start, count]) => new BigRemRange(start, count)),
    fc.array(member, { minLength: 1, maxLength: 12 }).map((members) => new BigRanks(members)),
    // Every member ranked: each then has a remembered position, which later writes make stale.
    fc.constant(new BigRanks(pool)),
  ];
  // Both outcomes of a remembered position must occur: the pair found there, and a stale guess.
  let hintHits = 0;
  let hintMisses = 0;
  const rankAt = ZSetIndex.prototype.rankAt;
  ZSetIndex.prototype.rankAt = function (this: ZSetIndex, position: number, m: string): number {
    const rank = rankAt.call(this, position, m);
    if (rank >= 0) hintHits++;
    else hintMisses++;
    return rank;
  };
  try {
    await fc.assert(
      fc.asyncProperty(fc.commands(commands, { maxCommands: 60 }), async (program) => {
        const store = await memoryStore();
        const model: BigModel = { pairs: pool.slice(0, 300).map((m, i): Pair => [i % 25, m]).sort(byIndexOrder) };
        store.zadd('z', model.pairs.map(([score, m]): [number, string] => [score, m]));
        fc.modelRun(() => ({ model, real: store }), program);
        await store.close();
      }),
      { seed: SEED, numRuns: 150 },
    );
  } finally {
    ZSetIndex.prototype.rankAt = rankAt;
  }
  assert.ok(hintHits > 100, `ranks answered from a remembered position: ${hintHits}`);
  assert.ok(hintMisses > 10, `stale remembered positions: ${hintMisses}`);
});

// ---------------------------------------------------------------------------------------------
// Redis behaviours worth naming (each also reached by the random tests)

test('-0 is stored as 0 (listpack), but ZINCRBY and ZADD INCR reply with the computed -0', async () => {
  const store = await memoryStore();
  assert.is(store.call('ZADD', 'z', '-0', 'a'), 1);
  assert.is(store.call('ZSCORE', 'z', 'a'), '0');
  assert.is(store.call('ZINCRBY', 'z', '-0', 'b'), '-0');
  assert.is(store.call('ZSCORE', 'z', 'b'), '0');
  assert.ok(Object.is(store.zincrby('z', -0, 'c'), -0));
  assert.ok(Object.is(store.zscore('z', 'c'), 0));
});

test('ZINCRBY reads its increment position as a ZADD option first', async () => {
  const store = await memoryStore();
  assert.throws(() => store.call('ZINCRBY', 'z', 'nx', 'm'), /^ERR syntax error$/);
  assert.throws(() => store.call('ZINCRBY', 'z', 'x', 'm'), /^ERR value is not a valid float$/);
});

test('NaN: inf - inf in ZINCRBY is an error that changes nothing; weights and sums follow zunionInterAggregate', async () => {
  const store = await memoryStore();
  store.zadd('z', [[Infinity, 'a'], [1, 'b'], [-Infinity, 'c']]);
  assert.throws(() => store.zincrby('z', -Infinity, 'a'), /resulting score is not a number \(NaN\)/);
  assert.is(store.zscore('z', 'a'), Infinity);
  // inf * 0 counts as 0; inf + -inf sums to 0.
  assert.is(store.zunionstore('u', ['z', 'z'], { weights: [0, 1] }), 3);
  assert.equal(store.zrange('u', 0, -1, { withScores: true }), [['c', -Infinity], ['b', 1], ['a', Infinity]]);
  store.zadd('y', [[-Infinity, 'a']]);
  store.zunionstore('u', ['z', 'y']);
  assert.is(store.zscore('u', 'a'), 0);
  // Intersection leaves later products unchecked: a NaN resets a SUM to 0, MIN and MAX skip it.
  store.zadd('w', [[0, 'a']]);
  store.zinterstore('i', ['w', 'z'], { weights: [1, 0], aggregate: 'min' });
  assert.is(store.zscore('i', 'a'), 0);
  store.zadd('v', [[5, 'a']]);
  store.zinterstore('i', ['v', 'z'], { weights: [1, 0] });
  assert.is(store.zscore('i', 'a'), 0);
  store.zinterstore('i', ['v', 'z'], { weights: [1, 0], aggregate: 'max' });
  assert.is(store.zscore('i', 'a'), 5);
});

test('option quirks: LIMIT with count -1 is allowed by rank, REV twice is a syntax error, negative offsets select nothing', async () => {
  const store = await memoryStore();
  store.zadd('z', [[1, 'a'], [2, 'b'], [3, 'c']]);
  assert.equal(store.call('ZRANGE', 'z', 0, -1, 'LIMIT', 1, -1), ['a', 'b', 'c']);
  assert.throws(() => store.call('ZRANGE', 'z', 0, -1, 'LIMIT', 1, 1), /LIMIT is only supported/);
  assert.throws(() => store.call('ZRANGE', 'z', 0, -1, 'REV', 'REV'), /^ERR syntax error$/);
  assert.throws(() => store.call('ZRANGEBYLEX', 'z', '-', '+', 'WITHSCORES'), /WITHSCORES not supported in combination with BYLEX/);
  assert.equal(store.call('ZRANGEBYSCORE', 'z', '-inf', '+inf', 'LIMIT', -1, 5), []);
  assert.equal(store.call('ZRANGEBYSCORE', 'z', '-inf', '+inf', 'LIMIT', 1, -5), ['b', 'c']);
  assert.equal(store.call('ZRANGE', 'z', '(3', '1', 'BYSCORE', 'REV', 'WITHSCORES'), ['b', '2', 'a', '1']);
  assert.equal(store.call('ZRANGEBYLEX', 'z', '+\0x', '-'), []);
  assert.equal(store.call('ZRANGEBYLEX', 'z', '-\0x', '+'), ['a', 'b', 'c']);
});

test('ZSCAN and ZRANDMEMBER argument rules', async () => {
  const store = await memoryStore();
  store.zadd('z', [[1, 'a'], [2, 'b']]);
  store.set('s', 'v');
  assert.equal(store.call('ZSCAN', 'z', ''), ['0', ['a', '1', 'b', '2']]);
  assert.throws(() => store.call('ZSCAN', 'z', ' 1'), /^ERR invalid cursor$/);
  assert.equal(store.call('ZSCAN', 'missing', '0', 'COUNT', '0'), ['0', []]);
  assert.throws(() => store.call('ZSCAN', 'z', '0', 'COUNT', '0'), /^ERR syntax error$/);
  assert.throws(() => store.call('ZSCAN', 's', '0', 'COUNT', '0'), /^WRONGTYPE/);
  assert.throws(() => store.call('ZRANDMEMBER', 'z', '-9223372036854775808'), /must between -9223372036854775807 and 9223372036854775807/);
  assert.throws(() => store.call('ZRANDMEMBER', 'z', '4611686018427387904', 'WITHSCORES'), /^ERR value is out of range$/);
  assert.equal((store.call('ZRANDMEMBER', 'z', '4611686018427387903', 'WITHSCORES') as Reply[]).length, 4);
  assert.throws(() => store.call('ZRANDMEMBER', 'z', 1, 'x'), /^ERR syntax error$/);
  assert.throws(() => store.call('ZPOPMIN', 'z', '-1'), /^ERR value is out of range, must be positive$/);
});

test('*STORE replaces the destination whatever its type and TTL, and deletes it for an empty result', async () => {
  const store = await memoryStore();
  store.set('d', 'v', { px: 100_000 });
  store.zadd('a', [[1, 'x']]);
  assert.is(store.zunionstore('d', ['a']), 1);
  assert.is(store.type('d'), 'zset');
  assert.is(store.pttl('d'), -1);
  assert.is(store.zinterstore('d', ['a', 'missing']), 0);
  assert.is(store.exists('d'), 0);
  assert.throws(() => store.call('ZUNIONSTORE', 'd', 0, 'a'), /at least 1 input key is needed for 'zunionstore' command/);
  store.set('s', 'v');
  // The sources are read before the options: WRONGTYPE wins over a syntax error.
  assert.throws(() => store.call('ZUNIONSTORE', 'd', 2, 'a', 's', 'BAD'), /^WRONGTYPE/);
});

test('*STORE records replay exactly even where sets were built in another order', async () => {
  const scores = [Infinity, -Infinity, 0.1, 0.2, 0.30000000000000004, 1e308, 1e308, -0, 3];
  const members = scores.map((_, i) => `m${i % 5}`);
  const build = async (reverse: boolean): Promise<Store> => {
    const store = await memoryStore();
    for (let k = 0; k < 3; k++) {
      const pairs = members.map((member, i): [number, string] => [scores[(i + k) % scores.length], member]);
      const unique = [...new Map(pairs.map(([score, member]) => [member, score]))].map(([member, score]): [number, string] => [score, member]);
      for (const pair of reverse ? unique.reverse() : unique) store.zadd(`src${k}`, [pair]);
    }
    return store;
  };
  const source = await build(false);
  const replica = await build(true);
  const records: LogRecord[] = [];
  source.ks.sink = recordingSink((unit) => records.push(...unit));
  source.zunionstore('u', ['src0', 'src1', 'src2'], { weights: [1, 0, -1] });
  source.zinterstore('i', ['src2', 'src0', 'src1'], { weights: [2, 0.5, 1], aggregate: 'min' });
  source.zunionstore('u2', ['src1', 'src0', 'src2'], { aggregate: 'max' });
  source.zdiffstore('d', ['src0', 'src1']);
  replica.ks.loading = true;
  for (const record of records) replica.call(String(record[0]), ...record.slice(1));
  assert.equal(dumpStore(replica), dumpStore(source));
  assert.ok(records.every((record) => record.length < 20), 'records stay small');
});

// ---------------------------------------------------------------------------------------------
// 3: ZSCAN's guarantee

test('ZSCAN returns every member present for the whole scan, under inserts, deletes and rescoring', async () => {
  const change = fc.record({ kind: fc.constantFrom('add', 'remove', 'rescore'), member: fc.integer({ min: 0, max: 200 }), score: fc.integer({ min: -5, max: 5 }) });
  await fc.assert(
    fc.asyncProperty(
      fc.integer({ min: 1, max: 120 }),
      fc.integer({ min: 1, max: 7 }),
      fc.array(fc.array(change, { maxLength: 6 }), { maxLength: 60 }),
      async (initial, count, changes) => {
        const store = await memoryStore();
        const pairs: Array<[number, string]> = [];
        for (let i = 0; i < initial; i++) pairs.push([i % 7, `m${i}`]);
        store.zadd('z', pairs);
        // Members 0..9 are never removed: they are present throughout.
        const stable = new Set(Array.from({ length: Math.min(10, initial) }, (_, i) => `m${i}`));
        const seen = new Set<string>();
        let cursor = '0';
        let calls = 0;
        do {
          const page = store.zscan('z', cursor, { count });
          for (const [member, score] of page.entries) {
            seen.add(member);
            assert.is(store.zscore('z', member), score);
          }
          cursor = page.cursor;
          for (const { kind, member, score } of changes[calls] ?? []) {
            const name = `m${member}`;
            if (kind === 'add') store.zadd('z', [[score, `new${member}`]]);
            else if (kind === 'rescore') store.zadd('z', [[score, name]]);
            else if (!stable.has(name)) store.zrem('z', name);
          }
          calls++;
          assert.ok(calls <= 1000, 'terminates');
        } while (cursor !== '0');
        for (const member of stable) assert.ok(seen.has(member), `${member} was never returned`);
        await store.close();
      },
    ),
    { seed: SEED, numRuns: 200, includeErrorInReport: true },
  );
});

// ---------------------------------------------------------------------------------------------
// 4: differential against redis-server

/** Picks from a seeded sequence, so a failing run can be replayed from its seed. */
function randomSource(seed: number): { int: (n: number) => number; pick: <T>(items: readonly T[]) => T; chance: (p: number) => boolean } {
  const next = seededRandom(seed);
  const int = (n: number): number => Math.floor(next() * n);
  return { int, pick: (items) => items[int(items.length)], chance: (p) => next() < p };
}

const ORACLE_KEYS = ['z1', 'z2', 'z3', 's'];
const ORACLE_MEMBERS = ['a', 'b', 'c', 'A', 'é', '😀', '\uFFFD', '', 'nx'];
const ORACLE_SCORES = [
  '0', '0', '1', '2', '-1', '1.5', '-0', '+inf', '-inf', 'inf', '0.1', '0.2', '1e17', '1e-5', '123456789012345678',
  '0x10', '+1', '.5', '-1.5e3', '3.0000000000000004', '1e400', 'nan', 'x', ' 1', '1 ', '1e-400', '',
];
const ORACLE_BOUNDS = [
  '-inf', '+inf', 'inf', '(1', '1', '(0', '0', '-0', '(-0', '2', '(2', '1.5', '(1.5', '-1', '(-inf', '(+inf', 'x', '(x', '', '(',
  '1e400', '(nan', ' 1', '0x1', '1e17',
];
const ORACLE_LEX = ['-', '+', '[a', '(a', '[b', '(c', '[é', '(😀', '[', '(', 'a', '', '[\uFFFD', '(A', '+a', '-a', '[nx'];
const ORACLE_INTEGERS = ['-3', '-2', '-1', '0', '1', '2', '3', '10', 'x', '1.5', '-0', '9223372036854775807', '-9223372036854775808', '99999999999999999999'];
const ORACLE_WEIGHTS = ['1', '0', '2', '-1', '0.5', 'inf', '-inf', 'x', '1e308'];

type Random = ReturnType<typeof randomSource>;

function oracleCommand(r: Random): string[] {
  const key = (): string => r.pick(ORACLE_KEYS);
  const member = (): string => r.pick(ORACLE_MEMBERS);
  const ints = (): string => r.pick(ORACLE_INTEGERS);
  const rangeOptions = (allowed: string[]): string[] => {
    const out: string[] = [];
    for (let i = r.int(3); i > 0; i--) {
      const option = r.pick(allowed);
      if (option === 'LIMIT') out.push('LIMIT', r.pick(['0', '1', '2', '-1', 'x']), r.pick(['-1', '0', '1', '2', '-2', '100']));
      else out.push(r.chance(0.2) ? option.toLowerCase() : option);
    }
    if (r.chance(0.05)) out.push(r.pick(['BAD', 'LIMIT']));
    return out;
  };
  switch (r.int(22)) {
    case 0:
    case 1:
    case 2: {
      const k = key();
      const out = ['ZADD', k];
      for (let i = r.int(3); i > 0; i--) out.push(r.pick(['NX', 'XX', 'GT', 'LT', 'CH', 'INCR', 'ch', 'gt']));
      for (let i = 1 + r.int(3); i > 0; i--) out.push(k === 'z3' && r.chance(0.7) ? '0' : r.pick(ORACLE_SCORES), member());
      if (r.chance(0.05)) out.pop();
      return out;
    }
    case 3:
      return ['ZINCRBY', key(), r.chance(0.1) ? r.pick(['nx', 'incr']) : r.pick(ORACLE_SCORES), member()];
    case 4:
      return ['ZREM', key(), member(), ...(r.chance(0.5) ? [member()] : [])];
    case 5:
      return r.pick([['ZSCORE', key(), member()], ['ZMSCORE', key(), member(), member()], ['ZCARD', key()]]);
    case 6:
      return ['ZCOUNT', key(), r.pick(ORACLE_BOUNDS), r.pick(ORACLE_BOUNDS)];
    case 7:
      return ['ZLEXCOUNT', key(), r.pick(ORACLE_LEX), r.pick(ORACLE_LEX)];
    case 8:
    case 9: {
      const by = r.pick(['', '', 'BYSCORE', 'BYLEX']);
      const pool = by === 'BYSCORE' ? ORACLE_BOUNDS : by === 'BYLEX' ? ORACLE_LEX : ORACLE_INTEGERS;
      const out = ['ZRANGE', key(), r.pick(pool), r.pick(pool)];
      if (by !== '') out.push(by);
      return [...out, ...rangeOptions(['REV', 'WITHSCORES', 'LIMIT', 'REV', 'BYSCORE'])];
    }
    case 10:
      return ['ZREVRANGE', key(), ints(), ints(), ...rangeOptions(['WITHSCORES', 'LIMIT'])];
    case 11:
      return [r.pick(['ZRANGEBYSCORE', 'ZREVRANGEBYSCORE']), key(), r.pick(ORACLE_BOUNDS), r.pick(ORACLE_BOUNDS), ...rangeOptions(['WITHSCORES', 'LIMIT', 'REV'])];
    case 12:
      return [r.pick(['ZRANGEBYLEX', 'ZREVRANGEBYLEX']), key(), r.pick(ORACLE_LEX), r.pick(ORACLE_LEX), ...rangeOptions(['LIMIT', 'LIMIT', 'WITHSCORES'])];
    case 13:
      return [r.pick(['ZRANK', 'ZREVRANK']), key(), member()];
    case 14: {
      const out = [r.pick(['ZPOPMIN', 'ZPOPMAX']), key()];
      if (r.chance(0.7)) out.push(r.pick(['0', '1', '2', '5', '-1', 'x', '1.5']));
      if (r.chance(0.05)) out.push('1');
      return out;
    }
    case 15:
      return ['ZREMRANGEBYRANK', key(), ints(), ints()];
    case 16:
      return ['ZREMRANGEBYSCORE', key(), r.pick(ORACLE_BOUNDS), r.pick(ORACLE_BOUNDS)];
    case 17:
      return ['ZREMRANGEBYLEX', key(), r.pick(ORACLE_LEX), r.pick(ORACLE_LEX)];
    case 18:
    case 19: {
      const name = r.pick(['ZUNIONSTORE', 'ZINTERSTORE', 'ZDIFFSTORE']);
      const count = 1 + r.int(3);
      const out = [name, key(), r.chance(0.05) ? r.pick(['0', '-1', 'x', '5']) : String(count)];
      for (let i = 0; i < count; i++) out.push(key());
      if (r.chance(0.4)) {
        out.push(r.chance(0.2) ? 'weights' : 'WEIGHTS');
        for (let i = r.chance(0.1) ? count - 1 : count; i > 0; i--) out.push(r.pick(ORACLE_WEIGHTS));
      }
      if (r.chance(0.3)) out.push('AGGREGATE', r.pick(['SUM', 'MIN', 'MAX', 'max', 'avg']));
      if (r.chance(0.05)) out.push('WITHSCORES');
      return out;
    }
    case 20: {
      const out = ['ZRANDMEMBER', key()];
      if (r.chance(0.8)) out.push(r.pick(['0', '1', '2', '3', '5', '10', '-1', '-3', '-8', 'x', '-9223372036854775808', '4611686018427387904']));
      if (out.length === 3 && r.chance(0.5)) out.push(r.pick(['WITHSCORES', 'withscores', 'BAD']));
      return out;
    }
    default: {
      if (r.chance(0.3)) return r.pick([['DEL', key()], ['SET', 's', 'v'], ['ZADD', key()], ['ZSCORE', key()], ['ZRANGE', key(), '0']]);
      const out = ['ZSCAN', key(), r.pick(['0', '0', '0', '', ' 0', 'x', '+0'])];
      if (r.chance(0.4)) out.push('COUNT', r.pick(['1', '2', '10', '0', 'x']));
      if (r.chance(0.4)) out.push('MATCH', r.pick(['*', 'a*', 'n?', '[ab]', '*é*'])); // no '?' on multibyte: glob.ts matches code points
      if (r.chance(0.05)) out.push(r.pick(['TYPE', 'BAD']));
      return out;
    }
  }
}

// Large sets: above 128 members Redis uses its skiplist encoding, and the index has many leaves.
// No zero scores or weights here: a skiplist keeps -0 (0 * -1, 0 * 0 weights) where emberkv, like the
// listpack, stores 0 (see zset.ts, "Negative zero").
const LARGE_KEYS = ['b1', 'b2', 'b3', 'L'];
const LARGE_SCORES = ['1', '2', '3', '-1', '-2', '1.5', '2.5', '100', '-100', 'inf', '-inf', '0.1', '1e17', '123456789'];
const LARGE_BOUNDS = ['-inf', '+inf', '(1', '1', '2', '(2', '1.5', '(-1', '-100', '(100', '50', '(0.1', '1e17'];
const LARGE_LEX = ['-', '+', '[m1', '(m1', '[m2', '(m25', '[m3', '(m399', '[m', '(n', '[m19'];
const LARGE_INTEGERS = ['0', '1', '5', '-1', '-5', '50', '-50', '100', '200', '-200', '1000'];

function largeMember(r: Random): string {
  return `m${r.int(400)}`;
}

function largeSetup(r: Random): string[][] {
  const commands: string[][] = [];
  for (const [key, size] of [['b1', 250], ['b2', 200], ['b3', 140], ['L', 300]] as const) {
    const add = ['ZADD', key];
    for (let i = 0; i < size; i++) add.push(key === 'L' ? '1' : r.pick(LARGE_SCORES), largeMember(r));
    commands.push(add);
  }
  return commands;
}

function largeCommand(r: Random): string[] {
  const key = (): string => r.pick(LARGE_KEYS);
  const limit = (): string[] => (r.chance(0.5) ? ['LIMIT', r.pick(['0', '3', '10', '100']), r.pick(['-1', '1', '10', '50'])] : []);
  const scores = (): string[] => (r.chance(0.5) ? ['WITHSCORES'] : []);
  switch (r.int(16)) {
    case 0: {
      const k = key();
      const out = ['ZADD', k, ...r.pick([[], ['NX'], ['XX'], ['GT', 'CH'], ['LT']])];
      for (let i = 1 + r.int(8); i > 0; i--) out.push(k === 'L' ? '1' : r.pick(LARGE_SCORES), largeMember(r));
      return out;
    }
    case 1:
      return ['ZINCRBY', key(), r.pick(['1', '-1', '0.5', '100']), largeMember(r)];
    case 2:
      return ['ZREM', key(), largeMember(r), largeMember(r), largeMember(r)];
    case 3:
      return ['ZRANGE', key(), r.pick(LARGE_INTEGERS), r.pick(LARGE_INTEGERS), ...(r.chance(0.5) ? ['REV'] : []), ...scores()];
    case 4:
      return ['ZRANGE', key(), r.pick(LARGE_BOUNDS), r.pick(LARGE_BOUNDS), 'BYSCORE', ...(r.chance(0.5) ? ['REV'] : []), ...limit(), ...scores()];
    case 5:
      return [r.pick(['ZRANGEBYSCORE', 'ZREVRANGEBYSCORE']), key(), r.pick(LARGE_BOUNDS), r.pick(LARGE_BOUNDS), ...limit(), ...scores()];
    case 6:
      return [r.pick(['ZRANGEBYLEX', 'ZREVRANGEBYLEX']), 'L', r.pick(LARGE_LEX), r.pick(LARGE_LEX), ...limit()];
    case 7:
      return r.pick([['ZLEXCOUNT', 'L', r.pick(LARGE_LEX), r.pick(LARGE_LEX)], ['ZCOUNT', key(), r.pick(LARGE_BOUNDS), r.pick(LARGE_BOUNDS)]]);
    case 8:
      return [r.pick(['ZRANK', 'ZREVRANK', 'ZSCORE']), key(), largeMember(r)];
    case 9:
      return [r.pick(['ZPOPMIN', 'ZPOPMAX']), key(), r.pick(['1', '3', '20'])];
    case 10:
      return ['ZREMRANGEBYRANK', key(), r.pick(LARGE_INTEGERS), r.pick(LARGE_INTEGERS)];
    case 11:
      return ['ZREMRANGEBYSCORE', key(), r.pick(LARGE_BOUNDS), r.pick(LARGE_BOUNDS)];
    case 12:
      return ['ZREMRANGEBYLEX', 'L', r.pick(LARGE_LEX), r.pick(LARGE_LEX)];
    case 13: {
      const name = r.pick(['ZUNIONSTORE', 'ZINTERSTORE', 'ZDIFFSTORE']);
      const sources = [key(), key(), ...(r.chance(0.5) ? [key()] : [])];
      const out = [name, r.pick(['b1', 'b2', 'b3', 'd']), String(sources.length), ...sources];
      // No negative weights: a 0 left by inf + -inf times -1 is -0, which a skiplist keeps.
      if (name !== 'ZDIFFSTORE' && r.chance(0.5)) out.push('WEIGHTS', ...sources.map(() => r.pick(['1', '2', '0.5', '3'])));
      if (name !== 'ZDIFFSTORE' && r.chance(0.5)) out.push('AGGREGATE', r.pick(['SUM', 'MIN', 'MAX']));
      return out;
    }
    case 14:
      return ['ZSCAN', key(), '0', ...(r.chance(0.5) ? ['COUNT', r.pick(['5', '50'])] : []), ...(r.chance(0.3) ? ['MATCH', r.pick(['m1*', '*5'])] : [])];
    default:
      return ['ZRANDMEMBER', key(), r.pick(['5', '-5', '100', '-300', '1000', '3']), ...(r.chance(0.5) ? ['WITHSCORES'] : [])];
  }
}

const LEX_COMMANDS = new Set(['ZLEXCOUNT', 'ZRANGEBYLEX', 'ZREVRANGEBYLEX', 'ZREMRANGEBYLEX']);

/** Whether a command's answer is undefined in Redis: a lex range over members with mixed scores. */
function undefinedInRedis(store: Store, command: string[]): boolean {
  const name = command[0];
  const lex = LEX_COMMANDS.has(name) || (name === 'ZRANGE' && command.some((arg) => arg.toUpperCase() === 'BYLEX'));
  if (!lex || store.type(command[1]) !== 'zset') return false;
  const scores = store.zrange(command[1], 0, -1, { withScores: true }).map(([, score]) => score);
  return scores.some((score) => score !== scores[0]);
}

const asNumber = (text: string): number => (text === 'inf' ? Infinity : text === '-inf' ? -Infinity : Number(text));

/** A whole ZSCAN from cursor 0 on one side, as member -> score (numbers: Redis's small-set form differs). */
async function oracleScan(run: (args: string[]) => Promise<OracleReply>, command: string[]): Promise<OracleReply> {
  const seen: Array<[string, number]> = [];
  let cursor = command[2];
  for (let calls = 0; calls < 1000; calls++) {
    const reply = await run([...command.slice(0, 2), cursor, ...command.slice(3)]);
    if (!Array.isArray(reply)) return reply;
    const entries = reply[1] as string[];
    for (let i = 0; i < entries.length; i += 2) seen.push([entries[i], asNumber(entries[i + 1])]);
    cursor = reply[0] as string;
    if (cursor === '0') break;
  }
  const unique = new Map(seen);
  return [...unique].sort((a, b) => memberOrder(a[0], b[0])).flat() as OracleReply;
}

/** ZRANDMEMBER replies compared by shape: counts, distinctness and membership, not by value. */
function randomShape(store: Store, command: string[], reply: OracleReply): unknown {
  if (typeof reply === 'string') return store.zscore(command[1], reply) === null ? `not a member: ${reply}` : 'a member';
  if (reply === null || !Array.isArray(reply)) return reply;
  const withScores = command.length === 4;
  const count = Number(command[2]);
  const members: string[] = [];
  for (let i = 0; i < reply.length; i += withScores ? 2 : 1) {
    const member = reply[i] as string;
    const score = store.zscore(command[1], member);
    if (score === null) return `not a member: ${member}`;
    if (withScores && reply[i + 1] !== formatDouble(score)) return `bad score for ${member}: ${String(reply[i + 1])}, not ${formatDouble(score)}`;
    members.push(member);
  }
  return { length: members.length, distinct: count > 0 ? new Set(members).size === members.length : true };
}

/** Runs `steps` generated commands on both sides after `setup`, comparing every reply and the end state. */
async function differential(
  oracle: NonNullable<Awaited<ReturnType<typeof startRedis>>>,
  seed: number,
  setup: string[][],
  keys: string[],
  steps: number,
  generate: () => string[],
): Promise<void> {
  const store = await memoryStore();
  await oracle.call('FLUSHALL');
  const ours = (args: string[]): Promise<OracleReply> => {
    try {
      return Promise.resolve(store.call(args[0], ...args.slice(1)) as OracleReply);
    } catch (error) {
      if (error instanceof ReplyError) return Promise.resolve({ error: error.message });
      throw error;
    }
  };
  const theirs = (args: string[]): Promise<OracleReply> => oracle.call(...args);
  for (const args of setup) assert.equal(await ours(args), await theirs(args), `seed ${seed}: setup ${args[0]} ${args[1]}`);
  for (let step = 0; step < steps; step++) {
    const command = generate();
    if (undefinedInRedis(store, command)) continue;
    const state = store.type(command[1]) === 'zset' ? store.zrange(command[1], 0, -1, { withScores: true }) : store.type(command[1]);
    const where = `seed ${seed} step ${step}: ${JSON.stringify(command)} on ${JSON.stringify(state).slice(0, 2000)}`;
    let mine: unknown;
    let expected: unknown;
    if (command[0] === 'ZSCAN') {
      mine = await oracleScan(ours, command);
      expected = await oracleScan(theirs, command);
    } else if (command[0] === 'ZRANDMEMBER') {
      // Both must look like a sample of the same set (checked against ours: the states agree).
      const theirReply = await theirs(command);
      mine = randomShape(store, command, await ours(command));
      expected = randomShape(store, command, theirReply);
    } else {
      expected = await theirs(command);
      mine = await ours(command);
    }
    assert.equal(mine, expected, where);
    const problem = zsetProblem(store);
    assert.is(problem, null, `${where}: ${problem}`);
  }
  for (const key of keys) {
    const type = await theirs(['TYPE', key]);
    assert.equal(await ours(['TYPE', key]), type, `seed ${seed}: TYPE ${key}`);
    if (type === 'zset') {
      assert.equal(await ours(['ZRANGE', key, '0', '-1', 'WITHSCORES']), await theirs(['ZRANGE', key, '0', '-1', 'WITHSCORES']), `seed ${seed}: ${key}`);
    }
  }
  await store.close();
}

// Started before the tests run, so the SKIP line is a line of its own (spec/run.ts collects it).
const oracle = await startRedis();
if (oracle === null) console.log('SKIP zset oracle tests: redis-server not installed');

test('differential: random command sequences agree with redis-server 7.0', async () => {
  if (oracle === null) return;
  try {
    const smallSetup = [['SET', 's', 'v'], ['ZADD', 'z1', '1', 'a', '2', 'b'], ['ZADD', 'z3', '0', 'a', '0', 'b', '0', 'c']];
    for (let sequence = 0; sequence < 200; sequence++) {
      const seed = SEED + sequence;
      const r = randomSource(seed);
      await differential(oracle, seed, smallSetup, ORACLE_KEYS, 150, () => oracleCommand(r));
    }
    for (let sequence = 0; sequence < 24; sequence++) {
      const seed = SEED + 1000 + sequence;
      const r = randomSource(seed);
      await differential(oracle, seed, largeSetup(r), [...LARGE_KEYS, 'd'], 300, () => largeCommand(r));
    }
  } finally {
    await oracle.stop();
  }
});

test.run();
