// Hash commands (lib/keyspace/hash.ts):
//   1. random command sequences against a plain reference model (a Map of Maps) through both
//      faces, errors included, with the whole keyspace and its size estimate checked after each;
//   2. the write path: records collected during random runs replay into an equal keyspace;
//   3. HSCAN's guarantee under inserts and deletes between steps;
//   4. differential runs against a real redis-server 7.0 (skipped when it is not installed).
// Runs are seeded by fast-check; a failure prints the seed and path. SEED=n replays one.

import fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { open, ReplyError, type Reply, type Store, type Value } from '../../lib/index.ts';
import { compileGlob } from '../../lib/keyspace/glob.ts';
import { HRANDFIELD_REPEATS_MAX } from '../../lib/keyspace/hash.ts';
import { type HashValue, type LogRecord, TYPE_HASH, TYPE_STRING } from '../../lib/keyspace/keyspace.ts';
import {
  ENTRY_BYTES,
  HASH_BYTES,
  HASH_FIELD_BYTES,
  textBytes,
  valueBytes,
} from '../../lib/keyspace/memory.ts';
import {
  addLongDouble,
  formatLongDoubleHuman,
  isFiniteLongDouble,
  parseLongDouble,
} from '../../lib/keyspace/numbers.ts';
import type { Arg } from '../../lib/types.ts';
import { type OracleReply, type RedisOracle, startRedis } from '../support/redis-oracle.ts';
import { recordingSink } from '../support/recording-sink.ts';

if (process.env.SEED !== undefined) fc.configureGlobal({ seed: Number(process.env.SEED) });

const openStore = (): Promise<Store> => open(undefined, { activeExpiry: false });

// -----------------------------------------------------------------------------------------------
// Values as comparable text

/** Kind and bytes: `s:hex` for strings, `b:hex` for bytes. */
function describe(value: Value): string {
  return typeof value === 'string' ? `s:${Buffer.from(value, 'utf8').toString('hex')}` : `b:${Buffer.from(value).toString('hex')}`;
}

/** Bytes only, for comparing with Redis (whose replies are strings when valid UTF-8). */
function bytesHex(value: Value): string {
  return typeof value === 'string' ? Buffer.from(value, 'utf8').toString('hex') : Buffer.from(value).toString('hex');
}

function byteLengthOf(value: Value): number {
  return typeof value === 'string' ? Buffer.byteLength(value, 'utf8') : value.byteLength;
}

/** The text Redis's number parsers see in a value (digits and signs are ASCII). */
function latin1(value: Value): string {
  return typeof value === 'string' ? value : Buffer.from(value).toString('latin1');
}

// -----------------------------------------------------------------------------------------------
// Operations

type Op =
  | { cmd: 'hset' | 'hmset'; key: string; pairs: Array<[string, Value]>; unpaired: boolean; shape: number }
  | { cmd: 'hsetnx'; key: string; field: string; value: Value }
  | { cmd: 'hget' | 'hexists' | 'hstrlen'; key: string; field: string }
  | { cmd: 'hmget' | 'hdel'; key: string; fields: string[] }
  | { cmd: 'hlen' | 'hgetall' | 'hkeys' | 'hvals'; key: string }
  | { cmd: 'hincrby' | 'hincrbyfloat'; key: string; field: string; increment: string }
  | { cmd: 'hscanall'; key: string; count: number | undefined; match: string | undefined }
  | { cmd: 'hscan'; key: string; cursor: string; count: string | undefined; match: string | undefined; junk: boolean }
  | { cmd: 'hrandfield'; key: string; rest: string[] }
  | { cmd: 'set'; key: string; value: Value }
  | { cmd: 'del'; key: string };

type Face = 'typed' | 'call';
interface Step {
  op: Op;
  face: Face;
}

const keyArb = fc.constantFrom('h1', 'h2', 'h3', 's');
const fieldArb = fc.constantFrom('f1', 'f2', 'f3', 'f4', 'a', 'é', '', '__proto__', 'constructor', 'f10');
const valueArb: fc.Arbitrary<Value> = fc.oneof(
  fc.integer({ min: -3, max: 12 }).map(String),
  fc.constantFrom(
    '9223372036854775807',
    '-9223372036854775808',
    '9223372036854775806',
    '1.5',
    '-0.25',
    '1e3',
    '0x10',
    'inf',
    '3.0',
    ' 1',
    '01',
    '',
    'abc',
    'é😀',
  ),
  fc.constantFrom(new Uint8Array([0xff, 0x00]), new Uint8Array([0x31, 0x32]), new Uint8Array([])),
  fc.uint8Array({ maxLength: 4 }),
);
const integerTextArb = fc.oneof(
  fc.integer({ min: -5, max: 5 }).map(String),
  fc.constantFrom('9223372036854775807', '-9223372036854775808', '100', 'x', '1.5', '', '01', '+1', '-0', '99999999999999999999'),
);
const floatTextArb = fc.constantFrom(
  '0.1', '-0.1', '1', '1e3', '1.5e-3', '0x1p-2', 'inf', '-inf', 'nan', 'abc', '', ' 1', '1e400', '1e-400', '5.0e+2',
  '9223372036854775807', '-3', '0', '1e-20', '17.5',
);
const patternArb = fc.constantFrom('*', 'f*', '*1', 'f?', '[a-f]*', 'é', '\\*', '', '*o*');
const cursorArb = fc.constantFrom('0', '1', '3', '100', '', '-1', '+2', 'x', ' 1', '18446744073709551616', '18446744073709551615', '007');
const countTextArb = fc.constantFrom('1', '2', '5', '100', '0', '-1', 'x');
const randomCountArb = fc.oneof(
  fc.integer({ min: -10, max: 10 }).map(String),
  fc.constantFrom(
    'x', '-9223372036854775808', '-9223372036854775807', '9223372036854775807', '4611686018427387904',
    '-4611686018427387904', '4611686018427387903', '-20000000', 'WITHVALUES',
  ),
);

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({
    cmd: fc.constantFrom('hset' as const, 'hset' as const, 'hmset' as const),
    key: keyArb,
    pairs: fc.array(fc.tuple(fieldArb, valueArb), { minLength: 0, maxLength: 4 }),
    unpaired: fc.integer({ min: 0, max: 5 }).map((n) => n === 0),
    shape: fc.integer({ min: 0, max: 2 }),
  }) },
  { weight: 2, arbitrary: fc.record({ cmd: fc.constant('hsetnx' as const), key: keyArb, field: fieldArb, value: valueArb }) },
  { weight: 3, arbitrary: fc.record({ cmd: fc.constantFrom('hget' as const, 'hexists' as const, 'hstrlen' as const), key: keyArb, field: fieldArb }) },
  { weight: 3, arbitrary: fc.record({ cmd: fc.constantFrom('hmget' as const, 'hdel' as const), key: keyArb, fields: fc.array(fieldArb, { maxLength: 4 }) }) },
  { weight: 2, arbitrary: fc.record({ cmd: fc.constantFrom('hlen' as const, 'hgetall' as const, 'hkeys' as const, 'hvals' as const), key: keyArb }) },
  { weight: 2, arbitrary: fc.record({ cmd: fc.constant('hincrby' as const), key: keyArb, field: fieldArb, increment: integerTextArb }) },
  { weight: 2, arbitrary: fc.record({ cmd: fc.constant('hincrbyfloat' as const), key: keyArb, field: fieldArb, increment: floatTextArb }) },
  { weight: 1, arbitrary: fc.record({
    cmd: fc.constant('hscanall' as const),
    key: keyArb,
    count: fc.option(fc.integer({ min: 1, max: 4 }), { nil: undefined }),
    match: fc.option(patternArb, { nil: undefined }),
  }) },
  { weight: 1, arbitrary: fc.record({
    cmd: fc.constant('hscan' as const),
    key: keyArb,
    cursor: cursorArb,
    count: fc.option(countTextArb, { nil: undefined }),
    match: fc.option(patternArb, { nil: undefined }),
    junk: fc.integer({ min: 0, max: 3 }).map((n) => n === 0),
  }) },
  { weight: 2, arbitrary: fc.record({
    cmd: fc.constant('hrandfield' as const),
    key: keyArb,
    rest: fc.oneof(
      fc.constant([] as string[]),
      fc.tuple(randomCountArb).map((t) => [...t]),
      fc.tuple(randomCountArb, fc.constantFrom('WITHVALUES', 'withvalues', 'junk')).map((t) => [...t]),
      fc.tuple(randomCountArb, fc.constant('WITHVALUES'), fc.constant('x')).map((t) => [...t]),
    ),
  }) },
  { weight: 1, arbitrary: fc.record({ cmd: fc.constant('set' as const), key: keyArb, value: valueArb }) },
  { weight: 1, arbitrary: fc.record({ cmd: fc.constant('del' as const), key: keyArb }) },
);

const stepArb: fc.Arbitrary<Step> = fc.record({ op: opArb, face: fc.constantFrom('typed' as const, 'call' as const) });

/** The `store.call` / redis arguments of a single-command op (not hscanall). */
function callArgs(op: Op): [string, ...Arg[]] {
  switch (op.cmd) {
    case 'hset':
    case 'hmset':
      return [op.cmd, op.key, ...op.pairs.flat(), ...(op.unpaired ? ['dangling'] : [])];
    case 'hsetnx':
      return [op.cmd, op.key, op.field, op.value];
    case 'hget':
    case 'hexists':
    case 'hstrlen':
      return [op.cmd, op.key, op.field];
    case 'hmget':
    case 'hdel':
      return [op.cmd, op.key, ...op.fields];
    case 'hlen':
    case 'hgetall':
    case 'hkeys':
    case 'hvals':
    case 'del':
      return [op.cmd, op.key];
    case 'hincrby':
    case 'hincrbyfloat':
      return [op.cmd, op.key, op.field, op.increment];
    case 'hscan':
      return [
        'hscan', op.key, op.cursor,
        ...(op.count === undefined ? [] : ['COUNT', op.count]),
        ...(op.match === undefined ? [] : ['MATCH', op.match]),
        ...(op.junk ? ['TYPE', 'string'] : []),
      ];
    case 'hrandfield':
      return ['hrandfield', op.key, ...op.rest];
    case 'set':
      return ['set', op.key, op.value];
    case 'hscanall':
      throw new Error('hscanall is a loop, not one command');
  }
}

const INT64 = /^(0|-?[1-9][0-9]*)$/;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

function int64Of(text: string): bigint | null {
  if (!INT64.test(text)) return null;
  const value = BigInt(text);
  return value < INT64_MIN || value > INT64_MAX ? null : value;
}

// -----------------------------------------------------------------------------------------------
// The typed face, with results turned into the call face's shapes

const CALL_ONLY = Symbol('call only');

/** Runs op through the typed methods; CALL_ONLY when the typed face cannot express it. */
function runTyped(store: Store, op: Op): Reply | typeof CALL_ONLY {
  switch (op.cmd) {
    case 'hset':
    case 'hmset': {
      if (op.unpaired) return CALL_ONLY;
      // Three shapes of the same fields: pairs, a Map, a null-prototype object (last value wins in all).
      let fields: Array<[string, Value]> | Map<string, Value> | Record<string, Value> = op.pairs;
      if (op.shape === 1) fields = new Map(op.pairs);
      if (op.shape === 2) {
        const object = Object.create(null) as Record<string, Value>;
        for (const [field, value] of op.pairs) object[field] = value;
        fields = object;
      }
      return op.cmd === 'hset' ? store.hset(op.key, fields) : store.hmset(op.key, fields);
    }
    case 'hsetnx':
      return store.hsetnx(op.key, op.field, op.value) ? 1 : 0;
    case 'hget':
      return store.hget(op.key, op.field);
    case 'hexists':
      return store.hexists(op.key, op.field) ? 1 : 0;
    case 'hstrlen':
      return store.hstrlen(op.key, op.field);
    case 'hmget':
      return store.hmget(op.key, ...op.fields);
    case 'hdel':
      return store.hdel(op.key, ...op.fields);
    case 'hlen':
      return store.hlen(op.key);
    case 'hgetall': {
      const object = store.hgetall(op.key);
      assert.is(Object.getPrototypeOf(object), null);
      return Object.entries(object).flat();
    }
    case 'hkeys':
      return store.hkeys(op.key);
    case 'hvals':
      return store.hvals(op.key);
    case 'hincrby': {
      const exact = int64Of(op.increment);
      if (exact === null) return CALL_ONLY;
      const number = Number(exact);
      return store.hincrby(op.key, op.field, Number.isSafeInteger(number) ? number : exact);
    }
    case 'hincrbyfloat':
      return store.hincrbyfloat(op.key, op.field, op.increment);
    case 'hscan': {
      if (op.junk) return CALL_ONLY;
      let count: number | undefined;
      if (op.count !== undefined) {
        count = Number(op.count);
        if (!Number.isInteger(count) || op.count === '') return CALL_ONLY;
      }
      const page = store.hscan(op.key, op.cursor, { count, match: op.match });
      return [page.cursor, page.entries.flat()];
    }
    case 'hrandfield': {
      const [count, option, extra] = op.rest;
      if (count === undefined) return store.hrandfield(op.key);
      const number = Number(count);
      if (extra !== undefined || !Number.isSafeInteger(number) || String(number) !== count) return CALL_ONLY;
      if (option === undefined) return store.hrandfield(op.key, number);
      if (option.toUpperCase() !== 'WITHVALUES') return CALL_ONLY;
      return store.hrandfield(op.key, number, true).flat();
    }
    case 'set':
      return store.set(op.key, op.value);
    case 'del':
      return store.del(op.key);
    case 'hscanall':
      throw new Error('hscanall runs through scanAll()');
  }
}

/** A whole HSCAN iteration through one face: the fields seen (value text per field), or an error. */
function scanAll(
  store: Store,
  face: Face,
  key: string,
  count: number | undefined,
  match: string | undefined,
): Map<string, Value> {
  const seen = new Map<string, Value>();
  let cursor = '0';
  let steps = 0;
  do {
    let entries: Array<[string, Value]>;
    if (face === 'typed') {
      const page = store.hscan(key, cursor, { count, match });
      cursor = page.cursor;
      entries = page.entries;
    } else {
      const args: Arg[] = [key, cursor];
      if (count !== undefined) args.push('COUNT', count);
      if (match !== undefined) args.push('MATCH', match);
      const reply = store.call('hscan', ...args) as [string, Value[]];
      cursor = reply[0];
      entries = [];
      for (let i = 0; i < reply[1].length; i += 2) entries.push([reply[1][i] as string, reply[1][i + 1]]);
    }
    for (const [field, value] of entries) {
      const previous = seen.get(field);
      if (previous !== undefined) assert.is(describe(previous), describe(value), 'a field came back with two values');
      seen.set(field, value);
    }
    steps++;
    assert.ok(steps <= 1000, 'HSCAN did not terminate');
  } while (cursor !== '0');
  return seen;
}

// -----------------------------------------------------------------------------------------------
// The reference model

/** What the model expects: an exact reply, an error text, or a check of a random reply. */
type Expectation =
  | { kind: 'reply'; reply: Reply; unordered?: 'items' | 'pairs' }
  | { kind: 'error'; error: string }
  | { kind: 'check'; check: (reply: Reply) => string | null }
  | { kind: 'scan'; fields: Map<string, Value> };

const WRONGTYPE = 'WRONGTYPE Operation against a key holding the wrong kind of value';
const NOT_INTEGER = 'ERR value is not an integer or out of range';
const arity = (name: string): string => `ERR wrong number of arguments for '${name}' command`;

class HashModel {
  hashes = new Map<string, Map<string, Value>>();
  strings = new Map<string, Value>();

  /** Applies op (mutating the model when it succeeds) and says what the store must answer. */
  apply(op: Op): Expectation {
    const error = (text: string): Expectation => ({ kind: 'error', error: text });
    const reply = (value: Reply, unordered?: 'items' | 'pairs'): Expectation => ({ kind: 'reply', reply: value, unordered });
    const isString = this.strings.has(op.key);
    const hash = this.hashes.get(op.key);
    switch (op.cmd) {
      case 'hset':
      case 'hmset': {
        if (op.unpaired || op.pairs.length === 0) return error(arity(op.cmd));
        if (isString) return error(WRONGTYPE);
        const target = hash ?? new Map<string, Value>();
        let created = 0;
        for (const [field, value] of op.pairs) {
          if (!target.has(field)) created++;
          target.set(field, value);
        }
        this.hashes.set(op.key, target);
        return reply(op.cmd === 'hset' ? created : 'OK');
      }
      case 'hsetnx': {
        if (isString) return error(WRONGTYPE);
        if (hash?.has(op.field)) return reply(0);
        const target = hash ?? new Map<string, Value>();
        target.set(op.field, op.value);
        this.hashes.set(op.key, target);
        return reply(1);
      }
      case 'hget':
        return isString ? error(WRONGTYPE) : reply(hash?.get(op.field) ?? null);
      case 'hexists':
        return isString ? error(WRONGTYPE) : reply(hash?.has(op.field) ? 1 : 0);
      case 'hstrlen': {
        if (isString) return error(WRONGTYPE);
        const value = hash?.get(op.field);
        return reply(value === undefined ? 0 : byteLengthOf(value));
      }
      case 'hmget':
        if (op.fields.length === 0) return error(arity('hmget'));
        return isString ? error(WRONGTYPE) : reply(op.fields.map((field) => hash?.get(field) ?? null));
      case 'hdel': {
        if (op.fields.length === 0) return error(arity('hdel'));
        if (isString) return error(WRONGTYPE);
        if (hash === undefined) return reply(0);
        let deleted = 0;
        for (const field of op.fields) {
          if (hash.delete(field)) deleted++;
          if (hash.size === 0) {
            this.hashes.delete(op.key);
            break;
          }
        }
        return reply(deleted);
      }
      case 'hlen':
        return isString ? error(WRONGTYPE) : reply(hash?.size ?? 0);
      case 'hgetall':
        return isString ? error(WRONGTYPE) : reply([...(hash ?? [])].flat(), 'pairs');
      case 'hkeys':
        return isString ? error(WRONGTYPE) : reply([...(hash?.keys() ?? [])], 'items');
      case 'hvals':
        return isString ? error(WRONGTYPE) : reply([...(hash?.values() ?? [])], 'items');
      case 'hincrby': {
        const increment = int64Of(op.increment);
        if (increment === null) return error(NOT_INTEGER);
        if (isString) return error(WRONGTYPE);
        const current = hash?.get(op.field);
        const value = current === undefined ? 0n : int64Of(latin1(current));
        if (value === null) return error('ERR hash value is not an integer');
        const sum = value + increment;
        if (sum < INT64_MIN || sum > INT64_MAX) return error('ERR increment or decrement would overflow');
        const target = hash ?? new Map<string, Value>();
        target.set(op.field, sum.toString());
        this.hashes.set(op.key, target);
        return reply(Number(sum));
      }
      case 'hincrbyfloat': {
        const increment = parseLongDouble(op.increment);
        if (increment === null) return error('ERR value is not a valid float');
        if (!isFiniteLongDouble(increment)) return error('ERR value is NaN or Infinity');
        if (isString) return error(WRONGTYPE);
        const current = hash?.get(op.field);
        const value = parseLongDouble(current === undefined ? '0' : latin1(current));
        if (value === null) return error('ERR hash value is not a float');
        const sum = addLongDouble(value, increment);
        if (!isFiniteLongDouble(sum)) return error('ERR increment would produce NaN or Infinity');
        const text = formatLongDoubleHuman(sum);
        const target = hash ?? new Map<string, Value>();
        target.set(op.field, text);
        this.hashes.set(op.key, target);
        return reply(text);
      }
      case 'hscanall': {
        if (isString) return error(WRONGTYPE);
        const matches = compileGlob(op.match ?? '*');
        return { kind: 'scan', fields: new Map([...(hash ?? [])].filter(([field]) => matches(field))) };
      }
      case 'hscan': {
        const cursorValid =
          op.cursor === '' ||
          (/^[+-]?[0-9]+$/.test(op.cursor) && BigInt(op.cursor.replace(/^[+-]/, '')) <= 2n ** 64n - 1n);
        if (!cursorValid) return error('ERR invalid cursor');
        if (isString) return error(WRONGTYPE);
        if (hash === undefined) return reply(['0', []]);
        // Options in argument order: COUNT, MATCH, then the junk TYPE (not an HSCAN option).
        if (op.count !== undefined) {
          if (int64Of(op.count) === null) return error(NOT_INTEGER);
          if (Number(op.count) < 1) return error('ERR syntax error');
        }
        if (op.junk) return error('ERR syntax error');
        const snapshot = new Map(hash);
        const matches = compileGlob(op.match ?? '*');
        return { kind: 'check', check: (actual) => checkScanPage(actual, snapshot, matches) };
      }
      case 'hrandfield': {
        const [countText, option, extra] = op.rest;
        if (countText === undefined) {
          if (isString) return error(WRONGTYPE);
          if (hash === undefined) return reply(null);
          const snapshot = new Map(hash);
          return {
            kind: 'check',
            check: (actual) => (typeof actual === 'string' && snapshot.has(actual) ? null : `not a field: ${String(actual)}`),
          };
        }
        const count = int64Of(countText);
        if (count === null) return error(NOT_INTEGER);
        if (count < -INT64_MAX) {
          return error('ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807');
        }
        if (extra !== undefined || (option !== undefined && option.toUpperCase() !== 'WITHVALUES')) {
          return error('ERR syntax error');
        }
        const withValues = option !== undefined;
        if (withValues && (count < -(INT64_MAX / 2n) || count > INT64_MAX / 2n)) return error('ERR value is out of range');
        if (isString) return error(WRONGTYPE);
        if (hash === undefined || count === 0n) return reply([]);
        if (count < -BigInt(HRANDFIELD_REPEATS_MAX)) {
          return error(`ERR value is out of range, a negative count may ask for at most ${HRANDFIELD_REPEATS_MAX} fields`);
        }
        const snapshot = new Map(hash);
        return { kind: 'check', check: (actual) => checkRandomReply(actual, snapshot, count, withValues) };
      }
      case 'set':
        this.hashes.delete(op.key);
        this.strings.set(op.key, op.value);
        return reply('OK');
      case 'del': {
        const existed = this.hashes.delete(op.key) || this.strings.delete(op.key);
        return reply(existed ? 1 : 0);
      }
    }
  }

  /** The model's keyspace in dump() form. */
  dump(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [key, value] of this.strings) out[key] = `string ${describe(value)}`;
    for (const [key, hash] of this.hashes) out[key] = `hash ${describeFields(hash)}`;
    return sortedObject(out);
  }
}

function describeFields(fields: Iterable<[string, Value]>): string {
  return [...fields]
    .map(([field, value]) => `${JSON.stringify(field)}=${describe(value)}`)
    .sort()
    .join(',');
}

function sortedObject(object: Record<string, string>): Record<string, string> {
  const sorted: Record<string, string> = {};
  for (const key of Object.keys(object).sort()) sorted[key] = object[key];
  return sorted;
}

/** A store's keyspace in plain comparable form; also checks every entry's size estimate. */
function dump(store: Store): Record<string, string> {
  const out: Record<string, string> = {};
  let total = 0;
  for (const entry of store.ks.allEntries()) {
    const key = entry.key;
    let bytes = ENTRY_BYTES + textBytes(key);
    if (entry.type === TYPE_STRING) {
      out[key] = `string ${describe(entry.value as Value)}`;
      bytes += valueBytes(entry.value as Value);
    } else {
      assert.is(entry.type, TYPE_HASH);
      const hash = entry.value as HashValue;
      assert.ok(hash.size > 0, `hash ${key} is empty but still stored`);
      out[key] = `hash ${describeFields(hash.entries())}`;
      bytes += HASH_BYTES;
      hash.forEach((value, field) => (bytes += HASH_FIELD_BYTES + textBytes(field) + valueBytes(value)));
      bytes += hash.indexBytes;
    }
    assert.is(entry.bytes, bytes, `size estimate of ${key}`);
    total += entry.bytes;
  }
  assert.is(store.ks.usedMemory, total, 'usedMemory is the sum of the entries');
  return sortedObject(out);
}

/** HSCAN page shape: [cursor, flat pairs], every pair a matching live field with its value. */
function checkScanPage(actual: Reply, hash: Map<string, Value>, matches: (field: string) => boolean): string | null {
  if (!Array.isArray(actual) || actual.length !== 2) return 'not [cursor, entries]';
  const [cursor, flat] = actual;
  if (typeof cursor !== 'string' || !/^[0-9]+$/.test(cursor)) return `bad cursor ${String(cursor)}`;
  if (!Array.isArray(flat) || flat.length % 2 !== 0) return 'entries not flat pairs';
  const seen = new Set<string>();
  for (let i = 0; i < flat.length; i += 2) {
    const field = flat[i] as string;
    const value = hash.get(field);
    if (value === undefined || seen.has(field) || !matches(field)) return `unexpected field ${field}`;
    if (describe(value) !== describe(flat[i + 1] as Value)) return `wrong value for ${field}`;
    seen.add(field);
  }
  return null;
}

/** HRANDFIELD with a count: length, distinctness (positive count) and membership. */
function checkRandomReply(actual: Reply, hash: Map<string, Value>, count: bigint, withValues: boolean): string | null {
  if (!Array.isArray(actual)) return 'not an array';
  const fields: string[] = [];
  for (let i = 0; i < actual.length; i += withValues ? 2 : 1) {
    const field = actual[i];
    if (typeof field !== 'string' || !hash.has(field)) return `not a field: ${String(field)}`;
    if (withValues && describe(hash.get(field) as Value) !== describe(actual[i + 1] as Value)) return `wrong value for ${field}`;
    fields.push(field);
  }
  const expectedLength = count < 0n ? Number(-count) : Math.min(Number(count), hash.size);
  if (fields.length !== expectedLength) return `${fields.length} fields, expected ${expectedLength}`;
  if (count > 0n && new Set(fields).size !== fields.length) return 'repeated field with a positive count';
  return null;
}

function canonical(reply: Reply, unordered?: 'items' | 'pairs'): string {
  const text = (item: Reply): string =>
    item === null ? 'null' : typeof item === 'number' ? `n:${item}` : Array.isArray(item) ? `[${item.map(text).join(' ')}]` : describe(item);
  if (unordered === undefined || !Array.isArray(reply)) return text(reply);
  if (unordered === 'items') return reply.map(text).sort().join(' ');
  const pairs: string[] = [];
  for (let i = 0; i < reply.length; i += 2) pairs.push(`${text(reply[i])}=${text(reply[i + 1])}`);
  return pairs.sort().join(' ');
}

/** Runs one step through its face; returns the reply or the ReplyError text. */
function runStep(store: Store, step: Step): { reply: Reply } | { error: string } | { fields: Map<string, Value> } {
  try {
    if (step.op.cmd === 'hscanall') return { fields: scanAll(store, step.face, step.op.key, step.op.count, step.op.match) };
    if (step.face === 'typed') {
      const reply = runTyped(store, step.op);
      if (reply !== CALL_ONLY) return { reply };
    }
    const [name, ...args] = callArgs(step.op);
    return { reply: store.call(name, ...args) };
  } catch (error) {
    if (error instanceof ReplyError) return { error: error.message };
    throw error;
  }
}

function checkStep(step: Step, expected: Expectation, actual: ReturnType<typeof runStep>): void {
  const where = `${step.face} ${JSON.stringify(step.op, (_k, v) => (v instanceof Uint8Array ? [...v] : v))}`;
  if (expected.kind === 'error') {
    assert.ok('error' in actual, `${where}: expected error ${expected.error}, got ${JSON.stringify('reply' in actual ? canonical(actual.reply) : '')}`);
    assert.is((actual as { error: string }).error, expected.error, where);
    return;
  }
  if ('error' in actual) assert.unreachable(`${where}: unexpected error ${actual.error}`);
  if (expected.kind === 'scan') {
    assert.ok('fields' in actual, where);
    assert.is(describeFields((actual as { fields: Map<string, Value> }).fields), describeFields(expected.fields), where);
    return;
  }
  const reply = (actual as { reply: Reply }).reply;
  if (expected.kind === 'check') {
    const problem = expected.check(reply);
    assert.is(problem, null, `${where}: ${problem}`);
    return;
  }
  let expectedReply = expected.reply;
  // The typed HINCRBYFLOAT answers a number; the command answers its text.
  if (step.face === 'typed' && step.op.cmd === 'hincrbyfloat') expectedReply = Number(expectedReply);
  assert.is(canonical(reply, expected.unordered), canonical(expectedReply, expected.unordered), where);
}

// -----------------------------------------------------------------------------------------------
// 1. Model-based

test('hash commands match the reference model through both faces; failures change nothing', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(stepArb, { minLength: 1, maxLength: 60, size: 'max' }), async (steps) => {
      const store = await openStore();
      const model = new HashModel();
      try {
        for (const step of steps) {
          const expected = model.apply(step.op);
          const actual = runStep(store, step);
          checkStep(step, expected, actual);
          // After an error the model is unchanged, so this also checks that nothing changed.
          assert.equal(dump(store), model.dump(), `keyspace after ${step.face} ${step.op.cmd}`);
        }
      } finally {
        await store.close();
      }
    }),
    { numRuns: 300 },
  );
});

test('typed face: fields objects, null-prototype HGETALL, booleans, numbers, bytes copied both ways', async () => {
  const store = await openStore();
  const bytes = new Uint8Array([1, 2, 3]);
  assert.is(store.hset('h', { a: '1', b: bytes }), 2);
  bytes[0] = 99;
  const out = store.hget('h', 'b') as Uint8Array;
  assert.equal([...out], [1, 2, 3]);
  out[1] = 99;
  assert.equal([...(store.hget('h', 'b') as Uint8Array)], [1, 2, 3]);
  (store.hvals('h').find((v) => typeof v !== 'string') as Uint8Array)[2] = 99;
  (store.hgetall('h').b as Uint8Array)[2] = 99;
  (store.call('hgetall', 'h') as Value[]).forEach((v) => typeof v !== 'string' && (v[2] = 99));
  assert.equal([...(store.hget('h', 'b') as Uint8Array)], [1, 2, 3]);

  assert.is(store.hset('h', new Map([['__proto__', 'p'], ['constructor', 'c']])), 2);
  const all = store.hgetall('h');
  assert.is(Object.getPrototypeOf(all), null);
  assert.equal(Object.keys(all).sort(), ['__proto__', 'a', 'b', 'constructor']);
  assert.is(all['__proto__'], 'p');
  assert.equal(store.hgetall('missing'), Object.create(null));

  assert.is(store.hsetnx('h', 'a', 'x'), false);
  assert.is(store.hsetnx('h', 'n', 'x'), true);
  assert.is(store.hexists('h', 'n'), true);
  assert.is(store.hexists('h', 'zz'), false);
  assert.is(store.hincrby('h', 'a', 2n ** 62n), 2 ** 62 + 1);
  assert.is(store.hget('h', 'a'), '4611686018427387905');
  assert.is(store.hincrbyfloat('h', 'f', '0.1'), 0.1);
  assert.is(store.hincrbyfloat('h', 'f', 0.2), 0.3);
  assert.is(store.hget('h', 'f'), '0.3');
  assert.is(store.hstrlen('h', 'f'), 3);
  assert.throws(() => store.hincrby('h', 'a', 1.5), (e: unknown) => (e as Error).message === NOT_INTEGER);
  assert.throws(() => store.hset('h', {}), (e: unknown) => (e as Error).message === arity('hset'));
  assert.throws(() => store.hset('h', [[1 as unknown as string, 'x']]), TypeError);
  assert.throws(() => store.hset('h', { a: 5 as unknown as Value }), TypeError);

  const fields = store.hrandfield('h', 3);
  assert.is(fields.length, 3);
  assert.is(new Set(fields).size, 3);
  const pairs = store.hrandfield('h', -7, true);
  assert.is(pairs.length, 7);
  for (const [field, value] of pairs) assert.is(describe(value), describe(store.hget('h', field) as Value));
  assert.is(typeof store.hrandfield('h'), 'string');
  assert.is(store.hrandfield('missing'), null);
  assert.equal(store.hrandfield('missing', -3), []);

  const page = store.hscan('h', 0, { count: 100 });
  assert.is(page.cursor, '0');
  assert.is(page.entries.length, store.hlen('h'));
  await store.close();
});

test('Redis edge cases: error order, HRANDFIELD ranges, HSCAN cursors, empty hashes removed', async () => {
  const store = await openStore();
  const errorOf = (...args: Arg[]): string => {
    try {
      store.call(...(args as [string, ...Arg[]]));
    } catch (error) {
      return (error as Error).message;
    }
    return 'no error';
  };
  store.call('set', 's', 'x');
  store.call('hset', 'h', 'a', '1', 'b', 'inf');
  // Argument errors Redis reports before looking at the key.
  assert.is(errorOf('hincrby', 's', 'f', 'x'), NOT_INTEGER);
  assert.is(errorOf('hincrbyfloat', 's', 'f', 'inf'), 'ERR value is NaN or Infinity');
  assert.is(errorOf('hincrbyfloat', 's', 'f', 'x'), 'ERR value is not a valid float');
  assert.is(errorOf('hscan', 's', 'x'), 'ERR invalid cursor');
  assert.is(errorOf('hset', 's', 'f', 'v', 'g'), arity('hset'));
  assert.is(errorOf('hmset', 'h', 'f'), arity('hmset'));
  assert.is(errorOf('hrandfield', 's', '-9223372036854775808'), 'ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807');
  assert.is(errorOf('hrandfield', 's', '1', 'WITHVALUES', 'x'), 'ERR syntax error');
  assert.is(errorOf('hrandfield', 's', '4611686018427387904', 'WITHVALUES'), 'ERR value is out of range');
  assert.is(errorOf('hrandfield', 's', '0'), WRONGTYPE);
  // Options of HSCAN are read only once the key is known to be a hash.
  assert.equal(store.call('hscan', 'missing', '0', 'COUNT', '0'), ['0', []]);
  assert.is(errorOf('hscan', 's', '0', 'COUNT', 'x'), WRONGTYPE);
  assert.is(errorOf('hscan', 'h', '0', 'COUNT', '0'), 'ERR syntax error');
  assert.is(errorOf('hscan', 'h', '0', 'TYPE', 'hash'), 'ERR syntax error');
  assert.is(errorOf('hscan', 'h', '0', 'MATCH'), 'ERR syntax error');
  // strtoul cursors: '' is 0, a sign is allowed, -1 wraps past the end.
  assert.is((store.call('hscan', 'h', '') as [string, Reply[]])[1].length, 4);
  assert.is((store.call('hscan', 'h', '+0') as [string, Reply[]])[1].length, 4);
  assert.equal(store.call('hscan', 'h', '-1'), ['0', []]);
  assert.is(errorOf('hscan', 'h', '18446744073709551616'), 'ERR invalid cursor');
  assert.is(errorOf('hscan', 'h', ' 0'), 'ERR invalid cursor');
  // Value errors.
  assert.is(errorOf('hincrby', 'h', 'b', '1'), 'ERR hash value is not an integer');
  assert.is(errorOf('hincrbyfloat', 'h', 'b', '1'), 'ERR increment would produce NaN or Infinity');
  store.call('hset', 'h', 'm', '9223372036854775807');
  assert.is(errorOf('hincrby', 'h', 'm', '1'), 'ERR increment or decrement would overflow');
  assert.is(store.call('hincrby', 'h', 'm', '-9223372036854775807'), 0);
  assert.is(errorOf('hrandfield', 'h', String(-HRANDFIELD_REPEATS_MAX - 1)), `ERR value is out of range, a negative count may ask for at most ${HRANDFIELD_REPEATS_MAX} fields`);
  assert.equal(store.call('hrandfield', 'missing', String(-HRANDFIELD_REPEATS_MAX - 1)), []);
  assert.is(store.call('hincrbyfloat', 'h', 'x', '1e-20'), '0');
  assert.is(store.call('hincrbyfloat', 'h', 'y', '0x10'), '16');
  // The last HDEL'd field takes the key with it, and memory goes back to where it was.
  const before = store.ks.usedMemory;
  store.call('hset', 'gone', 'a', '1', 'b', '2');
  assert.is(store.call('hdel', 'gone', 'a', 'b', 'a'), 2);
  assert.is(store.call('exists', 'gone'), 0);
  assert.is(store.ks.usedMemory, before);
  await store.close();
});

// -----------------------------------------------------------------------------------------------
// 2. The write path

test('records replay into an equal keyspace; failed and read-only commands log nothing', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(stepArb, { minLength: 1, maxLength: 60, size: 'max' }), async (steps) => {
      const store = await openStore();
      const records: LogRecord[] = [];
      store.ks.sink = recordingSink((unit) => records.push(...unit));
      const readOnly = new Set(['hget', 'hexists', 'hstrlen', 'hmget', 'hlen', 'hgetall', 'hkeys', 'hvals', 'hscan', 'hscanall', 'hrandfield']);
      for (const step of steps) {
        const logged = records.length;
        const before = JSON.stringify(dump(store));
        const result = runStep(store, step);
        if ('error' in result || readOnly.has(step.op.cmd)) assert.is(records.length, logged, `${step.op.cmd} logged a record`);
        if (JSON.stringify(dump(store)) !== before) assert.ok(records.length > logged, `${step.op.cmd} changed the keyspace unlogged`);
      }
      for (const record of records) {
        assert.ok(['HSET', 'HDEL', 'HINCRBY', 'SET', 'DEL'].includes(record[0] as string), `unexpected record ${String(record[0])}`);
      }
      // Records must stand on their own: later changes to the source must not reach them.
      const replica = await openStore();
      replica.ks.loading = true;
      for (const record of records) replica.call(record[0] as string, ...record.slice(1));
      replica.ks.loading = false;
      assert.equal(dump(replica), dump(store));
      await store.close();
      await replica.close();
    }),
    { numRuns: 200 },
  );
});

test('records: HINCRBYFLOAT logs HSET of the result, HSETNX logs HSET, HDEL logs only what it removed', async () => {
  const store = await openStore();
  const records: LogRecord[] = [];
  store.ks.sink = recordingSink((unit) => records.push(...unit));
  store.call('hincrbyfloat', 'h', 'f', '1.10');
  store.call('hsetnx', 'h', 'g', 'v');
  store.call('hsetnx', 'h', 'g', 'w');
  store.call('hmset', 'h', 'a', '1');
  store.call('hdel', 'h', 'zz', 'a', 'a');
  store.call('hdel', 'h', 'zz');
  store.call('hincrby', 'h', 'n', '-5');
  assert.equal(records, [
    ['HSET', 'h', 'f', '1.1'],
    ['HSET', 'h', 'g', 'v'],
    ['HSET', 'h', 'a', '1'],
    ['HDEL', 'h', 'a'],
    ['HINCRBY', 'h', 'n', -5],
  ]);
  await store.close();
});

// -----------------------------------------------------------------------------------------------
// 3. HSCAN's guarantee

test('HSCAN returns every field present for the whole iteration, with changes between steps', async () => {
  const store = await openStore();
  await fc.assert(
    fc.asyncProperty(
      fc.integer({ min: 0, max: 60 }),
      fc.array(
        fc.record({
          count: fc.integer({ min: 1, max: 6 }),
          changes: fc.array(fc.record({ insert: fc.boolean(), field: fc.integer({ min: 0, max: 99 }) }), { maxLength: 4 }),
        }),
        { minLength: 1, maxLength: 200, size: 'max' },
      ),
      fc.constantFrom('typed' as const, 'call' as const),
      async (initial, steps, face) => {
        store.call('flushall');
        const fieldName = (n: number): string => `f${n}`;
        if (initial > 0) store.hset('h', Array.from({ length: initial }, (_v, i): [string, Value] => [fieldName(i), String(i)]));
        const throughout = new Set(store.hkeys('h'));
        const seen = new Set<string>();
        let cursor = '0';
        let calls = 0;
        for (let i = 0; ; i++) {
          const step = steps[i % steps.length];
          let entries: Array<[string, Value]>;
          if (face === 'typed') {
            const page = store.hscan('h', cursor, { count: step.count });
            cursor = page.cursor;
            entries = page.entries;
          } else {
            const reply = store.call('hscan', 'h', cursor, 'COUNT', step.count) as [string, string[]];
            cursor = reply[0];
            entries = [];
            for (let j = 0; j < reply[1].length; j += 2) entries.push([reply[1][j], reply[1][j + 1]]);
          }
          calls++;
          for (const [field] of entries) seen.add(field);
          if (cursor === '0') break;
          // Changes only during the first pass over `steps`, so the iteration must then finish.
          if (i < steps.length) {
            for (const change of step.changes) {
              const field = fieldName(change.field);
              if (change.insert) store.hset('h', [[field, 'new']]);
              else if (store.hdel('h', field) === 1) throughout.delete(field);
            }
          }
          assert.ok(calls <= 100 + initial + steps.length * 5, 'HSCAN did not terminate');
        }
        for (const field of throughout) assert.ok(seen.has(field), `${field} was present throughout but not returned`);
      },
    ),
    { numRuns: 300 },
  );
  await store.close();
});

// -----------------------------------------------------------------------------------------------
// 4. Differential against redis-server

// Started before any test runs, so the skip line stands on a line of its own.
const oracle: RedisOracle | null = await startRedis();
if (oracle === null) console.log('SKIP hash oracle tests: redis-server not installed');

/** A reply in a form both sides share: bytes as hex (kind ignored), numbers, nil, arrays, errors. */
function neutral(reply: OracleReply | Reply): unknown {
  if (reply === null || typeof reply === 'number') return reply;
  if (typeof reply === 'string' || reply instanceof Uint8Array) return bytesHex(reply);
  if (Array.isArray(reply)) return reply.map((item) => neutral(item));
  return { error: reply.error };
}

function sortedNeutral(reply: unknown, pairs: boolean): unknown {
  if (!Array.isArray(reply)) return reply;
  if (!pairs) return [...reply].map(String).sort();
  const joined: string[] = [];
  for (let i = 0; i < reply.length; i += 2) joined.push(`${String(reply[i])}=${String(reply[i + 1])}`);
  return joined.sort();
}

/** A whole HSCAN iteration on each side: sorted `field=value` (bytes as hex), or the error. */
async function scanAllBoth(store: Store, redis: RedisOracle, key: string, count: number | undefined, match: string | undefined) {
  const options: Arg[] = [...(count === undefined ? [] : ['COUNT', count]), ...(match === undefined ? [] : ['MATCH', match])];
  const collect = async (call: (cursor: string) => Promise<OracleReply | Reply>): Promise<unknown> => {
    const seen = new Map<string, string>();
    let cursor = '0';
    for (let steps = 0; steps < 1000; steps++) {
      const reply = await call(cursor);
      if (!Array.isArray(reply)) return neutral(reply);
      cursor = reply[0] as string;
      const flat = neutral(reply[1]) as string[];
      for (let i = 0; i < flat.length; i += 2) seen.set(flat[i], flat[i + 1]);
      if (cursor === '0') break;
    }
    return [...seen].map(([field, value]) => `${field}=${value}`).sort();
  };
  const ours = await collect(async (cursor) => {
    try {
      return store.call('hscan', key, cursor, ...options);
    } catch (error) {
      return { error: (error as Error).message };
    }
  });
  const theirs = await collect((cursor) => redis.call('hscan', key, cursor, ...options));
  return { ours, theirs };
}

test('differential: random hash command sequences answer as redis-server 7.0 does', async () => {
  if (oracle === null) return;
  const redis = oracle;
  const store = await openStore();
  try {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 80, size: 'max' }), async (ops) => {
        store.call('flushall');
        await redis.call('flushall');
        for (const op of ops) {
          const where = JSON.stringify(op, (_k, v) => (v instanceof Uint8Array ? [...v] : v));
          if (op.cmd === 'hscanall') {
            const { ours, theirs } = await scanAllBoth(store, redis, op.key, op.count, op.match);
            assert.equal(ours, theirs, where);
            continue;
          }
          const [name, ...args] = callArgs(op);
          let ours: unknown;
          try {
            ours = neutral(store.call(name, ...args));
          } catch (error) {
            if (!(error instanceof ReplyError)) throw error;
            // Redis would build a reply of millions of fields; emberkv refuses (a documented difference).
            if (error.message.includes('a negative count may ask for at most')) continue;
            ours = { error: error.message };
          }
          const theirs = neutral(await redis.call(name, ...args));
          if (ours !== null && typeof ours === 'object' && 'error' in ours) {
            assert.equal(ours, theirs, where);
            continue;
          }
          if (op.cmd === 'hgetall') assert.equal(sortedNeutral(ours, true), sortedNeutral(theirs, true), where);
          else if (op.cmd === 'hkeys' || op.cmd === 'hvals') assert.equal(sortedNeutral(ours, false), sortedNeutral(theirs, false), where);
          else if (op.cmd === 'hscan') {
            // Pages differ (Redis returns a small hash whole); compare shapes and membership.
            assert.ok(Array.isArray(theirs) && Array.isArray(ours), where);
            const [ourPage, theirPage] = [ours as unknown[], theirs as unknown[]];
            assert.is(ourPage.length, 2, where);
            assert.is(theirPage.length, 2, where);
            const all = new Set(sortedNeutral(neutral(store.call('hgetall', op.key)), true) as string[]);
            for (const page of [ourPage[1] as string[], theirPage[1] as string[]]) {
              assert.is(page.length % 2, 0, where);
              for (let i = 0; i < page.length; i += 2) assert.ok(all.has(`${page[i]}=${page[i + 1]}`), `${where}: ${page[i]}`);
            }
          } else if (op.cmd === 'hrandfield') {
            if (!Array.isArray(ours)) {
              assert.is(ours === null, theirs === null, where);
              if (ours !== null) {
                const fields = new Set((neutral(store.call('hkeys', op.key)) as string[]));
                assert.ok(fields.has(ours as string) && fields.has(theirs as string), where);
              }
            } else {
              assert.ok(Array.isArray(theirs), where);
              assert.is((ours as unknown[]).length, (theirs as unknown[]).length, where);
              const withValues = op.rest.length === 2;
              const all = new Set(sortedNeutral(neutral(store.call('hgetall', op.key)), withValues) as string[]);
              for (const reply of [ours as string[], theirs as string[]]) {
                const items = withValues ? (sortedNeutral(reply, true) as string[]) : reply;
                for (const item of items) assert.ok(all.has(item), `${where}: ${item}`);
                if (!op.rest[0].startsWith('-')) assert.is(new Set(items).size, items.length, `${where}: repeats`);
              }
            }
          } else {
            assert.equal(ours, theirs, where);
          }
        }
        // The keyspaces agree at the end.
        for (const key of ['h1', 'h2', 'h3', 's']) {
          const type = await redis.call('type', key);
          assert.is(store.call('type', key), type, key);
          if (type === 'hash') {
            assert.equal(sortedNeutral(neutral(store.call('hgetall', key)), true), sortedNeutral(neutral(await redis.call('hgetall', key)), true), key);
          }
        }
      }),
      { numRuns: 150 },
    );
  } finally {
    await store.close();
  }
});

test('differential: HINCRBYFLOAT and HINCRBY formatting and limits agree with redis-server', async () => {
  if (oracle === null) return;
  const redis = oracle;
  const store = await openStore();
  const numberText = fc.oneof(
    fc.double({ noNaN: true }).map(String),
    fc.integer().map(String),
    fc.constantFrom('0.1', '1e-17', '-1e-17', '1e-20', '5e-324', '1.7976931348623157e308', '1e4000', '0x1p-16382', '3.99e-4951', '-0', '0.0001'),
  );
  try {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.constantFrom('f', 'g'), numberText, fc.boolean()), { minLength: 1, maxLength: 12, size: 'max' }), async (ops) => {
        store.call('del', 'n');
        await redis.call('del', 'n');
        for (const [field, text, integer] of ops) {
          const args: Arg[] = [integer ? 'hincrby' : 'hincrbyfloat', 'n', field, text];
          let ours: unknown;
          try {
            ours = neutral(store.call(args[0] as string, ...args.slice(1)));
          } catch (error) {
            ours = { error: (error as Error).message };
          }
          assert.equal(ours, neutral(await redis.call(...args)), JSON.stringify(args));
        }
      }),
      { numRuns: 300 },
    );
  } finally {
    await store.close();
    await redis.stop();
  }
});

test.run();
