// The Store: one keyspace, the command table over it, and (when a directory is given) its
// persistence. Commands are synchronous and do no I/O: the keyspace is in memory, and a Promise per
// GET would cost more than the GET. Only what does I/O or waits is async (open, close, flush).
//
// Two faces over one implementation of each command:
//   call(name, ...args)   Redis's interface: string/number/bytes arguments, RESP2-shaped replies,
//                         Redis's error texts. Parses arguments, then runs the command's function.
//   typed methods         get/set/hset/zadd/...: JS options and results, calling the same function.
// Every command passes the same gate first (enter()): closed store, refused writes, statistics.

import { EventEmitter } from 'node:events';
import { checkArity, commandFor, findCommand } from './commands.ts';
import type { CommandSpec } from './command-spec.ts';
import { ClosedError, ReplyError } from './errors.ts';
import { ErrorText } from './keyspace/args.ts';
import { ActiveExpiry } from './keyspace/expire.ts';
import * as keys from './keyspace/keys.ts';
import { Keyspace, type TypeName } from './keyspace/keyspace.ts';
import * as strings from './keyspace/string.ts';
import { MS_PER_SECOND, commandExpireAt, optionExpireAt } from './keyspace/ttl.ts';
import type { Arg, Reply, Value } from './types.ts';

export interface StoreOptions {
  /** Milliseconds since the epoch; tests pass a fake clock. Default Date.now. */
  clock?: () => number;
  /** Reclaim expired keys in the background, not only when read. Default true. */
  activeExpiry?: boolean;
}

export interface SetOptions {
  /** Expire after this many seconds. */
  ex?: number;
  /** Expire after this many milliseconds. */
  px?: number;
  /** Expire at this Unix time, in seconds. */
  exat?: number;
  /** Expire at this Unix time, in milliseconds. */
  pxat?: number;
  /** Only set if the key does not exist. */
  nx?: boolean;
  /** Only set if the key exists. */
  xx?: boolean;
  /** Keep the key's current TTL. */
  keepTtl?: boolean;
  /** Return the old value instead of 'OK'. */
  get?: boolean;
}

export interface GetexOptions {
  ex?: number;
  px?: number;
  exat?: number;
  pxat?: number;
  /** Remove the TTL. */
  persist?: boolean;
}

export interface ExpireOptions {
  /** Only if the key has no TTL. */
  nx?: boolean;
  /** Only if the key has a TTL. */
  xx?: boolean;
  /** Only if the new expiry is later than the current one. */
  gt?: boolean;
  /** Only if the new expiry is sooner than the current one. */
  lt?: boolean;
}

export interface ScanIteratorOptions {
  match?: string;
  type?: TypeName;
  /** Keys looked at per step; default 100. */
  count?: number;
}

const GET = command('get');
const SET = command('set');
const SETNX = command('setnx');
const MGET = command('mget');
const MSET = command('mset');
const MSETNX = command('msetnx');
const GETSET = command('getset');
const GETDEL = command('getdel');
const GETEX = command('getex');
const APPEND = command('append');
const STRLEN = command('strlen');
const INCRBY = command('incrby');
const INCRBYFLOAT = command('incrbyfloat');
const GETRANGE = command('getrange');
const SETRANGE = command('setrange');
const DEL = command('del');
const UNLINK = command('unlink');
const EXISTS = command('exists');
const TOUCH = command('touch');
const TYPE = command('type');
const DBSIZE = command('dbsize');
const FLUSHALL = command('flushall');
const RENAME = command('rename');
const RENAMENX = command('renamenx');
const COPY = command('copy');
const PEXPIREAT = command('pexpireat');
const TTL = command('ttl');
const PERSIST = command('persist');
const KEYS = command('keys');
const SCAN = command('scan');
const RANDOMKEY = command('randomkey');

function command(name: string): CommandSpec {
  const spec = findCommand(name);
  if (spec === undefined) throw new Error(`command table has no ${name}`);
  return spec;
}

function checkKey(key: string): string {
  if (typeof key !== 'string') throw new TypeError(`keys are strings, got ${typeof key}`);
  return key;
}

function checkValue(value: Value): Value {
  if (typeof value === 'string') return value;
  if (value instanceof Uint8Array) return value.slice();
  throw new TypeError(`values are strings or Uint8Arrays, got ${typeof value}`);
}

/** Exactly one of the time options, in ms, or 0 when none; Redis's syntax error for several. */
function expiryOption(
  options: { ex?: number; px?: number; exat?: number; pxat?: number },
  now: number,
  name: string,
): number {
  let at = 0;
  let given = 0;
  if (options.ex !== undefined) (given++, (at = optionExpireAt(options.ex, MS_PER_SECOND, true, now, name)));
  if (options.px !== undefined) (given++, (at = optionExpireAt(options.px, 1, true, now, name)));
  if (options.exat !== undefined) (given++, (at = optionExpireAt(options.exat, MS_PER_SECOND, false, now, name)));
  if (options.pxat !== undefined) (given++, (at = optionExpireAt(options.pxat, 1, false, now, name)));
  if (given > 1) throw new ReplyError(ErrorText.syntax);
  return at;
}

export class Store extends EventEmitter {
  /** The keyspace; internal, exposed for persistence and tests. */
  readonly ks: Keyspace;
  private closed = false;
  /** When set, write commands are refused with this message (MISCONF-style). */
  private writesRefused: string | null = null;
  private readonly activeExpiry: ActiveExpiry;
  /** Commands run since open (INFO's total_commands_processed). */
  commandsProcessed = 0;

  constructor(options: StoreOptions = {}) {
    super();
    this.ks = new Keyspace(options.clock ?? Date.now);
    this.activeExpiry = new ActiveExpiry(this.ks);
    if (options.activeExpiry !== false) this.activeExpiry.start();
  }

  // ---------------------------------------------------------------------------------------------
  // The gate and Redis's interface

  /** Every command passes here first. */
  private enter(spec: CommandSpec): void {
    if (this.closed) throw new ClosedError(`run ${spec.name.toUpperCase()}`);
    if (spec.write && this.writesRefused !== null) throw new ReplyError(this.writesRefused);
    this.commandsProcessed++;
  }

  /**
   * Runs a command by name with Redis's arguments and replies: integers as numbers, bulk strings as
   * the stored string or Uint8Array, nil as null, arrays as arrays. Throws ReplyError with Redis's
   * text on any error, having changed nothing.
   */
  call(name: string, ...args: Arg[]): Reply {
    const spec = commandFor(name, args);
    checkArity(spec, args.length);
    this.enter(spec);
    return spec.run(this.ks, args);
  }

  /** Refuses writes with `message` until allowWrites() (persistence failures). */
  refuseWrites(message: string): void {
    this.writesRefused = message;
  }

  allowWrites(): void {
    this.writesRefused = null;
  }

  /** Runs one active expiry pass now; for tests that drive time themselves. */
  expireNow(budgetMs = Number.POSITIVE_INFINITY): void {
    this.activeExpiry.run(budgetMs);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.activeExpiry.stop();
  }

  get isClosed(): boolean {
    return this.closed;
  }

  // ---------------------------------------------------------------------------------------------
  // Strings

  get(key: string): Value | null {
    this.enter(GET);
    return strings.get(this.ks, checkKey(key));
  }

  set(key: string, value: Value, options: SetOptions & { get: true }): Value | null;
  set(key: string, value: Value, options?: SetOptions): 'OK' | null;
  set(key: string, value: Value, options?: SetOptions): Value | 'OK' | null {
    this.enter(SET);
    checkKey(key);
    const stored = checkValue(value);
    if (options === undefined) return strings.set(this.ks, key, stored, 0, 0);
    let flags = 0;
    if (options.nx) flags |= strings.SET_NX;
    if (options.xx) flags |= strings.SET_XX;
    if (options.get) flags |= strings.SET_GET;
    if (options.keepTtl) flags |= strings.SET_KEEPTTL;
    const expireAt = expiryOption(options, this.ks.now(), 'set');
    if ((options.nx && options.xx) || (options.keepTtl && expireAt !== 0)) throw new ReplyError(ErrorText.syntax);
    return strings.set(this.ks, key, stored, flags, expireAt);
  }

  /** SETNX: true when the key was set. */
  setnx(key: string, value: Value): boolean {
    this.enter(SETNX);
    return strings.set(this.ks, checkKey(key), checkValue(value), strings.SET_NX, 0) !== null;
  }

  setex(key: string, seconds: number, value: Value): 'OK' {
    return this.set(key, value, { ex: seconds }) as 'OK';
  }

  psetex(key: string, milliseconds: number, value: Value): 'OK' {
    return this.set(key, value, { px: milliseconds }) as 'OK';
  }

  mget(...keyList: string[]): Array<Value | null> {
    this.enter(MGET);
    return strings.mget(this.ks, keyList.map(checkKey));
  }

  /** MSET from an object or from [key, value] pairs. */
  mset(entries: Record<string, Value> | Iterable<readonly [string, Value]>): 'OK' {
    this.enter(MSET);
    strings.mset(this.ks, pairsOf(entries), false);
    return 'OK';
  }

  /** MSETNX: true when all keys were set (none existed). */
  msetnx(entries: Record<string, Value> | Iterable<readonly [string, Value]>): boolean {
    this.enter(MSETNX);
    return strings.mset(this.ks, pairsOf(entries), true);
  }

  getset(key: string, value: Value): Value | null {
    this.enter(GETSET);
    return (strings.getset(this.ks, checkKey(key), checkValue(value)));
  }

  getdel(key: string): Value | null {
    this.enter(GETDEL);
    return (strings.getdel(this.ks, checkKey(key)));
  }

  getex(key: string, options: GetexOptions = {}): Value | null {
    this.enter(GETEX);
    checkKey(key);
    const given = [options.ex, options.px, options.exat, options.pxat].filter((t) => t !== undefined).length;
    if (given > 1 || (given === 1 && options.persist)) throw new ReplyError(ErrorText.syntax);
    let expiry = strings.GETEX_KEEP;
    if (options.persist) expiry = { ...expiry, persist: true };
    else if (options.ex !== undefined) expiry = { persist: false, amount: options.ex || -1, unitMs: MS_PER_SECOND, relative: true };
    else if (options.px !== undefined) expiry = { persist: false, amount: options.px || -1, unitMs: 1, relative: true };
    else if (options.exat !== undefined) expiry = { persist: false, amount: options.exat || -1, unitMs: MS_PER_SECOND, relative: false };
    else if (options.pxat !== undefined) expiry = { persist: false, amount: options.pxat || -1, unitMs: 1, relative: false };
    return strings.getex(this.ks, key, expiry);
  }

  append(key: string, value: Value): number {
    this.enter(APPEND);
    return strings.append(this.ks, checkKey(key), checkValue(value));
  }

  strlen(key: string): number {
    this.enter(STRLEN);
    return strings.strlen(this.ks, checkKey(key));
  }

  incr(key: string): number {
    return this.incrby(key, 1);
  }

  decr(key: string): number {
    return this.incrby(key, -1);
  }

  /** INCRBY: `increment` is an integer (a bigint for values beyond 2^53). */
  incrby(key: string, increment: number | bigint): number {
    this.enter(INCRBY);
    if (typeof increment === 'number' && !Number.isSafeInteger(increment)) throw new ReplyError(ErrorText.notInteger);
    return strings.incrby(this.ks, checkKey(key), increment);
  }

  decrby(key: string, decrement: number | bigint): number {
    return this.incrby(key, typeof decrement === 'bigint' ? -decrement : -decrement);
  }

  /** INCRBYFLOAT: Redis's long double arithmetic; returns the new value as a number. */
  incrbyfloat(key: string, increment: number | string): number {
    this.enter(INCRBYFLOAT);
    return Number(strings.incrbyfloat(this.ks, checkKey(key), String(increment)));
  }

  getrange(key: string, start: number, end: number): Value {
    this.enter(GETRANGE);
    return strings.getrange(this.ks, checkKey(key), integer(start), integer(end));
  }

  setrange(key: string, offset: number, value: Value): number {
    this.enter(SETRANGE);
    return strings.setrange(this.ks, checkKey(key), integer(offset), checkValue(value));
  }

  // ---------------------------------------------------------------------------------------------
  // Keys

  del(...keyList: string[]): number {
    this.enter(DEL);
    return keys.del(this.ks, keyList.map(checkKey));
  }

  /** UNLINK: DEL; memory is reclaimed by the garbage collector in the background either way. */
  unlink(...keyList: string[]): number {
    this.enter(UNLINK);
    return keys.del(this.ks, keyList.map(checkKey));
  }

  exists(...keyList: string[]): number {
    this.enter(EXISTS);
    return keys.exists(this.ks, keyList.map(checkKey));
  }

  touch(...keyList: string[]): number {
    this.enter(TOUCH);
    return keys.touch(this.ks, keyList.map(checkKey));
  }

  type(key: string): TypeName | 'none' {
    this.enter(TYPE);
    return keys.type(this.ks, checkKey(key));
  }

  dbsize(): number {
    this.enter(DBSIZE);
    return keys.dbsize(this.ks);
  }

  flushall(): 'OK' {
    this.enter(FLUSHALL);
    keys.flushall(this.ks);
    return 'OK';
  }

  rename(source: string, target: string): 'OK' {
    this.enter(RENAME);
    keys.rename(this.ks, checkKey(source), checkKey(target), false);
    return 'OK';
  }

  renamenx(source: string, target: string): boolean {
    this.enter(RENAMENX);
    return keys.rename(this.ks, checkKey(source), checkKey(target), true);
  }

  copy(source: string, target: string, options: { replace?: boolean } = {}): boolean {
    this.enter(COPY);
    return keys.copy(this.ks, checkKey(source), checkKey(target), options.replace === true);
  }

  /** EXPIRE: true when the TTL was set (or the key deleted by a time already past). */
  expire(key: string, seconds: number, options?: ExpireOptions): boolean {
    return this.expireGeneric(key, seconds, MS_PER_SECOND, true, options, 'expire');
  }

  pexpire(key: string, milliseconds: number, options?: ExpireOptions): boolean {
    return this.expireGeneric(key, milliseconds, 1, true, options, 'pexpire');
  }

  expireat(key: string, unixSeconds: number, options?: ExpireOptions): boolean {
    return this.expireGeneric(key, unixSeconds, MS_PER_SECOND, false, options, 'expireat');
  }

  pexpireat(key: string, unixMilliseconds: number, options?: ExpireOptions): boolean {
    return this.expireGeneric(key, unixMilliseconds, 1, false, options, 'pexpireat');
  }

  private expireGeneric(
    key: string,
    amount: number,
    unitMs: number,
    relative: boolean,
    options: ExpireOptions | undefined,
    name: string,
  ): boolean {
    this.enter(PEXPIREAT);
    checkKey(key);
    let flags = 0;
    if (options?.nx) flags |= keys.EXPIRE_NX;
    if (options?.xx) flags |= keys.EXPIRE_XX;
    if (options?.gt) flags |= keys.EXPIRE_GT;
    if (options?.lt) flags |= keys.EXPIRE_LT;
    if (options?.nx && (options.xx || options.gt || options.lt)) {
      throw new ReplyError('ERR NX and XX, GT or LT options at the same time are not compatible');
    }
    if (options?.gt && options.lt) throw new ReplyError('ERR GT and LT options at the same time are not compatible');
    const at = commandExpireAt(amount, unitMs, relative ? this.ks.now() : 0, name);
    return keys.expireAt(this.ks, key, at, flags);
  }

  /** Seconds to live (rounded), -1 without a TTL, -2 when the key does not exist. */
  ttl(key: string): number {
    this.enter(TTL);
    return keys.ttl(this.ks, checkKey(key), MS_PER_SECOND, false);
  }

  pttl(key: string): number {
    this.enter(TTL);
    return keys.ttl(this.ks, checkKey(key), 1, false);
  }

  /** Unix time in seconds at which the key expires, -1 without a TTL, -2 when missing. */
  expiretime(key: string): number {
    this.enter(TTL);
    return keys.ttl(this.ks, checkKey(key), MS_PER_SECOND, true);
  }

  pexpiretime(key: string): number {
    this.enter(TTL);
    return keys.ttl(this.ks, checkKey(key), 1, true);
  }

  persist(key: string): boolean {
    this.enter(PERSIST);
    return keys.persist(this.ks, checkKey(key));
  }

  /** KEYS: every key matching a glob pattern, in one O(n) step. Prefer scan()/scanIterator(). */
  keys(pattern: string): string[] {
    this.enter(KEYS);
    return keys.keys(this.ks, pattern);
  }

  /** One SCAN step: pass '0' to start, then the returned cursor until it is '0' again. */
  scan(cursor: string | number, options: keys.ScanOptions = {}): keys.ScanPage {
    this.enter(SCAN);
    if (options.count !== undefined && (!Number.isInteger(options.count) || options.count < 1)) {
      throw new ReplyError(ErrorText.syntax);
    }
    return keys.scan(this.ks, keys.parseCursor(cursor), options);
  }

  /**
   * Every key (matching `match` and `type`), SCAN step by SCAN step, yielding to the event loop
   * between steps. Keys present for the whole iteration are returned at least once.
   */
  async *scanIterator(options: ScanIteratorOptions = {}): AsyncIterableIterator<string> {
    let cursor = '0';
    const stepOptions: keys.ScanOptions = { ...options, count: options.count ?? 100 };
    do {
      const page = this.scan(cursor, stepOptions);
      cursor = page.cursor;
      yield* page.keys;
      if (cursor !== '0') await new Promise((resolve) => setImmediate(resolve));
    } while (cursor !== '0');
  }

  randomkey(): string | null {
    this.enter(RANDOMKEY);
    return keys.randomkey(this.ks);
  }

  // ---------------------------------------------------------------------------------------------
  // Hashes
  // @@HASH-METHODS@@

  // ---------------------------------------------------------------------------------------------
  // Sorted sets
  // @@ZSET-METHODS@@
}

function pairsOf(entries: Record<string, Value> | Iterable<readonly [string, Value]>): Array<[string, Value]> {
  const pairs: Array<[string, Value]> = [];
  const source: Iterable<readonly [string, Value]> =
    Symbol.iterator in entries ? (entries as Iterable<readonly [string, Value]>) : Object.entries(entries);
  for (const [key, value] of source) pairs.push([checkKey(key), checkValue(value)]);
  if (pairs.length === 0) throw new ReplyError("ERR wrong number of arguments for 'mset' command");
  return pairs;
}

function integer(value: number): number {
  if (!Number.isInteger(value)) throw new ReplyError(ErrorText.notInteger);
  return value;
}

export type { ScanOptions, ScanPage } from './keyspace/keys.ts';
