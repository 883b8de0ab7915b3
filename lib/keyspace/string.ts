// String commands (Redis t_string.c): GET SET SETNX SETEX PSETEX MGET MSET MSETNX GETSET GETDEL GETEX
// APPEND STRLEN INCR INCRBY DECR DECRBY INCRBYFLOAT GETRANGE SETRANGE.
//
// Each command has one implementation, a function taking parsed arguments, used by both faces of
// the store: the typed methods call it directly and the command table (bottom of the file) parses
// `store.call` arguments into it. Stored values are never changed in place (APPEND and SETRANGE build
// new ones), so a record or a snapshot may hold a value by reference.

import { command, type CommandSpec } from '../command-spec.ts';
import { ReplyError, WrongTypeError } from '../errors.ts';
import type { Arg, Reply, Value } from '../types.ts';
import { ErrorText, integerArg, keyArg, keywordArg, textArg, valueArg } from './args.ts';
import { byteLength, concatBytes, copyValue, decodeUtf8, toBytes, valueText } from './bytes.ts';
import { type Entry, type Keyspace, TYPE_STRING } from './keyspace.ts';
import { valueBytes } from './memory.ts';
import {
  addInt64,
  addLongDouble,
  formatLongDoubleHuman,
  isFiniteLongDouble,
  parseInt64,
  parseInteger,
  parseLongDouble,
} from './numbers.ts';
import { MS_PER_SECOND, optionExpireAt } from './ttl.ts';

import { STRING_BYTES_MAX } from '../limits.ts';

export { STRING_BYTES_MAX };

const INT64_MIN = -(2n ** 63n);

// -----------------------------------------------------------------------------------------------
// Helpers

/** The string value of a live entry, or WRONGTYPE. */
function stringOf(entry: Entry): Value {
  if (entry.type !== TYPE_STRING) throw new WrongTypeError();
  return entry.value as Value;
}

/** Stores value at key (creating or replacing it), clearing the TTL unless keepTtl. */
function store(ks: Keyspace, key: string, entry: Entry | undefined, value: Value, keepTtl: boolean): Entry {
  if (entry === undefined) return ks.add(key, TYPE_STRING, value, valueBytes(value));
  ks.overwrite(entry, TYPE_STRING, value, valueBytes(value), keepTtl);
  return entry;
}

function stringTooLong(): ReplyError {
  return new ReplyError('ERR string exceeds maximum allowed size (proto-max-bulk-len)');
}

// -----------------------------------------------------------------------------------------------
// GET SET and friends

export function get(ks: Keyspace, key: string): Value | null {
  const entry = ks.lookupRead(key);
  if (entry === undefined) return null;
  return copyValue(stringOf(entry));
}

export const SET_NX = 1;
export const SET_XX = 2;
export const SET_GET = 4;
export const SET_KEEPTTL = 8;

/**
 * SET: stores value unless NX/XX says not to. `expireAt` is absolute ms (0 = none). Returns 'OK',
 * or null when NX/XX prevented it; with SET_GET, the old value (or null) instead.
 * Requires: value is a private copy (the store keeps it).
 */
export function set(ks: Keyspace, key: string, value: Value, flags: number, expireAt: number): Value | 'OK' | null {
  const entry = ks.lookupWrite(key);
  let previous: Value | null = null;
  if ((flags & SET_GET) !== 0 && entry !== undefined) previous = copyValue(stringOf(entry));
  if (((flags & SET_NX) !== 0 && entry !== undefined) || ((flags & SET_XX) !== 0 && entry === undefined)) {
    return (flags & SET_GET) !== 0 ? previous : null;
  }
  const keepTtl = (flags & SET_KEEPTTL) !== 0;
  const stored = store(ks, key, entry, value, keepTtl);
  if (expireAt !== 0) ks.setExpiry(stored, expireAt);
  if (!ks.logging) ks.changed();
  else if (expireAt !== 0) ks.propagate(['SET', key, value, 'PXAT', expireAt]);
  else if (keepTtl) ks.propagate(['SET', key, value, 'KEEPTTL']);
  else ks.propagateSet(key, value);
  return (flags & SET_GET) !== 0 ? previous : 'OK';
}

export function mget(ks: Keyspace, keys: readonly string[]): Array<Value | null> {
  const values: Array<Value | null> = new Array(keys.length);
  for (let i = 0; i < keys.length; i++) {
    const entry = ks.lookupRead(keys[i]);
    values[i] = entry === undefined || entry.type !== TYPE_STRING ? null : copyValue(entry.value as Value);
  }
  return values;
}

/** MSET (nx false) and MSETNX (nx true). Returns whether anything was set. */
export function mset(ks: Keyspace, pairs: ReadonlyArray<readonly [string, Value]>, nx: boolean): boolean {
  if (nx) {
    for (const [key] of pairs) if (ks.find(key) !== undefined) return false;
  }
  const record: Arg[] = ['MSET'];
  for (const [key, value] of pairs) {
    store(ks, key, ks.lookupWrite(key), value, false);
    record.push(key, value);
  }
  ks.propagate(record);
  return true;
}

export function getset(ks: Keyspace, key: string, value: Value): Value | null {
  const entry = ks.lookupWrite(key);
  const previous = entry === undefined ? null : copyValue(stringOf(entry));
  store(ks, key, entry, value, false);
  ks.propagate(['SET', key, value]);
  return previous;
}

export function getdel(ks: Keyspace, key: string): Value | null {
  const entry = ks.lookupWrite(key);
  if (entry === undefined) return null;
  const value = copyValue(stringOf(entry));
  ks.remove(entry);
  ks.propagate(['DEL', key]);
  return value;
}

/** GETEX's TTL change: none, remove it (PERSIST), or set one from `amount` in the given unit. */
export interface GetexExpiry {
  persist: boolean;
  /** 0 when no time was given. */
  amount: number;
  unitMs: number;
  relative: boolean;
}

export const GETEX_KEEP: GetexExpiry = { persist: false, amount: 0, unitMs: 1, relative: false };

/**
 * GETEX: the value, and then the TTL change. As in Redis, the time is validated only once the key
 * is known to hold a string, and an EXAT/PXAT time already past deletes the key.
 */
export function getex(ks: Keyspace, key: string, expiry: GetexExpiry): Value | null {
  const entry = ks.lookupRead(key);
  if (entry === undefined) return null;
  const value = copyValue(stringOf(entry));
  if (expiry.amount !== 0) {
    const expireAt = optionExpireAt(expiry.amount, expiry.unitMs, expiry.relative, ks.now(), 'getex');
    if (!expiry.relative && expireAt <= ks.now() && !ks.loading) {
      ks.remove(entry);
      ks.propagate(['DEL', key]);
    } else {
      ks.setExpiry(entry, expireAt);
      ks.propagate(['PEXPIREAT', key, expireAt]);
    }
  } else if (expiry.persist && ks.clearExpiry(entry)) {
    ks.propagate(['PERSIST', key]);
  }
  return value;
}

// -----------------------------------------------------------------------------------------------
// Byte-level commands

export function append(ks: Keyspace, key: string, suffix: Value): number {
  const entry = ks.lookupWrite(key);
  if (entry === undefined) {
    ks.add(key, TYPE_STRING, suffix, valueBytes(suffix));
    ks.propagate(['APPEND', key, suffix]);
    return byteLength(suffix);
  }
  const current = stringOf(entry);
  const total = byteLength(current) + byteLength(suffix);
  if (total > STRING_BYTES_MAX) throw stringTooLong();
  const joined =
    typeof current === 'string' && typeof suffix === 'string'
      ? current + suffix
      : concatBytes(toBytes(current), toBytes(suffix));
  ks.resize(entry, valueBytes(joined) - valueBytes(current));
  entry.value = joined;
  ks.propagate(['APPEND', key, suffix]);
  return total;
}

export function strlen(ks: Keyspace, key: string): number {
  const entry = ks.lookupRead(key);
  return entry === undefined ? 0 : byteLength(stringOf(entry));
}

/** GETRANGE: bytes start..end inclusive, negative indexes from the end, as Redis clamps them. */
export function getrange(ks: Keyspace, key: string, start: number, end: number): Value {
  const entry = ks.lookupRead(key);
  if (entry === undefined) return '';
  const value = stringOf(entry);
  const length = byteLength(value);
  if (start < 0 && end < 0 && start > end) return '';
  if (start < 0) start = length + start;
  if (end < 0) end = length + end;
  if (start < 0) start = 0;
  if (end < 0) end = 0;
  if (end >= length) end = length - 1;
  if (start > end || length === 0) return '';
  if (typeof value === 'string') {
    // All-ASCII strings slice directly; otherwise slice the UTF-8 bytes.
    if (length === value.length) return value.slice(start, end + 1);
    const slice = toBytes(value).subarray(start, end + 1);
    return decodeUtf8(slice) ?? slice.slice();
  }
  return value.slice(start, end + 1);
}

/** SETRANGE: overwrites bytes from offset, zero-padding as needed; returns the new length. */
export function setrange(ks: Keyspace, key: string, offset: number, patch: Value): number {
  if (offset < 0) throw new ReplyError('ERR offset is out of range');
  const patchLength = byteLength(patch);
  const entry = ks.lookupWrite(key);
  const current = entry === undefined ? null : stringOf(entry);
  const currentLength = current === null ? 0 : byteLength(current);
  if (patchLength === 0) return currentLength;
  if (offset + patchLength > STRING_BYTES_MAX) throw stringTooLong();
  const bytes = new Uint8Array(Math.max(currentLength, offset + patchLength));
  if (current !== null) bytes.set(toBytes(current), 0);
  bytes.set(toBytes(patch), offset);
  const asText = (current === null || typeof current === 'string') && typeof patch === 'string' ? decodeUtf8(bytes) : null;
  const value: Value = asText ?? bytes;
  store(ks, key, entry, value, true);
  ks.propagate(['SETRANGE', key, offset, patch]);
  return bytes.byteLength;
}

// -----------------------------------------------------------------------------------------------
// Counters

function notInteger(): ReplyError {
  return new ReplyError(ErrorText.notInteger);
}

/**
 * INCRBY (and INCR DECR DECRBY): adds a 64-bit integer. Exact across the whole int64 range: the
 * common case is plain number arithmetic; values beyond 2^53 take a BigInt path. The reply is a JS
 * number, so it is rounded beyond 2^53; the stored value is exact.
 */
export function incrby(ks: Keyspace, key: string, increment: number | bigint): number {
  const entry = ks.lookupWrite(key);
  let text = '0';
  if (entry !== undefined) text = valueText(stringOf(entry));
  const current = entry === undefined ? 0 : parseInteger(text);
  if (current === null) throw notInteger();
  const sum = addInt64(text, current, increment);
  if (sum === null) throw new ReplyError(ErrorText.overflow);
  store(ks, key, entry, sum.text, true);
  ks.propagate(['INCRBY', key, typeof increment === 'bigint' ? increment.toString() : increment]);
  return sum.value;
}

/** INCRBYFLOAT: long double arithmetic and formatting exactly as Redis; logs the result as a SET. */
export function incrbyfloat(ks: Keyspace, key: string, incrementText: string): string {
  const entry = ks.lookupWrite(key);
  const current = entry === undefined ? parseLongDouble('0') : parseLongDouble(valueText(stringOf(entry)));
  const increment = parseLongDouble(incrementText);
  if (current === null || increment === null) throw new ReplyError(ErrorText.notFloat);
  const sum = addLongDouble(current, increment);
  if (!isFiniteLongDouble(sum)) throw new ReplyError(ErrorText.nanOrInfinity);
  const resultText = formatLongDoubleHuman(sum);
  store(ks, key, entry, resultText, true);
  ks.propagate(['SET', key, resultText, 'KEEPTTL']);
  return resultText;
}

// -----------------------------------------------------------------------------------------------
// Argument parsing for `store.call`

/** Options of SET and GETEX as given: the TTL is still a raw amount. */
interface ExtendedOptions extends GetexExpiry {
  flags: number;
}

/** SET's and GETEX's option parser, after Redis's parseExtendedStringArgumentsOrReply. */
function parseExtendedOptions(args: Arg[], from: number, forSet: boolean): ExtendedOptions {
  let flags = 0;
  let persist = false;
  let expireKind = '';
  let expireArg: Arg | undefined;
  for (let i = from; i < args.length; i++) {
    const option = keywordArg(args[i]);
    const hasNext = i + 1 < args.length;
    if (forSet && option === 'NX' && (flags & SET_XX) === 0) flags |= SET_NX;
    else if (forSet && option === 'XX' && (flags & SET_NX) === 0) flags |= SET_XX;
    else if (forSet && option === 'GET') flags |= SET_GET;
    else if (forSet && option === 'KEEPTTL' && expireKind === '') flags |= SET_KEEPTTL;
    else if (!forSet && option === 'PERSIST' && expireKind === '') persist = true;
    else if (
      (option === 'EX' || option === 'PX' || option === 'EXAT' || option === 'PXAT') &&
      (flags & SET_KEEPTTL) === 0 &&
      !persist &&
      (expireKind === '' || expireKind === option) &&
      hasNext
    ) {
      expireKind = option;
      expireArg = args[++i];
    } else {
      throw new ReplyError(ErrorText.syntax);
    }
  }
  const amount = expireArg === undefined ? 0 : integerArg(expireArg);
  const unitMs = expireKind === 'EX' || expireKind === 'EXAT' ? MS_PER_SECOND : 1;
  const relative = expireKind === 'EX' || expireKind === 'PX';
  // A zero amount is invalid, but 0 means "no time" below: make it an invalid negative one.
  return { flags, persist, amount: expireArg !== undefined && amount === 0 ? -1 : amount, unitMs, relative };
}

function pairsFrom(args: Arg[], name: string): Array<[string, Value]> {
  if (args.length % 2 !== 0) throw new ReplyError(`ERR wrong number of arguments for '${name}' command`);
  const pairs: Array<[string, Value]> = [];
  for (let i = 0; i < args.length; i += 2) pairs.push([keyArg(args[i]), copyValue(valueArg(args[i + 1]))]);
  return pairs;
}

/** An integer argument exact to 64 bits: a number when safe, a bigint beyond. */
function int64Arg(arg: Arg): number | bigint {
  const approximate = integerArg(arg);
  if (Number.isSafeInteger(approximate)) return approximate;
  const exact = typeof arg === 'number' ? BigInt(arg) : parseInt64(textArg(arg));
  if (exact === null) throw notInteger();
  return exact;
}

function setexCommand(ks: Keyspace, args: Arg[], unitMs: number, name: string): Reply {
  const expireAt = optionExpireAt(integerArg(args[1]), unitMs, true, ks.now(), name);
  return set(ks, keyArg(args[0]), copyValue(valueArg(args[2])), 0, expireAt);
}

// -----------------------------------------------------------------------------------------------
// The command table's entries

export const stringCommands: CommandSpec[] = [
  command('get', 2, ['fast'], [1, 1, 1], (ks, args) => get(ks, keyArg(args[0]))),
  command('set', -3, ['write', 'denyoom', 'fast'], [1, 1, 1], (ks, args) => {
    if (args.length === 2) return set(ks, keyArg(args[0]), copyValue(valueArg(args[1])), 0, 0);
    const options = parseExtendedOptions(args, 2, true);
    const expireAt =
      options.amount === 0 ? 0 : optionExpireAt(options.amount, options.unitMs, options.relative, ks.now(), 'set');
    return set(ks, keyArg(args[0]), copyValue(valueArg(args[1])), options.flags, expireAt);
  }),
  command('setnx', 3, ['write', 'denyoom', 'fast'], [1, 1, 1], (ks, args) =>
    set(ks, keyArg(args[0]), copyValue(valueArg(args[1])), SET_NX, 0) === null ? 0 : 1,
  ),
  command('setex', 4, ['write', 'denyoom', 'fast'], [1, 1, 1], (ks, args) => setexCommand(ks, args, MS_PER_SECOND, 'setex')),
  command('psetex', 4, ['write', 'denyoom', 'fast'], [1, 1, 1], (ks, args) => setexCommand(ks, args, 1, 'psetex')),
  command('mget', -2, ['fast'], [1, -1, 1], (ks, args) => mget(ks, args.map(keyArg))),
  command('mset', -3, ['write', 'denyoom'], [1, -1, 2], (ks, args) => {
    mset(ks, pairsFrom(args, 'mset'), false);
    return 'OK';
  }),
  command('msetnx', -3, ['write', 'denyoom'], [1, -1, 2], (ks, args) =>
    mset(ks, pairsFrom(args, 'msetnx'), true) ? 1 : 0,
  ),
  command('getset', 3, ['write', 'denyoom', 'fast'], [1, 1, 1], (ks, args) =>
    getset(ks, keyArg(args[0]), copyValue(valueArg(args[1]))),
  ),
  command('getdel', 2, ['write', 'fast'], [1, 1, 1], (ks, args) => getdel(ks, keyArg(args[0]))),
  command('getex', -2, ['write', 'fast'], [1, 1, 1], (ks, args) =>
    getex(ks, keyArg(args[0]), parseExtendedOptions(args, 1, false)),
  ),
  command('append', 3, ['write', 'denyoom', 'fast'], [1, 1, 1], (ks, args) =>
    append(ks, keyArg(args[0]), copyValue(valueArg(args[1]))),
  ),
  command('strlen', 2, ['fast'], [1, 1, 1], (ks, args) => strlen(ks, keyArg(args[0]))),
  command('incr', 2, ['write', 'denyoom', 'fast'], [1, 1, 1], (ks, args) => incrby(ks, keyArg(args[0]), 1)),
  command('decr', 2, ['write', 'denyoom', 'fast'], [1, 1, 1], (ks, args) => incrby(ks, keyArg(args[0]), -1)),
  command('incrby', 3, ['write', 'denyoom', 'fast'], [1, 1, 1], (ks, args) =>
    incrby(ks, keyArg(args[0]), int64Arg(args[1])),
  ),
  command('decrby', 3, ['write', 'denyoom', 'fast'], [1, 1, 1], (ks, args) => {
    const decrement = int64Arg(args[1]);
    if (decrement === INT64_MIN) throw new ReplyError('ERR decrement would overflow');
    return incrby(ks, keyArg(args[0]), typeof decrement === 'bigint' ? -decrement : -decrement);
  }),
  command('incrbyfloat', 3, ['write', 'denyoom', 'fast'], [1, 1, 1], (ks, args) =>
    incrbyfloat(ks, keyArg(args[0]), textArg(args[1])),
  ),
  command('getrange', 4, [], [1, 1, 1], (ks, args) =>
    getrange(ks, keyArg(args[0]), integerArg(args[1]), integerArg(args[2])),
  ),
  command('setrange', 4, ['write', 'denyoom'], [1, 1, 1], (ks, args) =>
    setrange(ks, keyArg(args[0]), integerArg(args[1]), copyValue(valueArg(args[2]))),
  ),
];
