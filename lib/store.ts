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
import * as hashes from './keyspace/hash.ts';
import * as keys from './keyspace/keys.ts';
import { Keyspace, type TypeName } from './keyspace/keyspace.ts';
import * as strings from './keyspace/string.ts';
import * as zsets from './keyspace/zset.ts';
import { MS_PER_SECOND, commandExpireAt, optionExpireAt } from './keyspace/ttl.ts';
import type { Arg, Reply, Value } from './types.ts';
import { Persistence, type PersistenceOptions, type PersistenceStatus, type RefusalSource } from './persistence/persistence.ts';
import type { SnapshotResult } from './persistence/snapshot.ts';
import type { RewriteResult } from './persistence/rewrite.ts';
import type { StoreWarning } from './persistence/recovery.ts';
import { Multi, type MultiHost, type Transaction } from './multi.ts';
import { type Cache, type CacheOptions, createCache } from './cache/cache.ts';
import { ServerState, type ServerOptions } from './server/server-state.ts';
import type { Info } from './server/info.ts';
import type { SlowlogEntry } from './server/slowlog.ts';

export interface StoreOptions extends PersistenceOptions, ServerOptions {
  /** Milliseconds since the epoch; tests pass a fake clock. Default Date.now. */
  clock?: () => number;
  /** Reclaim expired keys in the background, not only when read. Default true. */
  activeExpiry?: boolean;
  /**
   * Receives every warning (a torn tail cut at open, a failed write, ...) as it happens, open
   * included. Without it, warnings are emitted as 'warning' events on the store, or through
   * process.emitWarning when nobody listens.
   */
  onWarning?: (warning: StoreWarning) => void;
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
const INFO = command('info');
const CONFIG = command('config');
const SLOWLOG = command('slowlog');
const HSET = command('hset');
const HMSET = command('hmset');
const HSETNX = command('hsetnx');
const HGET = command('hget');
const HMGET = command('hmget');
const HDEL = command('hdel');
const HEXISTS = command('hexists');
const HLEN = command('hlen');
const HSTRLEN = command('hstrlen');
const HGETALL = command('hgetall');
const HKEYS = command('hkeys');
const HVALS = command('hvals');
const HINCRBY = command('hincrby');
const HINCRBYFLOAT = command('hincrbyfloat');
const HSCAN = command('hscan');
const HRANDFIELD = command('hrandfield');
const ZADD = command('zadd');
const ZINCRBY = command('zincrby');
const ZREM = command('zrem');
const ZSCORE = command('zscore');
const ZMSCORE = command('zmscore');
const ZCARD = command('zcard');
const ZCOUNT = command('zcount');
const ZLEXCOUNT = command('zlexcount');
const ZRANGE = command('zrange');
const ZREVRANGE = command('zrevrange');
const ZRANGEBYSCORE = command('zrangebyscore');
const ZREVRANGEBYSCORE = command('zrevrangebyscore');
const ZRANGEBYLEX = command('zrangebylex');
const ZREVRANGEBYLEX = command('zrevrangebylex');
const ZRANK = command('zrank');
const ZREVRANK = command('zrevrank');
const ZPOPMIN = command('zpopmin');
const ZPOPMAX = command('zpopmax');
const ZREMRANGEBYRANK = command('zremrangebyrank');
const ZREMRANGEBYSCORE = command('zremrangebyscore');
const ZREMRANGEBYLEX = command('zremrangebylex');
const ZSCAN = command('zscan');
const ZRANDMEMBER = command('zrandmember');
const ZUNIONSTORE = command('zunionstore');
const ZINTERSTORE = command('zinterstore');
const ZDIFFSTORE = command('zdiffstore');

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
  /** Why writes are refused, by source; writesRefused is the first of them. */
  private readonly refusals = new Map<string, string>();
  private readonly activeExpiry: ActiveExpiry;
  /** Commands run since open (INFO's total_commands_processed). */
  commandsProcessed = 0;
  private persistence: Persistence | null = null;
  private closing: Promise<void> | null = null;
  private readonly onWarning: ((warning: StoreWarning) => void) | undefined;

  /** Memory limit and eviction, slow log, CONFIG and INFO. */
  private readonly server: ServerState;

  constructor(options: StoreOptions = {}) {
    super();
    this.ks = new Keyspace(options.clock ?? Date.now);
    this.activeExpiry = new ActiveExpiry(this.ks);
    this.onWarning = options.onWarning;
    this.server = new ServerState(
      { ks: this.ks, commandsProcessed: () => this.commandsProcessed, persistence: () => this.persistence },
      options,
    );
    this.ks.host = this.server;
    this.server.start();
    if (options.activeExpiry !== false) this.activeExpiry.start();
  }

  /**
   * Opens a store; with a directory, locks it, loads its files and logs every write there. Use
   * the package's open(); this is it.
   */
  static async open(dir: string | undefined, options: StoreOptions = {}): Promise<Store> {
    const store = new Store(options);
    if (dir === undefined) return store;
    try {
      const hooks = {
        warn: (warning: StoreWarning) => store.warn(warning),
        refuseWrites: (source: RefusalSource, message: string) => store.refuseWrites(source, message),
        allowWrites: (source: RefusalSource) => store.allowWrites(source),
      };
      const { persistence, warnings } = await Persistence.open(dir, store.ks, options, hooks);
      store.persistence = persistence;
      // Open-time warnings go to onWarning now, and as events once the caller can listen.
      for (const warning of warnings) store.onWarning?.(warning);
      if (store.onWarning === undefined && warnings.length > 0) {
        setImmediate(() => warnings.forEach((warning) => store.deliverWarning(warning)));
      }
    } catch (error) {
      store.activeExpiry.stop();
      store.server.stop();
      store.closed = true;
      throw error;
    }
    return store;
  }

  /** A warning: to onWarning, else as a 'warning' event, else to process.emitWarning. */
  private warn(warning: StoreWarning): void {
    if (this.onWarning !== undefined) this.onWarning(warning);
    else this.deliverWarning(warning);
  }

  private deliverWarning(warning: StoreWarning): void {
    if (this.listenerCount('warning') > 0) this.emit('warning', warning);
    else process.emitWarning(`emberkv: ${warning.message}`, { code: `EMBERKV_${warning.code.toUpperCase().replace(/-/g, '_')}` });
  }

  // ---------------------------------------------------------------------------------------------
  // The gate and Redis's interface

  /**
   * Every command passes here first: a closed store, refused writes, the memory limit (evicting,
   * or Redis's OOM error), the command count. Returns the start time when the command is one the
   * slow log times (not `fast`), else 0.
   */
  private enter(spec: CommandSpec): number {
    if (this.closed) throw new ClosedError(`run ${spec.name.toUpperCase()}`);
    if (spec.write && this.writesRefused !== null) throw new ReplyError(this.writesRefused);
    if (spec.denyoom && this.server.evictor.maxmemory !== 0) this.server.evictor.evictIfNeeded();
    this.commandsProcessed++;
    return spec.fast || this.server.slowlog.thresholdMicros < 0 ? 0 : performance.now();
  }

  /** After a timed command: into the slow log if it was slow. Returns `result` untouched. */
  private leave<T>(spec: CommandSpec, started: number, args: ArrayLike<unknown>, result: T): T {
    if (started !== 0) {
      const micros = (performance.now() - started) * 1000;
      if (micros >= this.server.slowlog.thresholdMicros) this.server.slowlog.record(spec.name, Array.from(args), micros, this.ks.now());
    }
    return result;
  }

  /**
   * Runs a command by name with Redis's arguments and replies: integers as numbers, bulk strings as
   * the stored string or Uint8Array, nil as null, arrays as arrays. Throws ReplyError with Redis's
   * text on any error, having changed nothing.
   */
  call(name: string, ...args: Arg[]): Reply {
    const spec = commandFor(name, args);
    checkArity(spec, args.length);
    const started = this.enter(spec);
    return this.leave(spec, started, args, spec.run(this.ks, args));
  }

  /**
   * Starts a transaction: queue commands with call() (or the typed methods), then exec() runs them
   * together and logs them as one unit, so a crash keeps all of them or none.
   */
  multi(): Transaction {
    const host: MultiHost = {
      ks: this.ks,
      refusedWrites: () => this.writesRefused,
      runCall: (spec, args) => {
        const started = this.enter(spec);
        return this.leave(spec, started, args, spec.run(this.ks, args));
      },
      runTyped: (method, args) => {
        const run = (this as unknown as Record<string, unknown>)[method];
        if (typeof run !== 'function') throw new TypeError(`${method} is not a store command`);
        return (run as (...a: unknown[]) => unknown).apply(this, args);
      },
    };
    return new Multi(host) as Transaction;
  }

  /** Refuses writes with `message` until allowWrites(source) (persistence failures). */
  private refuseWrites(source: string, message: string): void {
    this.refusals.set(source, message);
    this.writesRefused = this.refusals.values().next().value ?? null;
  }

  private allowWrites(source: string): void {
    this.refusals.delete(source);
    this.writesRefused = this.refusals.values().next().value ?? null;
  }

  /**
   * Writes a snapshot of the keyspace as it is at this call to the snapshot file (dump.rdb), while
   * commands go on. Resolves with its key count, size, duration and copy-on-write memory. Rejects
   * at once with Redis's "already in progress" error while another background job runs.
   */
  bgsave(): Promise<SnapshotResult> {
    if (this.closed) return Promise.reject(new ClosedError('BGSAVE'));
    if (this.persistence === null) return Promise.reject(new ReplyError('ERR no data directory: open(dir) a store to save snapshots'));
    return this.persistence.bgsave();
  }

  /**
   * Rewrites the append-only file in the background: a base snapshot as of this call and a fresh
   * incremental file replace the files before them, while commands go on. Rejects at once with
   * Redis's "already in progress" error while another background job runs.
   */
  bgrewriteaof(): Promise<RewriteResult> {
    if (this.closed) return Promise.reject(new ClosedError('BGREWRITEAOF'));
    if (this.persistence === null) return Promise.reject(new ReplyError('ERR no data directory: open(dir) a store to rewrite its AOF'));
    return this.persistence.bgrewriteaof();
  }

  /** Unix time (seconds) of the last successful snapshot, or of the open; null in memory. */
  get lastsave(): number | null {
    return this.persistence?.lastsave ?? null;
  }

  /** Runs one active expiry pass now; for tests that drive time themselves. */
  expireNow(budgetMs = Number.POSITIVE_INFINITY): void {
    this.activeExpiry.run(budgetMs);
  }

  /** Writes and fsyncs everything accepted so far. Throws StorageIOError if the disk refuses. */
  async flush(): Promise<void> {
    if (this.closed && this.closing === null) throw new ClosedError('flush');
    await this.persistence?.flush();
  }

  /**
   * Flushes everything, closes the files and releases the directory. Commands are refused from the
   * call on. If the final flush fails (the disk refuses writes), close rejects and may be called
   * again; the directory stays locked until a close succeeds.
   */
  close(): Promise<void> {
    if (this.closing !== null) return this.closing;
    if (this.closed) return Promise.resolve();
    this.closed = true;
    this.activeExpiry.stop();
    this.server.stop();
    const persistence = this.persistence;
    this.closing = (persistence === null ? Promise.resolve() : persistence.close()).then(
      () => {
        this.persistence = null;
      },
      (error: unknown) => {
        this.closing = null;
        this.closed = false;
        throw error;
      },
    );
    return this.closing;
  }

  // ---------------------------------------------------------------------------------------------
  // The server: INFO, CONFIG, SLOWLOG

  /**
   * INFO as an object: sections server, memory, persistence, stats, keyspace (Redis's field names).
   * With section names, only those.
   */
  info(...sections: string[]): Info {
    this.enter(INFO);
    return this.server.info(sections);
  }

  /** CONFIG GET: every runtime setting matching the glob patterns, by Redis's names. */
  configGet(...patterns: string[]): Record<string, string> {
    this.enter(CONFIG);
    if (patterns.length === 0) throw new ReplyError("ERR wrong number of arguments for 'config|get' command");
    return Object.fromEntries(this.server.config.get(patterns));
  }

  /**
   * CONFIG SET: changes runtime settings by Redis's names and value syntax, e.g.
   * { maxmemory: '256mb', 'maxmemory-policy': 'allkeys-lru' }. All are checked before any applies.
   */
  configSet(settings: Record<string, string | number>): 'OK' {
    this.enter(CONFIG);
    const pairs = Object.entries(settings).map(([name, value]): [string, string] => [name, String(value)]);
    if (pairs.length === 0) throw new ReplyError("ERR wrong number of arguments for 'config|set' command");
    this.server.config.set(pairs);
    return 'OK';
  }

  /** SLOWLOG GET: the newest `count` slow commands (10 by default, -1 for all). */
  slowlogGet(count = 10): SlowlogEntry[] {
    this.enter(SLOWLOG);
    if (!Number.isInteger(count) || count < -1) throw new ReplyError('ERR count should be greater than or equal to -1');
    return this.server.slowlog.get(count);
  }

  slowlogLen(): number {
    this.enter(SLOWLOG);
    return this.server.slowlog.length;
  }

  slowlogReset(): 'OK' {
    this.enter(SLOWLOG);
    this.server.slowlog.reset();
    return 'OK';
  }

  /** @internal Test hook: stop as if the process were killed (no flush), releasing the lock. */
  async abandonForTests(): Promise<void> {
    this.closed = true;
    this.activeExpiry.stop();
    this.server.stop();
    await this.persistence?.abandon();
    this.persistence = null;
  }

  /** @internal The persistence layer, for tests that drive its timers and slices. */
  get persistenceLayer(): Persistence | null {
    return this.persistence;
  }

  /** Persistence status fields (INFO's persistence section); null for an in-memory store. */
  persistenceStatus(): PersistenceStatus | null {
    return this.persistence?.status() ?? null;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  // ---------------------------------------------------------------------------------------------
  // Cache

  /**
   * A typed cache over the keys starting with `options.prefix`: look-aside reads with single
   * flight, XFetch early refresh and stale windows, write-through, write-around and warm-up
   * (docs/CACHE.md). Same as createCache(store, options).
   */
  cache<T = unknown>(options: CacheOptions<T>): Cache<T> {
    return createCache<T>(this, options);
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
    const started = this.enter(MSETNX);
    return this.leave(MSETNX, started, arguments, strings.mset(this.ks, pairsOf(entries), true));
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
    const started = this.enter(GETRANGE);
    return this.leave(GETRANGE, started, arguments, strings.getrange(this.ks, checkKey(key), integer(start), integer(end)));
  }

  setrange(key: string, offset: number, value: Value): number {
    const started = this.enter(SETRANGE);
    return this.leave(SETRANGE, started, arguments, strings.setrange(this.ks, checkKey(key), integer(offset), checkValue(value)));
  }

  // ---------------------------------------------------------------------------------------------
  // Keys

  del(...keyList: string[]): number {
    const started = this.enter(DEL);
    return this.leave(DEL, started, arguments, keys.del(this.ks, keyList.map(checkKey)));
  }

  /** UNLINK: DEL; memory is reclaimed by the garbage collector in the background either way. */
  unlink(...keyList: string[]): number {
    const started = this.enter(UNLINK);
    return this.leave(UNLINK, started, arguments, keys.del(this.ks, keyList.map(checkKey)));
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
    const started = this.enter(COPY);
    return this.leave(COPY, started, arguments, keys.copy(this.ks, checkKey(source), checkKey(target), options.replace === true));
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
    const started = this.enter(KEYS);
    return this.leave(KEYS, started, arguments, keys.keys(this.ks, pattern));
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
    const started = this.enter(RANDOMKEY);
    return this.leave(RANDOMKEY, started, arguments, keys.randomkey(this.ks));
  }

  // ---------------------------------------------------------------------------------------------
  // Hashes

  /** HSET: sets fields from an object, a Map or [field, value] pairs; returns how many are new. */
  hset(key: string, fields: hashes.HashFields): number {
    this.enter(HSET);
    return hashes.hset(this.ks, checkKey(key), hashes.fieldPairs(fields, 'hset'));
  }

  /** HMSET: HSET replying 'OK' (deprecated in Redis; kept for code written against it). */
  hmset(key: string, fields: hashes.HashFields): 'OK' {
    this.enter(HMSET);
    hashes.hset(this.ks, checkKey(key), hashes.fieldPairs(fields, 'hmset'));
    return 'OK';
  }

  /** HSETNX: true when the field was missing and is now set. */
  hsetnx(key: string, field: string, value: Value): boolean {
    this.enter(HSETNX);
    return hashes.hsetnx(this.ks, checkKey(key), hashes.fieldName(field), checkValue(value));
  }

  hget(key: string, field: string): Value | null {
    this.enter(HGET);
    return hashes.hget(this.ks, checkKey(key), hashes.fieldName(field));
  }

  /** HMGET: one value (or null) per field, in order. */
  hmget(key: string, ...fields: string[]): Array<Value | null> {
    this.enter(HMGET);
    if (fields.length === 0) throw new ReplyError("ERR wrong number of arguments for 'hmget' command");
    return hashes.hmget(this.ks, checkKey(key), fields.map(hashes.fieldName));
  }

  /** HDEL: how many of the fields existed (and are now gone); the key goes with its last field. */
  hdel(key: string, ...fields: string[]): number {
    this.enter(HDEL);
    if (fields.length === 0) throw new ReplyError("ERR wrong number of arguments for 'hdel' command");
    return hashes.hdel(this.ks, checkKey(key), fields.map(hashes.fieldName));
  }

  hexists(key: string, field: string): boolean {
    this.enter(HEXISTS);
    return hashes.hexists(this.ks, checkKey(key), hashes.fieldName(field));
  }

  hlen(key: string): number {
    this.enter(HLEN);
    return hashes.hlen(this.ks, checkKey(key));
  }

  /** HSTRLEN: the value's length in bytes (UTF-8 for strings), 0 when missing. */
  hstrlen(key: string, field: string): number {
    this.enter(HSTRLEN);
    return hashes.hstrlen(this.ks, checkKey(key), hashes.fieldName(field));
  }

  /**
   * HGETALL: every field and value as an object with a null prototype, so any field name
   * (`__proto__`, `constructor`) is an ordinary own property; {} for a missing key.
   */
  hgetall(key: string): Record<string, Value> {
    const started = this.enter(HGETALL);
    return this.leave(HGETALL, started, arguments, hashes.hgetall(this.ks, checkKey(key)));
  }

  hkeys(key: string): string[] {
    const started = this.enter(HKEYS);
    return this.leave(HKEYS, started, arguments, hashes.hkeys(this.ks, checkKey(key)));
  }

  hvals(key: string): Value[] {
    const started = this.enter(HVALS);
    return this.leave(HVALS, started, arguments, hashes.hvals(this.ks, checkKey(key)));
  }

  /** HINCRBY: `increment` is an integer (a bigint for values beyond 2^53); returns the new value. */
  hincrby(key: string, field: string, increment: number | bigint): number {
    this.enter(HINCRBY);
    return hashes.hincrby(this.ks, checkKey(key), hashes.fieldName(field), hashes.checkIncrement(increment));
  }

  /** HINCRBYFLOAT: Redis's long double arithmetic; returns the new value as a number. */
  hincrbyfloat(key: string, field: string, increment: number | string): number {
    this.enter(HINCRBYFLOAT);
    return Number(hashes.hincrbyfloat(this.ks, checkKey(key), hashes.fieldName(field), String(increment)));
  }

  /** One HSCAN step: pass '0' to start, then the returned cursor until it is '0' again. */
  hscan(key: string, cursor: string | number, options: hashes.HashScanOptions = {}): hashes.HashScanPage {
    this.enter(HSCAN);
    checkKey(key);
    if (options.match !== undefined && typeof options.match !== 'string') throw new TypeError('match is a string pattern');
    return hashes.hscan(this.ks, key, hashes.parseHashCursor(cursor), options);
  }

  /**
   * HRANDFIELD: without a count, one random field (null for a missing key); with a positive count,
   * up to that many distinct fields; with a negative count, exactly |count| fields, repeats allowed.
   * With `withValues`, [field, value] pairs.
   */
  hrandfield(key: string): string | null;
  hrandfield(key: string, count: number): string[];
  hrandfield(key: string, count: number, withValues: true): Array<[string, Value]>;
  hrandfield(key: string, count: number, withValues: boolean): string[] | Array<[string, Value]>;
  hrandfield(key: string, count?: number, withValues = false): string | null | string[] | Array<[string, Value]> {
    this.enter(HRANDFIELD);
    checkKey(key);
    if (count === undefined) return hashes.hrandfield(this.ks, key);
    const checked = hashes.checkRandomCount(count, withValues);
    return withValues ? hashes.hrandfieldWithValues(this.ks, key, checked) : hashes.hrandfieldCount(this.ks, key, checked);
  }

  // ---------------------------------------------------------------------------------------------
  // Sorted sets
  // Scores are numbers (±Infinity allowed, NaN refused). Score bounds (zsets.ScoreBound) are a
  // number (inclusive) or Redis's text: '(1.5' exclusive, '-inf', '+inf'. Lex bounds
  // (zsets.LexBound) are Redis's: '[a' inclusive, '(a' exclusive, '-' and '+' for the ends; lex
  // ranges assume every member has the same score, as in Redis. Reversed score and lex ranges
  // take the upper bound first, as in Redis.

  /**
   * ZADD: adds [score, member] pairs or updates their scores; returns how many members were added
   * (with `ch`, added or changed). With `incr` (one pair) the member's new score, or null when
   * NX/XX/GT/LT prevented the update.
   */
  zadd(key: string, members: ReadonlyArray<readonly [score: number, member: string]>, options: zsets.ZaddOptions & { incr: true }): number | null;
  zadd(key: string, members: ReadonlyArray<readonly [score: number, member: string]>, options?: zsets.ZaddOptions): number;
  zadd(key: string, members: ReadonlyArray<readonly [score: number, member: string]>, options?: zsets.ZaddOptions): number | null {
    this.enter(ZADD);
    return zsets.zadd(this.ks, checkKey(key), members, options);
  }

  /** ZINCRBY: adds increment to the member's score (a new member starts at 0); the new score. */
  zincrby(key: string, increment: number, member: string): number {
    this.enter(ZINCRBY);
    return zsets.zincrby(this.ks, checkKey(key), increment, member);
  }

  /** ZREM: how many of the members existed (and are now gone); the key goes with its last member. */
  zrem(key: string, ...members: string[]): number {
    this.enter(ZREM);
    return zsets.zrem(this.ks, checkKey(key), members);
  }

  /** The member's score, or null when the key or the member is missing. */
  zscore(key: string, member: string): number | null {
    this.enter(ZSCORE);
    return zsets.zscore(this.ks, checkKey(key), member);
  }

  /** ZMSCORE: one score (or null) per member, in order. */
  zmscore(key: string, ...members: string[]): Array<number | null> {
    this.enter(ZMSCORE);
    return zsets.zmscore(this.ks, checkKey(key), members);
  }

  zcard(key: string): number {
    this.enter(ZCARD);
    return zsets.zcard(this.ks, checkKey(key));
  }

  /** ZCOUNT: how many members have scores between min and max. */
  zcount(key: string, min: zsets.ScoreBound, max: zsets.ScoreBound): number {
    this.enter(ZCOUNT);
    return zsets.zcount(this.ks, checkKey(key), min, max);
  }

  /** ZLEXCOUNT: how many members lie between min and max. */
  zlexcount(key: string, min: zsets.LexBound, max: zsets.LexBound): number {
    this.enter(ZLEXCOUNT);
    return zsets.zlexcount(this.ks, checkKey(key), min, max);
  }

  /**
   * ZRANGE: by rank (default; start and stop are integers, negative from the end), by score
   * (`by: 'score'`, ScoreBounds) or by member (`by: 'lex'`, LexBounds). With `rev`, highest first,
   * and a score or lex range is given as (max, min). Members, or [member, score] with `withScores`.
   */
  zrange(key: string, start: number | string, stop: number | string, options: zsets.ZrangeOptions & { withScores: true }): Array<[string, number]>;
  zrange(key: string, start: number | string, stop: number | string, options?: zsets.ZrangeOptions): string[];
  zrange(key: string, start: number | string, stop: number | string, options?: zsets.ZrangeOptions): string[] | Array<[string, number]> {
    const started = this.enter(ZRANGE);
    return this.leave(ZRANGE, started, arguments, zsets.zrange(this.ks, checkKey(key), start, stop, options));
  }

  /** ZREVRANGE: ranks start..stop counted from the highest score. */
  zrevrange(key: string, start: number, stop: number, options: { withScores: true }): Array<[string, number]>;
  zrevrange(key: string, start: number, stop: number, options?: { withScores?: boolean }): string[];
  zrevrange(key: string, start: number, stop: number, options?: { withScores?: boolean }): string[] | Array<[string, number]> {
    const started = this.enter(ZREVRANGE);
    return this.leave(ZREVRANGE, started, arguments, zsets.zrange(this.ks, checkKey(key), start, stop, { rev: true, withScores: options?.withScores }));
  }

  /** ZRANGEBYSCORE: members with scores between min and max, lowest first. */
  zrangebyscore(key: string, min: zsets.ScoreBound, max: zsets.ScoreBound, options: zsets.ZrangeByScoreOptions & { withScores: true }): Array<[string, number]>;
  zrangebyscore(key: string, min: zsets.ScoreBound, max: zsets.ScoreBound, options?: zsets.ZrangeByScoreOptions): string[];
  zrangebyscore(key: string, min: zsets.ScoreBound, max: zsets.ScoreBound, options?: zsets.ZrangeByScoreOptions): string[] | Array<[string, number]> {
    const started = this.enter(ZRANGEBYSCORE);
    return this.leave(ZRANGEBYSCORE, started, arguments, zsets.zrange(this.ks, checkKey(key), min, max, { by: 'score', limit: options?.limit, withScores: options?.withScores }));
  }

  /** ZREVRANGEBYSCORE: members with scores between max and min, highest first (max comes first). */
  zrevrangebyscore(key: string, max: zsets.ScoreBound, min: zsets.ScoreBound, options: zsets.ZrangeByScoreOptions & { withScores: true }): Array<[string, number]>;
  zrevrangebyscore(key: string, max: zsets.ScoreBound, min: zsets.ScoreBound, options?: zsets.ZrangeByScoreOptions): string[];
  zrevrangebyscore(key: string, max: zsets.ScoreBound, min: zsets.ScoreBound, options?: zsets.ZrangeByScoreOptions): string[] | Array<[string, number]> {
    const started = this.enter(ZREVRANGEBYSCORE);
    return this.leave(ZREVRANGEBYSCORE, started, arguments, zsets.zrange(this.ks, checkKey(key), max, min, { by: 'score', rev: true, limit: options?.limit, withScores: options?.withScores }));
  }

  /** ZRANGEBYLEX: members between min and max. */
  zrangebylex(key: string, min: zsets.LexBound, max: zsets.LexBound, options?: { limit?: { offset: number; count: number } }): string[] {
    const started = this.enter(ZRANGEBYLEX);
    return this.leave(ZRANGEBYLEX, started, arguments, zsets.zrange(this.ks, checkKey(key), min, max, { by: 'lex', limit: options?.limit }) as string[]);
  }

  /** ZREVRANGEBYLEX: members between max and min, highest first (max comes first). */
  zrevrangebylex(key: string, max: zsets.LexBound, min: zsets.LexBound, options?: { limit?: { offset: number; count: number } }): string[] {
    const started = this.enter(ZREVRANGEBYLEX);
    return this.leave(ZREVRANGEBYLEX, started, arguments, zsets.zrange(this.ks, checkKey(key), max, min, { by: 'lex', rev: true, limit: options?.limit }) as string[]);
  }

  /** ZRANK: the member's 0-based rank by ascending score, or null. */
  zrank(key: string, member: string): number | null {
    this.enter(ZRANK);
    return zsets.zrank(this.ks, checkKey(key), member, false);
  }

  /** ZREVRANK: the member's 0-based rank by descending score, or null. */
  zrevrank(key: string, member: string): number | null {
    this.enter(ZREVRANK);
    return zsets.zrank(this.ks, checkKey(key), member, true);
  }

  /** ZPOPMIN: removes and returns up to `count` (default 1) lowest [member, score] pairs. */
  zpopmin(key: string, count = 1): Array<[string, number]> {
    this.enter(ZPOPMIN);
    return zsets.zpop(this.ks, checkKey(key), count, false);
  }

  /** ZPOPMAX: removes and returns up to `count` (default 1) highest pairs, highest first. */
  zpopmax(key: string, count = 1): Array<[string, number]> {
    this.enter(ZPOPMAX);
    return zsets.zpop(this.ks, checkKey(key), count, true);
  }

  /** ZREMRANGEBYRANK: removes ranks start..stop (negative from the end); how many. */
  zremrangebyrank(key: string, start: number, stop: number): number {
    const started = this.enter(ZREMRANGEBYRANK);
    return this.leave(ZREMRANGEBYRANK, started, arguments, zsets.zremrangebyrank(this.ks, checkKey(key), start, stop));
  }

  /** ZREMRANGEBYSCORE: removes members with scores between min and max; how many. */
  zremrangebyscore(key: string, min: zsets.ScoreBound, max: zsets.ScoreBound): number {
    const started = this.enter(ZREMRANGEBYSCORE);
    return this.leave(ZREMRANGEBYSCORE, started, arguments, zsets.zremrangebyscore(this.ks, checkKey(key), min, max));
  }

  /** ZREMRANGEBYLEX: removes members between min and max; how many. */
  zremrangebylex(key: string, min: zsets.LexBound, max: zsets.LexBound): number {
    const started = this.enter(ZREMRANGEBYLEX);
    return this.leave(ZREMRANGEBYLEX, started, arguments, zsets.zremrangebylex(this.ks, checkKey(key), min, max));
  }

  /**
   * One ZSCAN step: pass '0' to start, then the returned cursor until it is '0' again. Members
   * present for the whole scan are returned at least once (some maybe more than once).
   */
  zscan(key: string, cursor: string | number, options: zsets.ZscanOptions = {}): zsets.ZscanPage {
    this.enter(ZSCAN);
    checkKey(key);
    if (options.match !== undefined && typeof options.match !== 'string') throw new TypeError('match is a string pattern');
    return zsets.zscan(this.ks, key, cursor, options);
  }

  /**
   * ZRANDMEMBER: without a count, one random member (null for a missing key); with a positive
   * count, up to that many distinct members; with a negative count, exactly |count| members,
   * repeats allowed. With `withScores`, [member, score] pairs.
   */
  zrandmember(key: string): string | null;
  zrandmember(key: string, count: number): string[];
  zrandmember(key: string, count: number, withScores: true): Array<[string, number]>;
  zrandmember(key: string, count: number, withScores: boolean): string[] | Array<[string, number]>;
  zrandmember(key: string, count?: number, withScores = false): string | null | string[] | Array<[string, number]> {
    this.enter(ZRANDMEMBER);
    checkKey(key);
    if (count === undefined) return zsets.zrandmember(this.ks, key);
    const picked = zsets.zrandmembers(this.ks, key, count, withScores);
    return withScores ? picked : picked.map(([member]) => member);
  }

  /** ZUNIONSTORE: stores the union of the source sets at dest (replacing it); its size. */
  zunionstore(dest: string, sources: readonly string[], options?: zsets.ZstoreOptions): number {
    const started = this.enter(ZUNIONSTORE);
    return this.leave(ZUNIONSTORE, started, arguments, zsets.zunionstore(this.ks, checkKey(dest), sources, options));
  }

  /** ZINTERSTORE: stores the members found in every source at dest (replacing it); its size. */
  zinterstore(dest: string, sources: readonly string[], options?: zsets.ZstoreOptions): number {
    const started = this.enter(ZINTERSTORE);
    return this.leave(ZINTERSTORE, started, arguments, zsets.zinterstore(this.ks, checkKey(dest), sources, options));
  }

  /** ZDIFFSTORE: stores the first source's members found in no other at dest; its size. */
  zdiffstore(dest: string, sources: readonly string[]): number {
    const started = this.enter(ZDIFFSTORE);
    return this.leave(ZDIFFSTORE, started, arguments, zsets.zdiffstore(this.ks, checkKey(dest), sources));
  }
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
