// Commands on keys of any type (Redis db.c and expire.c): DEL UNLINK EXISTS TOUCH TYPE RENAME
// RENAMENX COPY KEYS SCAN RANDOMKEY DBSIZE FLUSHALL, and the TTL family EXPIRE PEXPIRE EXPIREAT
// PEXPIREAT EXPIRETIME PEXPIRETIME TTL PTTL PERSIST.
//
// SCAN's cursor is a slot number of the keyspace (see keyspace.ts): the walk only moves forward and
// a key never changes slot while it exists, which is what gives SCAN its guarantee.

import { command, type CommandSpec } from '../command-spec.ts';
import { ReplyError } from '../errors.ts';
import type { Arg, Reply } from '../types.ts';
import { ErrorText, integerArg, keyArg, keywordArg, textArg } from './args.ts';
import { compileGlob } from './glob.ts';
import { cloneHash } from './hash.ts';
import {
  type Entry,
  type EntryValue,
  type HashValue,
  type Keyspace,
  TYPE_HASH,
  TYPE_NAMES,
  TYPE_STRING,
  type TypeName,
} from './keyspace.ts';
import { ENTRY_BYTES, VOLATILE_BYTES, textBytes } from './memory.ts';
import { MS_PER_SECOND, commandExpireAt } from './ttl.ts';
import { SlotMap } from './slot-map.ts';
import { ZSet, structureBytes } from './zset.ts';

// -----------------------------------------------------------------------------------------------
// Existence and deletion

/** DEL and UNLINK: how many of the keys existed. */
export function del(ks: Keyspace, keys: readonly string[]): number {
  let deleted = 0;
  for (const key of keys) {
    const entry = ks.find(key);
    if (entry === undefined) continue;
    ks.remove(entry);
    ks.propagate(['DEL', key]);
    deleted++;
  }
  return deleted;
}

/** EXISTS: how many of the keys exist, counting repeats. */
export function exists(ks: Keyspace, keys: readonly string[]): number {
  let count = 0;
  for (const key of keys) {
    const entry = ks.find(key);
    if (entry === undefined) ks.stats.misses++;
    else {
      ks.stats.hits++;
      count++;
    }
  }
  return count;
}

/** TOUCH: like EXISTS, and counts as an access for eviction. */
export function touch(ks: Keyspace, keys: readonly string[]): number {
  let count = 0;
  for (const key of keys) if (ks.lookupRead(key) !== undefined) count++;
  return count;
}

export function type(ks: Keyspace, key: string): TypeName | 'none' {
  const entry = ks.find(key);
  return entry === undefined ? 'none' : TYPE_NAMES[entry.type];
}

export function dbsize(ks: Keyspace): number {
  return ks.size;
}

export function flushall(ks: Keyspace): void {
  ks.flush();
  ks.propagate(['FLUSHALL']);
}

// -----------------------------------------------------------------------------------------------
// Renames and copies

/** A deep copy of a value, for COPY; string values are immutable and shared. */
export function cloneValue(entry: Entry): EntryValue {
  if (entry.type === TYPE_STRING) return entry.value;
  if (entry.type === TYPE_HASH) return cloneHash(entry.value as HashValue);
  return (entry.value as ZSet).clone();
}

/** The part of a value's estimate that depends on its structures' state, not its elements. */
function structureBytesOf(value: EntryValue): number {
  if (value instanceof SlotMap) return value.indexBytes;
  if (value instanceof ZSet) return structureBytes(value);
  return 0;
}

/** The value-only part of an entry's size estimate. */
function valueBytesOf(entry: Entry): number {
  return entry.bytes - ENTRY_BYTES - textBytes(entry.key) - (entry.volatileSlot === -1 ? 0 : VOLATILE_BYTES);
}

/** RENAME (nx false) and RENAMENX (nx true): false when NX found the target taken. */
export function rename(ks: Keyspace, source: string, target: string, nx: boolean): boolean {
  const entry = ks.lookupWrite(source);
  if (entry === undefined) throw new ReplyError(ErrorText.noSuchKey);
  if (source === target) return !nx;
  const existing = ks.lookupWrite(target);
  if (existing !== undefined) {
    if (nx) return false;
    ks.remove(existing);
  }
  const expiresAt = entry.expiresAt;
  ks.remove(entry);
  const moved = ks.add(target, entry.type, entry.value, valueBytesOf(entry));
  if (expiresAt !== 0) ks.setExpiry(moved, expiresAt);
  ks.propagate([nx ? 'RENAMENX' : 'RENAME', source, target]);
  return true;
}

/** COPY: false when the source is missing or the target exists without `replace`. */
export function copy(ks: Keyspace, source: string, target: string, replace: boolean): boolean {
  if (source === target) throw new ReplyError('ERR source and destination objects are the same');
  const entry = ks.lookupRead(source);
  if (entry === undefined) return false;
  const existing = ks.lookupWrite(target);
  if (existing !== undefined) {
    if (!replace) return false;
    ks.remove(existing);
  }
  // A copy is built compact, so its structures may be smaller than the source's.
  ks.unpack(entry);
  const clone = cloneValue(entry);
  const copied = ks.add(target, entry.type, clone, valueBytesOf(entry) - structureBytesOf(entry.value) + structureBytesOf(clone));
  if (entry.expiresAt !== 0) ks.setExpiry(copied, entry.expiresAt);
  ks.propagate(replace ? ['COPY', source, target, 'REPLACE'] : ['COPY', source, target]);
  return true;
}

// -----------------------------------------------------------------------------------------------
// TTLs

export const EXPIRE_NX = 1;
export const EXPIRE_XX = 2;
export const EXPIRE_GT = 4;
export const EXPIRE_LT = 8;

/**
 * The EXPIRE family once the time is absolute (ms). Returns whether the TTL was set; a time
 * already past deletes the key (logged as DEL), as in Redis's expireGenericCommand.
 */
export function expireAt(ks: Keyspace, key: string, at: number, flags: number): boolean {
  const entry = ks.lookupWrite(key);
  if (entry === undefined) return false;
  const current = entry.expiresAt === 0 ? -1 : entry.expiresAt;
  if ((flags & EXPIRE_NX) !== 0 && current !== -1) return false;
  if ((flags & EXPIRE_XX) !== 0 && current === -1) return false;
  if ((flags & EXPIRE_GT) !== 0 && (at <= current || current === -1)) return false;
  if ((flags & EXPIRE_LT) !== 0 && current !== -1 && at >= current) return false;
  if (at <= ks.now() && !ks.loading) {
    ks.remove(entry);
    ks.propagate(['DEL', key]);
    return true;
  }
  ks.setExpiry(entry, at);
  ks.propagate(['PEXPIREAT', key, at]);
  return true;
}

/** TTL and PTTL (remaining) or EXPIRETIME and PEXPIRETIME (absolute): -2 missing, -1 no TTL. */
export function ttl(ks: Keyspace, key: string, unitMs: number, absolute: boolean): number {
  const entry = ks.find(key);
  if (entry === undefined) {
    ks.stats.misses++;
    return -2;
  }
  ks.stats.hits++;
  if (entry.expiresAt === 0) return -1;
  let remaining = absolute ? entry.expiresAt : entry.expiresAt - ks.now();
  if (remaining < 0) remaining = 0;
  return unitMs === 1 ? remaining : Math.floor((remaining + 500) / 1000);
}

export function persist(ks: Keyspace, key: string): boolean {
  const entry = ks.lookupWrite(key);
  if (entry === undefined || !ks.clearExpiry(entry)) return false;
  ks.propagate(['PERSIST', key]);
  return true;
}

// -----------------------------------------------------------------------------------------------
// Iteration

/** KEYS: every live key matching the pattern. O(n): SCAN is the one to use on a big keyspace. */
export function keys(ks: Keyspace, pattern: string): string[] {
  const matches = compileGlob(pattern);
  const now = ks.now();
  const found: string[] = [];
  for (const entry of ks.allEntries()) {
    if (entry.expiresAt !== 0 && entry.expiresAt <= now && !ks.loading) continue;
    if (matches(entry.key)) found.push(entry.key);
  }
  return found;
}

export interface ScanOptions {
  match?: string;
  count?: number;
  type?: string;
}

export interface ScanPage {
  /** '0' when the iteration is complete. */
  cursor: string;
  keys: string[];
}

/** Parses a SCAN cursor: a decimal slot number ('0' starts). */
export function parseCursor(cursor: string | number): number {
  const text = String(cursor);
  if (!/^\d+$/.test(text)) throw new ReplyError(ErrorText.invalidCursor);
  const slot = Number(text);
  if (!Number.isSafeInteger(slot)) throw new ReplyError(ErrorText.invalidCursor);
  return slot;
}

/**
 * SCAN: visits `count` live keys from the cursor's slot (or 10 times as many slots, if holes),
 * then filters by pattern and type and drops expired keys, as Redis does: a page may be empty
 * while the cursor is not '0'.
 */
export function scan(ks: Keyspace, cursor: number, options: ScanOptions): ScanPage {
  const count = options.count ?? 10;
  const matches = options.match === undefined ? null : compileGlob(options.match);
  const typeName = options.type?.toLowerCase();
  const slotCount = ks.slotCount;
  const candidates: Entry[] = [];
  let slot = cursor;
  let examined = 0;
  const examinedMax = count * 10;
  while (slot < slotCount && candidates.length < count && examined < examinedMax) {
    const entry = ks.entryAt(slot);
    if (entry !== null) candidates.push(entry);
    slot++;
    examined++;
  }
  const found: string[] = [];
  for (const entry of candidates) {
    if (matches !== null && !matches(entry.key)) continue;
    if (typeName !== undefined && TYPE_NAMES[entry.type] !== typeName) continue;
    if (ks.find(entry.key) === undefined) continue;
    found.push(entry.key);
  }
  return { cursor: slot >= slotCount ? '0' : String(slot), keys: found };
}

/** RANDOMKEY: a random live key, or null when there is none. */
export function randomkey(ks: Keyspace): string | null {
  // Expired keys found on the way are reclaimed; give up on the TTL check after enough tries so a
  // keyspace of only expired keys cannot loop forever.
  for (let attempt = 0; attempt < 100; attempt++) {
    const entry = ks.randomEntry();
    if (entry === undefined) return null;
    if (ks.find(entry.key) !== undefined) return entry.key;
  }
  return ks.randomEntry()?.key ?? null;
}

// -----------------------------------------------------------------------------------------------
// Argument parsing for `store.call`

function parseExpireFlags(args: Arg[], from: number): number {
  let flags = 0;
  for (let i = from; i < args.length; i++) {
    const option = keywordArg(args[i]);
    if (option === 'NX') flags |= EXPIRE_NX;
    else if (option === 'XX') flags |= EXPIRE_XX;
    else if (option === 'GT') flags |= EXPIRE_GT;
    else if (option === 'LT') flags |= EXPIRE_LT;
    else throw new ReplyError(`ERR Unsupported option ${textArg(args[i])}`);
  }
  if ((flags & EXPIRE_NX) !== 0 && (flags & (EXPIRE_XX | EXPIRE_GT | EXPIRE_LT)) !== 0) {
    throw new ReplyError('ERR NX and XX, GT or LT options at the same time are not compatible');
  }
  if ((flags & EXPIRE_GT) !== 0 && (flags & EXPIRE_LT) !== 0) {
    throw new ReplyError('ERR GT and LT options at the same time are not compatible');
  }
  return flags;
}

function expireCommand(ks: Keyspace, args: Arg[], unitMs: number, relative: boolean, name: string): Reply {
  const flags = parseExpireFlags(args, 2);
  const at = commandExpireAt(integerArg(args[1]), unitMs, relative ? ks.now() : 0, name);
  return expireAt(ks, keyArg(args[0]), at, flags) ? 1 : 0;
}

function parseScanOptions(args: Arg[], from: number): ScanOptions {
  const options: ScanOptions = {};
  for (let i = from; i < args.length; i += 2) {
    const option = keywordArg(args[i]);
    if (i + 1 >= args.length) throw new ReplyError(ErrorText.syntax);
    if (option === 'COUNT') {
      const count = integerArg(args[i + 1]);
      if (count < 1) throw new ReplyError(ErrorText.syntax);
      options.count = count;
    } else if (option === 'MATCH') options.match = textArg(args[i + 1]);
    else if (option === 'TYPE') options.type = textArg(args[i + 1]);
    else throw new ReplyError(ErrorText.syntax);
  }
  return options;
}

export const keyCommands: CommandSpec[] = [
  command('del', -2, ['write'], [1, -1, 1], (ks, args) => del(ks, args.map(keyArg))),
  command('unlink', -2, ['write', 'fast'], [1, -1, 1], (ks, args) => del(ks, args.map(keyArg))),
  command('exists', -2, ['fast'], [1, -1, 1], (ks, args) => exists(ks, args.map(keyArg))),
  command('touch', -2, ['fast'], [1, -1, 1], (ks, args) => touch(ks, args.map(keyArg))),
  command('type', 2, ['fast'], [1, 1, 1], (ks, args) => type(ks, keyArg(args[0]))),
  command('dbsize', 1, ['fast'], [0, 0, 0], (ks) => dbsize(ks)),
  command('flushall', -1, ['write'], [0, 0, 0], (ks, args) => {
    if (args.length > 1) throw new ReplyError(ErrorText.syntax);
    if (args.length === 1 && !['ASYNC', 'SYNC'].includes(keywordArg(args[0]))) throw new ReplyError(ErrorText.syntax);
    flushall(ks);
    return 'OK';
  }),
  command('rename', 3, ['write', 'fast'], [1, 2, 1], (ks, args) => {
    rename(ks, keyArg(args[0]), keyArg(args[1]), false);
    return 'OK';
  }),
  command('renamenx', 3, ['write', 'fast'], [1, 2, 1], (ks, args) =>
    rename(ks, keyArg(args[0]), keyArg(args[1]), true) ? 1 : 0,
  ),
  command('copy', -3, ['write', 'denyoom'], [1, 2, 1], (ks, args) => {
    let replace = false;
    for (let i = 2; i < args.length; i++) {
      const option = keywordArg(args[i]);
      if (option === 'REPLACE') replace = true;
      else if (option === 'DB' && i + 1 < args.length) {
        // One database: DB 0 is this one; any other is out of range, as in a Redis with `databases 1`.
        if (integerArg(args[++i]) !== 0) throw new ReplyError('ERR DB index is out of range');
      } else throw new ReplyError(ErrorText.syntax);
    }
    return copy(ks, keyArg(args[0]), keyArg(args[1]), replace) ? 1 : 0;
  }),
  command('expire', -3, ['write', 'fast'], [1, 1, 1], (ks, args) => expireCommand(ks, args, MS_PER_SECOND, true, 'expire')),
  command('pexpire', -3, ['write', 'fast'], [1, 1, 1], (ks, args) => expireCommand(ks, args, 1, true, 'pexpire')),
  command('expireat', -3, ['write', 'fast'], [1, 1, 1], (ks, args) =>
    expireCommand(ks, args, MS_PER_SECOND, false, 'expireat'),
  ),
  command('pexpireat', -3, ['write', 'fast'], [1, 1, 1], (ks, args) => expireCommand(ks, args, 1, false, 'pexpireat')),
  command('ttl', 2, ['fast'], [1, 1, 1], (ks, args) => ttl(ks, keyArg(args[0]), MS_PER_SECOND, false)),
  command('pttl', 2, ['fast'], [1, 1, 1], (ks, args) => ttl(ks, keyArg(args[0]), 1, false)),
  command('expiretime', 2, ['fast'], [1, 1, 1], (ks, args) => ttl(ks, keyArg(args[0]), MS_PER_SECOND, true)),
  command('pexpiretime', 2, ['fast'], [1, 1, 1], (ks, args) => ttl(ks, keyArg(args[0]), 1, true)),
  command('persist', 2, ['write', 'fast'], [1, 1, 1], (ks, args) => (persist(ks, keyArg(args[0])) ? 1 : 0)),
  command('keys', 2, [], [0, 0, 0], (ks, args) => keys(ks, textArg(args[0]))),
  command('scan', -2, [], [0, 0, 0], (ks, args) => {
    const page = scan(ks, parseCursor(textArg(args[0])), parseScanOptions(args, 1));
    return [page.cursor, page.keys];
  }),
  command('randomkey', 1, [], [0, 0, 0], (ks) => randomkey(ks)),
];

