// Hash commands (Redis t_hash.c): HSET HSETNX HMSET HGET HMGET HDEL HEXISTS HLEN HSTRLEN HGETALL
// HKEYS HVALS HINCRBY HINCRBYFLOAT HSCAN HRANDFIELD.
//
// A hash is a SlotMap<Value> (slot-map.ts): each field sits in a numbered slot that it keeps for as
// long as it exists. HSCAN's cursor is a slot number, which is what gives HSCAN Redis's guarantee
// (a field present for the whole iteration is returned at least once), and HRANDFIELD samples
// random slots in O(1).
//
// Invariants
//   - A hash key is never empty: the command that removes the last field removes the key, as Redis
//     does (hdelCommand's dbDelete). Nothing creates a hash without setting a field in it.
//   - entry.bytes counts HASH_BYTES plus fieldBytes() of every field, kept by every change.
//   - Stored values are never changed in place: every write stores a new private value. So a record
//     or a snapshot may hold a value by reference, and only replies copy bytes out.
//
// Each command has one implementation, a function taking parsed arguments, used by both faces of
// the store (see string.ts); the command table at the bottom parses `store.call` arguments into it.
// Checks run in Redis's order — argument errors Redis finds before the key lookup, then WRONGTYPE,
// then errors about the stored value — and all of them before anything changes, so a failing
// command changes nothing and propagates nothing.
//
// Differences from Redis, on purpose: HSCAN pages follow slots, so a small hash is not returned
// whole in one page as Redis does for its listpack encoding (the guarantee is the same); and
// HRANDFIELD with a negative count beyond HRANDFIELD_REPEATS_MAX is refused rather than built.

import { assert } from '../assert.ts';
import { command, type CommandSpec } from '../command-spec.ts';
import { ReplyError, WrongTypeError } from '../errors.ts';
import type { Arg, Reply, Value } from '../types.ts';
import { ErrorText, integerArg, keyArg, keywordArg, nameArg, textArg, valueArg } from './args.ts';
import { byteLength, copyValue, valueText } from './bytes.ts';
import { compileGlob } from './glob.ts';
import { type Entry, type HashValue, type Keyspace, TYPE_HASH } from './keyspace.ts';
import { PackedValue } from './packed.ts';
import { HASH_BYTES, HASH_FIELD_BYTES, textBytes, valueBytes } from './memory.ts';
import {
  addLongDouble,
  formatLongDoubleHuman,
  isFiniteLongDouble,
  addInt64,
  parseInt64,
  parseInteger,
  parseLongDouble,
} from './numbers.ts';
import { SlotMap } from './slot-map.ts';

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
/** C's LONG_MAX on 64-bit Linux: HRANDFIELD's count range is -LONG_MAX..LONG_MAX. */
const LONG_MAX = INT64_MAX;
const UINT64_MAX = 2n ** 64n - 1n;

/**
 * The most fields one HRANDFIELD with a negative count may return (repeats allowed, so the reply
 * is not bounded by the hash). Redis has no such bound and would try to build the reply; a JS
 * array that large would exhaust the heap, so emberkv refuses instead (a deliberate difference).
 */
export const HRANDFIELD_REPEATS_MAX = 2 ** 24;

/** Texts of errors only the hash commands give. */
const HashErrorText = {
  hashNotInteger: 'ERR hash value is not an integer',
  hashNotFloat: 'ERR hash value is not a float',
  incrementNotFinite: 'ERR value is NaN or Infinity',
  outOfRange: 'ERR value is out of range',
  countRange: 'ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807',
  repeatsMax: `ERR value is out of range, a negative count may ask for at most ${HRANDFIELD_REPEATS_MAX} fields`,
} as const;

function arityError(name: string): ReplyError {
  return new ReplyError(`ERR wrong number of arguments for '${name}' command`);
}

// -----------------------------------------------------------------------------------------------
// Helpers

export function cloneHash(hash: HashValue): HashValue {
  const copy = new SlotMap<Value>();
  hash.forEach((value, field) => copy.set(field, value));
  return copy;
}

/** One field's share of its key's size estimate (loading counts the same). */
export function fieldBytes(field: string, value: Value): number {
  return HASH_FIELD_BYTES + textBytes(field) + valueBytes(value);
}

/** The hash value of a live entry (built, if it was loaded packed), or WRONGTYPE. */
function hashOf(ks: Keyspace, entry: Entry): HashValue {
  if (entry.type !== TYPE_HASH) throw new WrongTypeError();
  if (entry.value instanceof PackedValue) ks.unpack(entry);
  return entry.value as HashValue;
}

/** The hash at key for a read; undefined when the key is missing; WRONGTYPE for other types. */
function readHash(ks: Keyspace, key: string): HashValue | undefined {
  const entry = ks.lookupRead(key);
  return entry === undefined ? undefined : hashOf(ks, entry);
}

/** The hash entry at key for a change in place (see lookupWrite); WRONGTYPE for other types. */
function writeEntry(ks: Keyspace, key: string): Entry | undefined {
  const entry = ks.lookupWrite(key);
  if (entry !== undefined) hashOf(ks, entry);
  return entry;
}

/** Creates an empty hash at key. Requires: key is missing, and the caller sets a field next. */
function createHash(ks: Keyspace, key: string): Entry {
  return ks.add(key, TYPE_HASH, new SlotMap<Value>(), HASH_BYTES);
}

/**
 * Sets one field of a hash entry, keeping the size estimate; returns whether the field is new.
 * Requires: the entry came from writeEntry/createHash; value is a private copy.
 */
function setField(ks: Keyspace, entry: Entry, field: string, value: Value): boolean {
  const hash = entry.value as HashValue;
  const previous = hash.get(field);
  const indexBefore = hash.indexBytes;
  hash.set(field, value);
  const delta = previous === undefined ? fieldBytes(field, value) : valueBytes(value) - valueBytes(previous);
  ks.resize(entry, delta + hash.indexBytes - indexBefore);
  return previous === undefined;
}

// -----------------------------------------------------------------------------------------------
// Writes: HSET HMSET HSETNX HDEL

/**
 * HSET and HMSET: sets each pair in order (a repeated field keeps its last value). Returns how many
 * fields are new. Requires: at least one pair; values are private copies (the store keeps them).
 */
export function hset(ks: Keyspace, key: string, pairs: ReadonlyArray<readonly [string, Value]>): number {
  assert(pairs.length > 0, 'hset needs at least one field');
  const entry = writeEntry(ks, key) ?? createHash(ks, key);
  const record: Arg[] = ['HSET', key];
  let created = 0;
  for (const [field, value] of pairs) {
    if (setField(ks, entry, field, value)) created++;
    record.push(field, value);
  }
  ks.propagate(record);
  return created;
}

/** HSETNX: sets the field only if it is missing; returns whether it did. Requires: value is a private copy. */
export function hsetnx(ks: Keyspace, key: string, field: string, value: Value): boolean {
  const existing = writeEntry(ks, key);
  if (existing !== undefined && (existing.value as HashValue).has(field)) return false;
  setField(ks, existing ?? createHash(ks, key), field, value);
  ks.propagate(['HSET', key, field, value]);
  return true;
}

/**
 * HDEL: removes the fields that exist and returns how many it removed; the key goes with its last
 * field. Logs only the fields actually removed, so replay does exactly the same.
 */
export function hdel(ks: Keyspace, key: string, fields: readonly string[]): number {
  const entry = writeEntry(ks, key);
  if (entry === undefined) return 0;
  const hash = entry.value as HashValue;
  const deleted: string[] = [];
  for (const field of fields) {
    const value = hash.get(field);
    if (value === undefined) continue;
    const indexBefore = hash.indexBytes;
    hash.delete(field);
    ks.resize(entry, -fieldBytes(field, value) + hash.indexBytes - indexBefore);
    deleted.push(field);
    if (hash.size === 0) {
      ks.remove(entry);
      break;
    }
  }
  if (deleted.length > 0) ks.propagate(['HDEL', key, ...deleted]);
  return deleted.length;
}

// -----------------------------------------------------------------------------------------------
// Reads: HGET HMGET HEXISTS HLEN HSTRLEN HGETALL HKEYS HVALS

export function hget(ks: Keyspace, key: string, field: string): Value | null {
  const value = readHash(ks, key)?.get(field);
  return value === undefined ? null : copyValue(value);
}

/** HMGET: one value or null per field; a missing key reads as an empty hash. */
export function hmget(ks: Keyspace, key: string, fields: readonly string[]): Array<Value | null> {
  const hash = readHash(ks, key);
  return fields.map((field) => {
    const value = hash?.get(field);
    return value === undefined ? null : copyValue(value);
  });
}

export function hexists(ks: Keyspace, key: string, field: string): boolean {
  return readHash(ks, key)?.has(field) ?? false;
}

export function hlen(ks: Keyspace, key: string): number {
  return readHash(ks, key)?.size ?? 0;
}

/** HSTRLEN: the value's length in bytes (UTF-8 for strings); 0 for a missing field or key. */
export function hstrlen(ks: Keyspace, key: string, field: string): number {
  const value = readHash(ks, key)?.get(field);
  return value === undefined ? 0 : byteLength(value);
}

/** HGETALL as [field, value] pairs in slot order (values copied); [] for a missing key. */
export function hgetallEntries(ks: Keyspace, key: string): Array<[string, Value]> {
  const hash = readHash(ks, key);
  const entries: Array<[string, Value]> = [];
  hash?.forEach((value, field) => entries.push([field, copyValue(value)]));
  return entries;
}

/**
 * HGETALL for the typed face: an object with a null prototype, so every field name, `__proto__`
 * and `constructor` included, is an ordinary own property.
 */
export function hgetall(ks: Keyspace, key: string): Record<string, Value> {
  const object = Object.create(null) as Record<string, Value>;
  for (const [field, value] of hgetallEntries(ks, key)) object[field] = value;
  return object;
}

export function hkeys(ks: Keyspace, key: string): string[] {
  const fields: string[] = [];
  readHash(ks, key)?.forEach((_value, field) => fields.push(field));
  return fields;
}

export function hvals(ks: Keyspace, key: string): Value[] {
  const values: Value[] = [];
  readHash(ks, key)?.forEach((value) => values.push(copyValue(value)));
  return values;
}

// -----------------------------------------------------------------------------------------------
// Counters: HINCRBY HINCRBYFLOAT

/**
 * HINCRBY: adds a 64-bit integer to the field (missing counts as 0). Exact across the whole int64
 * range, as `incrby` in string.ts: number arithmetic while safe, BigInt beyond. The reply is a JS
 * number, so it is rounded beyond 2^53; the stored value is exact.
 * Requires: increment is an integer within int64 (a safe integer when a number).
 */
export function hincrby(ks: Keyspace, key: string, field: string, increment: number | bigint): number {
  const entry = writeEntry(ks, key);
  const current = entry === undefined ? undefined : (entry.value as HashValue).get(field);
  const text = current === undefined ? '0' : valueText(current);
  const approximate = parseInteger(text);
  if (approximate === null) throw new ReplyError(HashErrorText.hashNotInteger);
  const sum = addInt64(text, approximate, increment);
  if (sum === null) throw new ReplyError(ErrorText.overflow);
  setField(ks, entry ?? createHash(ks, key), field, sum.text);
  ks.propagate(['HINCRBY', key, field, typeof increment === 'bigint' ? increment.toString() : increment]);
  return sum.value;
}

/**
 * HINCRBYFLOAT: long double arithmetic and formatting exactly as Redis (numbers.ts). Returns the
 * new value's text; logs it as an HSET, as Redis does, so replay never redoes float arithmetic.
 */
export function hincrbyfloat(ks: Keyspace, key: string, field: string, incrementText: string): string {
  // Redis checks the increment before it looks at the key (hincrbyfloatCommand).
  const increment = parseLongDouble(incrementText);
  if (increment === null) throw new ReplyError(ErrorText.notFloat);
  if (!isFiniteLongDouble(increment)) throw new ReplyError(HashErrorText.incrementNotFinite);
  const entry = writeEntry(ks, key);
  const current = entry === undefined ? undefined : (entry.value as HashValue).get(field);
  const value = parseLongDouble(current === undefined ? '0' : valueText(current));
  if (value === null) throw new ReplyError(HashErrorText.hashNotFloat);
  const sum = addLongDouble(value, increment);
  if (!isFiniteLongDouble(sum)) throw new ReplyError(ErrorText.nanOrInfinity);
  const resultText = formatLongDoubleHuman(sum);
  setField(ks, entry ?? createHash(ks, key), field, resultText);
  ks.propagate(['HSET', key, field, resultText]);
  return resultText;
}

// -----------------------------------------------------------------------------------------------
// HSCAN

export interface HashScanOptions {
  /** Glob pattern on field names (Redis's MATCH). */
  match?: string;
  /** Fields to visit in this step; default 10. A hint, as in Redis: a page may hold fewer. */
  count?: number;
}

export interface HashScanPage {
  /** '0' when the iteration is complete. */
  cursor: string;
  entries: Array<[string, Value]>;
}

/** The cursor that ends a scan (and starts one). */
const SCAN_DONE = '0';

/**
 * An HSCAN cursor as Redis's parseScanCursorOrReply reads it (strtoul, base 10): optional sign,
 * digits, nothing after; '' is 0; no leading space; beyond 2^64-1 is invalid; '-n' wraps to 2^64-n,
 * which is past every slot and so ends the scan. Returns a slot number (maybe beyond slotCount).
 */
export function parseHashCursor(cursor: string | number): number {
  let text = String(cursor);
  // C stops reading at a NUL byte.
  const nul = text.indexOf('\0');
  if (nul >= 0) text = text.slice(0, nul);
  if (text.length === 0) return 0;
  const sign = text.charCodeAt(0);
  const negative = sign === 45; /* - */
  const digits = negative || sign === 43 /* + */ ? text.slice(1) : text;
  if (!/^[0-9]+$/.test(digits)) throw new ReplyError(ErrorText.invalidCursor);
  if (digits.length <= 15) {
    const value = Number(digits);
    return negative && value !== 0 ? Number.POSITIVE_INFINITY : value;
  }
  const exact = BigInt(digits);
  if (exact > UINT64_MAX) throw new ReplyError(ErrorText.invalidCursor);
  if (negative && exact !== 0n) return Number(2n ** 64n - exact);
  return Number(exact);
}

/**
 * One HSCAN step from slot `cursor`: visits up to `count` fields (examining at most ten times as
 * many slots, so a hash with many holes cannot stall), then filters them by `match`. Fields keep
 * their slots and the walk only moves up, so a field present for the whole iteration is returned
 * once; fields added or removed meanwhile may or may not be.
 */
function scanHash(hash: HashValue, cursor: number, options: HashScanOptions): HashScanPage {
  const count = options.count ?? 10;
  if (!Number.isInteger(count) || count < 1) throw new ReplyError(ErrorText.syntax);
  const matches = options.match === undefined ? null : compileGlob(options.match);
  const slotCount = hash.slotCount;
  const entries: Array<[string, Value]> = [];
  const examinedMax = count * 10;
  let slot = cursor;
  let visited = 0;
  let examined = 0;
  while (slot < slotCount && visited < count && examined < examinedMax) {
    const field = hash.keyAt(slot);
    if (field !== undefined) {
      visited++;
      if (matches === null || matches(field)) entries.push([field, copyValue(hash.valueAt(slot) as Value)]);
    }
    slot++;
    examined++;
  }
  return { cursor: slot >= slotCount ? SCAN_DONE : String(slot), entries };
}

/** HSCAN: one step of an iteration over the hash's fields; a missing key is an empty, finished scan. */
export function hscan(ks: Keyspace, key: string, cursor: number, options: HashScanOptions = {}): HashScanPage {
  const hash = readHash(ks, key);
  if (hash === undefined) return { cursor: SCAN_DONE, entries: [] };
  return scanHash(hash, cursor, options);
}

// -----------------------------------------------------------------------------------------------
// HRANDFIELD

/** HRANDFIELD without a count: a random field, or null for a missing key. */
export function hrandfield(ks: Keyspace, key: string): string | null {
  const hash = readHash(ks, key);
  return hash === undefined ? null : (hash.keyAt(hash.randomSlot()) as string);
}

/**
 * HRANDFIELD's checks on a count already known to be an int64, in Redis's order (hrandfieldCommand):
 * the range -LONG_MAX..LONG_MAX, then, with values, half of that. Returns the count as a number
 * (rounded beyond 2^53, which only ever means "more than the hash holds").
 */
export function randomCount(count: bigint, withValues: boolean): number {
  if (count < -LONG_MAX) throw new ReplyError(HashErrorText.countRange);
  if (withValues && (count < -(LONG_MAX / 2n) || count > LONG_MAX / 2n)) throw new ReplyError(HashErrorText.outOfRange);
  return Number(count);
}

/**
 * The slots HRANDFIELD returns, after Redis's hrandfieldWithCountCommand: a negative count (or 1)
 * samples |count| times with repeats; a count at least the hash size returns every field; a count
 * close to the size removes random fields from the whole (CASE 3); a small one draws distinct
 * random fields (CASE 4). Requires: hash is not empty; count is not 0.
 */
function randomSlots(hash: HashValue, count: number): number[] {
  const size = hash.size;
  if (count < 0 || count === 1) {
    const repeats = Math.abs(count);
    const slots: number[] = new Array(repeats);
    for (let i = 0; i < repeats; i++) slots[i] = hash.randomSlot();
    return slots;
  }
  const all: number[] = [];
  if (count >= size || count * 3 > size) {
    for (let slot = 0; slot < hash.slotCount; slot++) if (hash.keyAt(slot) !== undefined) all.push(slot);
    if (count >= size) return all;
    // Partial Fisher-Yates: the first `count` places end up a uniform random choice.
    for (let i = 0; i < count; i++) {
      const j = i + Math.floor(Math.random() * (size - i));
      const swap = all[i];
      all[i] = all[j];
      all[j] = swap;
    }
    all.length = count;
    return all;
  }
  const chosen = new Set<number>();
  while (chosen.size < count) chosen.add(hash.randomSlot());
  return [...chosen];
}

/** The slots for HRANDFIELD with a count; [] for a missing key or a count of 0. */
function randomSlotsAt(ks: Keyspace, key: string, count: number): { hash: HashValue; slots: number[] } | null {
  const hash = readHash(ks, key);
  if (hash === undefined || count === 0) return null;
  if (count < -HRANDFIELD_REPEATS_MAX) throw new ReplyError(HashErrorText.repeatsMax);
  return { hash, slots: randomSlots(hash, count) };
}

/**
 * HRANDFIELD with a count: distinct fields (at most the hash size) for a positive count, exactly
 * |count| fields with repeats for a negative one. Requires: count passed randomCount().
 */
export function hrandfieldCount(ks: Keyspace, key: string, count: number): string[] {
  const found = randomSlotsAt(ks, key, count);
  if (found === null) return [];
  return found.slots.map((slot) => found.hash.keyAt(slot) as string);
}

/** HRANDFIELD ... WITHVALUES: as hrandfieldCount, with each field's value (copied). */
export function hrandfieldWithValues(ks: Keyspace, key: string, count: number): Array<[string, Value]> {
  const found = randomSlotsAt(ks, key, count);
  if (found === null) return [];
  return found.slots.map((slot) => [found.hash.keyAt(slot) as string, copyValue(found.hash.valueAt(slot) as Value)]);
}

// -----------------------------------------------------------------------------------------------
// The typed face's arguments

/** Fields and values as the typed face takes them: an object, a Map, or [field, value] pairs. */
export type HashFields = Record<string, Value> | Map<string, Value> | Iterable<readonly [string, Value]>;

/**
 * The typed face's fields as [field, value] pairs with private copies of byte values. TypeError for
 * a field that is not a string or a value that is neither a string nor a Uint8Array; Redis's arity
 * error (for `name`) when there are no pairs at all.
 */
export function fieldPairs(fields: HashFields, name: string): Array<[string, Value]> {
  if (typeof fields !== 'object' || fields === null) {
    throw new TypeError(`${name}: fields must be an object, a Map or [field, value] pairs`);
  }
  const source: Iterable<readonly [string, Value]> =
    Symbol.iterator in fields ? (fields as Iterable<readonly [string, Value]>) : Object.entries(fields);
  const pairs: Array<[string, Value]> = [];
  for (const pair of source) {
    if (!Array.isArray(pair) || pair.length !== 2) throw new TypeError(`${name}: expected [field, value] pairs`);
    pairs.push([fieldName(pair[0]), privateValue(pair[1])]);
  }
  if (pairs.length === 0) throw arityError(name);
  return pairs;
}

/** A field name from the typed face: a string, else TypeError. */
export function fieldName(field: string): string {
  if (typeof field !== 'string') throw new TypeError(`hash fields are strings, got ${typeof field}`);
  return field;
}

/** A typed-face HINCRBY increment: a safe integer number or an int64 bigint, else "not an integer". */
export function checkIncrement(increment: number | bigint): number | bigint {
  if (typeof increment === 'number' && Number.isSafeInteger(increment)) return increment;
  if (typeof increment === 'bigint' && increment >= INT64_MIN && increment <= INT64_MAX) return increment;
  if (typeof increment !== 'number' && typeof increment !== 'bigint') {
    throw new TypeError(`increments are numbers or bigints, got ${typeof increment}`);
  }
  throw new ReplyError(ErrorText.notInteger);
}

/** A typed-face HRANDFIELD count: an integer within int64 (else "not an integer"), then randomCount(). */
export function checkRandomCount(count: number, withValues: boolean): number {
  if (typeof count !== 'number') throw new TypeError(`counts are numbers, got ${typeof count}`);
  if (!Number.isInteger(count) || Math.abs(count) >= 2 ** 63) throw new ReplyError(ErrorText.notInteger);
  return randomCount(BigInt(count), withValues);
}

function privateValue(value: Value): Value {
  if (typeof value === 'string') return value;
  if (value instanceof Uint8Array) return value.slice();
  throw new TypeError(`values are strings or Uint8Arrays, got ${typeof value}`);
}

// -----------------------------------------------------------------------------------------------
// Argument parsing for `store.call`

/** HSET/HMSET's field-value pairs from args[from..]; Redis's arity error when one is unpaired. */
function pairsFrom(args: Arg[], from: number, name: string): Array<[string, Value]> {
  if ((args.length - from) % 2 !== 0) throw arityError(name);
  const pairs: Array<[string, Value]> = [];
  for (let i = from; i < args.length; i += 2) pairs.push([nameArg(args[i]), copyValue(valueArg(args[i + 1]))]);
  return pairs;
}

/** An int64 argument: a number when safe, a bigint beyond; Redis's "not an integer" otherwise. */
function int64Arg(arg: Arg): number | bigint {
  const exact = parseInt64(textArg(arg));
  if (exact === null) throw new ReplyError(ErrorText.notInteger);
  const approximate = Number(exact);
  return Number.isSafeInteger(approximate) ? approximate : exact;
}

/** HSCAN's options, parsed left to right as scanGenericCommand does (no TYPE for HSCAN). */
function parseHashScanOptions(args: Arg[], from: number): HashScanOptions {
  const options: HashScanOptions = {};
  for (let i = from; i < args.length; i += 2) {
    const option = keywordArg(args[i]);
    const hasValue = i + 1 < args.length;
    if (option === 'COUNT' && hasValue) {
      const count = integerArg(args[i + 1]);
      if (count < 1) throw new ReplyError(ErrorText.syntax);
      options.count = count;
    } else if (option === 'MATCH' && hasValue) {
      options.match = textArg(args[i + 1]);
    } else {
      throw new ReplyError(ErrorText.syntax);
    }
  }
  return options;
}

function hscanCommand(ks: Keyspace, args: Arg[]): Reply {
  // Redis's order: the cursor, then the key and its type, and only then the options, so options
  // are not even read for a missing key (hscanCommand, scanGenericCommand).
  const cursor = parseHashCursor(textArg(args[1]));
  const hash = readHash(ks, keyArg(args[0]));
  if (hash === undefined) return [SCAN_DONE, []];
  const page = scanHash(hash, cursor, parseHashScanOptions(args, 2));
  return [page.cursor, page.entries.flat()];
}

function hrandfieldCommand(ks: Keyspace, args: Arg[]): Reply {
  const key = keyArg(args[0]);
  if (args.length === 1) return hrandfield(ks, key);
  const parsed = int64Arg(args[1]);
  const exact = typeof parsed === 'bigint' ? parsed : BigInt(parsed);
  if (exact < -LONG_MAX) throw new ReplyError(HashErrorText.countRange);
  if (args.length > 3 || (args.length === 3 && keywordArg(args[2]) !== 'WITHVALUES')) {
    throw new ReplyError(ErrorText.syntax);
  }
  const withValues = args.length === 3;
  const count = randomCount(exact, withValues);
  return withValues ? hrandfieldWithValues(ks, key, count).flat() : hrandfieldCount(ks, key, count);
}

// -----------------------------------------------------------------------------------------------
// The command table's entries

export const hashCommands: CommandSpec[] = [
  command('hset', -4, ['write', 'denyoom', 'fast'], [1, 1, 1], (ks, args) =>
    hset(ks, keyArg(args[0]), pairsFrom(args, 1, 'hset')),
  ),
  command('hmset', -4, ['write', 'denyoom', 'fast'], [1, 1, 1], (ks, args) => {
    hset(ks, keyArg(args[0]), pairsFrom(args, 1, 'hmset'));
    return 'OK';
  }),
  command('hsetnx', 4, ['write', 'denyoom', 'fast'], [1, 1, 1], (ks, args) =>
    hsetnx(ks, keyArg(args[0]), nameArg(args[1]), copyValue(valueArg(args[2]))) ? 1 : 0,
  ),
  command('hget', 3, ['fast'], [1, 1, 1], (ks, args) => hget(ks, keyArg(args[0]), nameArg(args[1]))),
  command('hmget', -3, ['fast'], [1, 1, 1], (ks, args) => hmget(ks, keyArg(args[0]), args.slice(1).map(nameArg))),
  command('hdel', -3, ['write', 'fast'], [1, 1, 1], (ks, args) => hdel(ks, keyArg(args[0]), args.slice(1).map(nameArg))),
  command('hexists', 3, ['fast'], [1, 1, 1], (ks, args) => (hexists(ks, keyArg(args[0]), nameArg(args[1])) ? 1 : 0)),
  command('hlen', 2, ['fast'], [1, 1, 1], (ks, args) => hlen(ks, keyArg(args[0]))),
  command('hstrlen', 3, ['fast'], [1, 1, 1], (ks, args) => hstrlen(ks, keyArg(args[0]), nameArg(args[1]))),
  command('hgetall', 2, [], [1, 1, 1], (ks, args) => hgetallEntries(ks, keyArg(args[0])).flat()),
  command('hkeys', 2, [], [1, 1, 1], (ks, args) => hkeys(ks, keyArg(args[0]))),
  command('hvals', 2, [], [1, 1, 1], (ks, args) => hvals(ks, keyArg(args[0]))),
  command('hincrby', 4, ['write', 'denyoom', 'fast'], [1, 1, 1], (ks, args) => {
    // The increment is checked before the key is looked at (hincrbyCommand).
    const increment = int64Arg(args[2]);
    return hincrby(ks, keyArg(args[0]), nameArg(args[1]), increment);
  }),
  command('hincrbyfloat', 4, ['write', 'denyoom', 'fast'], [1, 1, 1], (ks, args) =>
    hincrbyfloat(ks, keyArg(args[0]), nameArg(args[1]), textArg(args[2])),
  ),
  command('hscan', -3, [], [1, 1, 1], hscanCommand),
  command('hrandfield', -2, [], [1, 1, 1], hrandfieldCommand),
];
