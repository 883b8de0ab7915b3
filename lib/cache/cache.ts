// A typed cache over one key prefix of a Store, in front of a slower source (an HTTP API, a
// database, files). The design, the entry layout and the XFetch math are in docs/CACHE.md.
//
//   get(key, loader)          look-aside: a fresh entry is returned; a missing one is loaded once
//                             (single flight) and stored; see "Reading" for stale entries
//   set(key, value, writer?)  write-through: the source first, then the cache; a failed source
//                             write leaves the cache untouched
//   invalidate(key)           write-around: drop the entry after writing the source yourself
//   warm(items)               fill the cache from pairs or keys, with bounded concurrency
//   peek(key), stats()        look without loading; counters
//
// Each entry is one emberkv string (entry.ts): a header with the logical expiry, the stale
// deadline and the last load's duration, then the codec's payload. The key's emberkv TTL is the
// stale deadline, so the store reclaims dead entries itself and entries survive a restart exactly
// as long as they would have lived.
//
// Reading an entry at time now (E = logical expiry, S = stale deadline = E + max(swr, sie)):
//   now < E                 fresh: return it; XFetch may start one background refresh
//   E <= now < E + swr      stale-while-revalidate: return it; one background refresh
//   E + swr <= now < S      stale-if-error: wait for a load; if it fails, return the entry
//   S <= now (key gone)     miss: wait for a load; if it fails, reject
//
// Invariants: at most one running load per key that may store its result (single-flight.ts); a
// load never stores after a set()/invalidate() that happened while it ran; a loader error is never
// stored. The hit path is one store GET, a header scan and the codec's decode: no await and no
// allocation beyond the key string, the decoded value and the resolved promise.

import { EventEmitter } from 'node:events';
import { WrongTypeError } from '../errors.ts';
import type { Store } from '../store.ts';
import type { Value } from '../types.ts';
import { type Codec, jsonCodec } from './codec.ts';
import {
  checkEntry,
  encodeEntry,
  ENTRY_LOAD_MAX_MS,
  entryExpiresAtMs,
  entryKind,
  entryLoadMs,
  entryPayload,
  entryStaleUntilMs,
  type EntryKind,
  isEntry,
  KIND_NEGATIVE,
  KIND_VALUE,
} from './entry.ts';
import { CacheEntryError, CacheTimeoutError } from './errors.ts';
import { type Flight, SingleFlight } from './single-flight.ts';
import { runWarm, type WarmItem, type WarmProgress } from './warm.ts';
import { shouldRefreshEarly } from './xfetch.ts';

// -----------------------------------------------------------------------------------------------
// Public types

export interface LoaderContext {
  /** Aborted (with a CacheTimeoutError as the reason) when the load outlives `timeoutMs`. */
  readonly signal: AbortSignal;
}

/** Reads the source. Resolve with undefined for "not found" (cached only with negativeTtlMs). */
export type Loader<T> = (key: string, context: LoaderContext) => Promise<T | undefined> | T | undefined;

/** Writes the source (write-through). Its result is ignored; throw or reject to fail the write. */
export type Writer<T> = (key: string, value: T) => Promise<unknown> | unknown;

/** How long entries live. Every duration is whole milliseconds. */
export interface EntryOptions {
  /** Logical lifetime: fresh for this long after it is loaded or set. */
  ttlMs?: number;
  /**
   * Stale-while-revalidate (RFC 5861's name): for this long after expiry a read returns the stale
   * value at once and one background load refreshes it. Default 0.
   */
  staleWhileRevalidateMs?: number;
  /**
   * Stale-if-error: for this long after expiry a read waits for a load, and if the load fails or
   * times out it returns the stale value instead of the error. Default 0.
   */
  staleIfErrorMs?: number;
}

export interface LoadOptions extends EntryOptions {
  /**
   * Cache the loader's undefined ("not found") for this long, so a missing key that is asked for
   * often does not reach the source each time. Default 0: not cached.
   */
  negativeTtlMs?: number;
  /** Abort the loader and fail the load after this long. Default 0: no limit. */
  timeoutMs?: number;
}

export interface CacheOptions<T> extends LoadOptions {
  /** Prepended to every key: the cache owns the keys that start with it. Say 'user:'. */
  prefix: string;
  /** Default lifetime of entries; get(), set() and warm() may override it per call. */
  ttlMs: number;
  /** How values become stored bytes; default jsonCodec<T>(). */
  codec?: Codec<T>;
  /**
   * XFetch probabilistic early refresh (xfetch.ts). true or { beta: 1 } (default) use the paper's
   * beta; larger betas refresh earlier; false turns it off.
   */
  earlyRefresh?: boolean | { beta: number };
  /** Milliseconds since the epoch; default the store's clock (Date.now unless you gave one). */
  clock?: () => number;
  /** Uniform in [0, 1) for XFetch; default Math.random. Tests pass a seeded one. */
  random?: () => number;
}

export interface WarmOptions<T> extends LoadOptions {
  /** Loads key items; required when the source yields keys. */
  loader?: Loader<T>;
  /** Loads at most this many keys at once; default 4. */
  concurrency?: number;
  /** Called after each item with the counts so far. */
  onProgress?: (progress: WarmProgress) => void;
  /** Reload keys that are already fresh; default false (they are skipped). */
  force?: boolean;
  /** Stops reading the source (loads already started finish); warm() rejects with its reason. */
  signal?: AbortSignal;
}

/** What peek() sees, without loading, counting or refreshing. */
export interface CachedEntry<T> {
  /** The value; undefined for a negative entry. */
  value: T | undefined;
  /** A cached "not found". */
  negative: boolean;
  /** 'fresh' before expiresAtMs, 'stale' from then until staleUntilMs. */
  state: 'fresh' | 'stale';
  expiresAtMs: number;
  staleUntilMs: number;
  /** Duration of the load that produced it (XFetch's delta); 0 for set() without a prior load. */
  loadMs: number;
}

export interface CacheStats {
  /** Calls answered from a fresh entry (negative entries included). */
  hits: number;
  /** Calls that had to wait for a load (their own or one in flight). */
  misses: number;
  /** Loader calls started (misses, background refreshes, warm-up). */
  loads: number;
  /** Loader calls that failed or timed out. */
  loadErrors: number;
  /** Calls answered with an expired entry: stale-while-revalidate, or stale-if-error after a failed load. */
  staleServed: number;
  /** Background loads started early by XFetch while the entry was still fresh. */
  earlyRefreshes: number;
  /** Loads running now. */
  inFlight: number;
}

export interface LoadErrorEvent {
  key: string;
  /** What the loader threw, or a CacheTimeoutError. */
  error: unknown;
  /** The load ran behind a value already returned (XFetch or stale-while-revalidate). */
  background: boolean;
  /** Callers waiting for this load got the cached entry instead of the error (stale-if-error). */
  servedStale: boolean;
}

export interface StoreErrorEvent {
  key: string;
  /** The store's error: a MISCONF ReplyError while persistence refuses writes, a ClosedError. */
  error: unknown;
}

/**
 * The events a Cache emits. Never 'error' (an unhandled 'error' event throws): loader failures are
 * 'loadError', one per failed loader call, whether or not a caller also sees the error; failures to
 * write a loaded value into the store are 'storeError' (callers still get the value).
 */
export type CacheEvents = {
  loadError: [event: LoadErrorEvent];
  storeError: [event: StoreErrorEvent];
};

// -----------------------------------------------------------------------------------------------
// Settings

/** The largest duration option: 100_000_000_000_000 ms (about 3,170 years) keeps every header time in 15 digits. */
export const CACHE_DURATION_MAX_MS = 100_000_000_000_000;
const WARM_CONCURRENCY_DEFAULT = 4;

interface Settings {
  ttlMs: number;
  staleWhileRevalidateMs: number;
  staleIfErrorMs: number;
  negativeTtlMs: number;
  timeoutMs: number;
}

function duration(value: number | undefined, fallback: number, name: string, positive: boolean): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < (positive ? 1 : 0) || value > CACHE_DURATION_MAX_MS) {
    throw new TypeError(`${name} must be a whole number of milliseconds ${positive ? '>= 1' : '>= 0'}, got ${String(value)}`);
  }
  return value;
}

function settingsOf(options: LoadOptions | undefined, base: Settings): Settings {
  if (options === undefined) return base;
  return {
    ttlMs: duration(options.ttlMs, base.ttlMs, 'ttlMs', true),
    staleWhileRevalidateMs: duration(options.staleWhileRevalidateMs, base.staleWhileRevalidateMs, 'staleWhileRevalidateMs', false),
    staleIfErrorMs: duration(options.staleIfErrorMs, base.staleIfErrorMs, 'staleIfErrorMs', false),
    negativeTtlMs: duration(options.negativeTtlMs, base.negativeTtlMs, 'negativeTtlMs', false),
    timeoutMs: duration(options.timeoutMs, base.timeoutMs, 'timeoutMs', false),
  };
}

function betaOf(earlyRefresh: CacheOptions<unknown>['earlyRefresh']): number {
  if (earlyRefresh === undefined || earlyRefresh === true) return 1;
  if (earlyRefresh === false) return 0;
  const beta = earlyRefresh.beta;
  if (typeof beta !== 'number' || !Number.isFinite(beta) || beta < 0) throw new TypeError(`earlyRefresh.beta must be a finite number >= 0, got ${String(beta)}`);
  return beta;
}

// -----------------------------------------------------------------------------------------------
// The cache

/** A load's result for the callers waiting on it: the value, and whether it is the stale fallback. */
interface Outcome<T> {
  value: T | undefined;
  stale: boolean;
}

type LoadReason = 'miss' | 'stale' | 'early' | 'warm';

const RESOLVED_UNDEFINED: Promise<undefined> = Promise.resolve(undefined);
const ignore = (): void => {};

export class Cache<T> extends EventEmitter<CacheEvents> {
  readonly prefix: string;
  readonly codec: Codec<T>;
  private readonly store: Store;
  private readonly clock: () => number;
  private readonly random: () => number;
  /** XFetch's beta; 0 when early refresh is off. */
  private readonly beta: number;
  private readonly defaults: Settings;
  private readonly flights = new SingleFlight<Outcome<T>>();
  private hits = 0;
  private misses = 0;
  private loads = 0;
  private loadErrors = 0;
  private staleServed = 0;
  private earlyRefreshes = 0;

  constructor(store: Store, options: CacheOptions<T>) {
    super();
    if (options === null || typeof options !== 'object') throw new TypeError('createCache(store, options): options is an object with prefix and ttlMs');
    if (typeof options.prefix !== 'string') throw new TypeError('prefix must be a string, say "user:"');
    if (options.ttlMs === undefined) throw new TypeError('ttlMs is required: how long entries stay fresh, in ms');
    if (options.clock !== undefined && typeof options.clock !== 'function') throw new TypeError('clock must be a function returning ms');
    if (options.random !== undefined && typeof options.random !== 'function') throw new TypeError('random must be a function returning [0, 1)');
    this.store = store;
    this.prefix = options.prefix;
    this.codec = options.codec ?? jsonCodec<T>();
    this.clock = options.clock ?? store.ks.clock;
    this.random = options.random ?? Math.random;
    this.beta = betaOf(options.earlyRefresh);
    const none: Settings = { ttlMs: 1, staleWhileRevalidateMs: 0, staleIfErrorMs: 0, negativeTtlMs: 0, timeoutMs: 0 };
    this.defaults = settingsOf(options, none);
  }

  // ---------------------------------------------------------------------------------------------
  // Reading

  /**
   * Look-aside read. A fresh entry resolves at once; a missing one is loaded by `loader` (one call
   * however many callers wait), stored, and returned. Rejects with the loader's error (or a
   * CacheTimeoutError) when the load fails and no stale entry may be served; with a
   * CacheEntryError when the key holds something the cache cannot read. `options` override the
   * cache's for this call; when callers share a load, the one that started it decides.
   */
  get(key: string, loader: Loader<T>, options?: LoadOptions): Promise<T | undefined> {
    if (typeof key !== 'string') return Promise.reject(new TypeError(`cache keys are strings, got ${typeof key}`));
    if (typeof loader !== 'function') return Promise.reject(new TypeError('get(key, loader): loader must be a function'));
    const storeKey = this.prefix + key;
    let stored: Value | null;
    try {
      stored = this.store.get(storeKey);
    } catch (error) {
      return Promise.reject(this.readFailure(key, error));
    }
    if (stored !== null) {
      const expiresAtMs = isEntry(stored) ? entryExpiresAtMs(stored) : -1;
      if (expiresAtMs < 0) return Promise.reject(this.unreadable(key, stored));
      const now = this.clock();
      if (now < expiresAtMs) {
        if (entryKind(stored) === KIND_NEGATIVE) {
          this.hits++;
          return RESOLVED_UNDEFINED as Promise<T | undefined>;
        }
        const value = this.decode(key, stored);
        if (value instanceof CacheEntryError) return Promise.reject(value);
        this.hits++;
        if (this.beta > 0) this.considerEarlyRefresh(key, storeKey, stored, now, expiresAtMs, loader, options);
        return Promise.resolve(value);
      }
      if (entryKind(stored) === KIND_VALUE) {
        const staleUntilMs = entryStaleUntilMs(stored);
        const windowMs = options?.staleWhileRevalidateMs ?? this.defaults.staleWhileRevalidateMs;
        if (now < staleUntilMs && now < expiresAtMs + windowMs) {
          const value = this.decode(key, stored);
          if (value instanceof CacheEntryError) return Promise.reject(value);
          this.staleServed++;
          if (!this.flights.has(storeKey)) this.startBackground(key, storeKey, loader, options, 'stale');
          return Promise.resolve(value);
        }
      }
    }
    this.misses++;
    let flight = this.flights.get(storeKey);
    if (flight === undefined) {
      try {
        flight = this.startLoad(key, storeKey, loader, settingsOf(options, this.defaults), 'miss');
      } catch (error) {
        return Promise.reject(error);
      }
    }
    return flight.promise.then(this.unwrap);
  }

  /** The entry as stored, without loading, counting or refreshing; undefined when there is none. */
  peek(key: string): CachedEntry<T> | undefined {
    if (typeof key !== 'string') throw new TypeError(`cache keys are strings, got ${typeof key}`);
    let stored: Value | null;
    try {
      stored = this.store.get(this.prefix + key);
    } catch (error) {
      throw this.readFailure(key, error);
    }
    if (stored === null) return undefined;
    const problem = checkEntry(stored);
    if (problem !== null) throw new CacheEntryError(key, problem);
    const negative = entryKind(stored) === KIND_NEGATIVE;
    let value: T | undefined;
    if (!negative) {
      const decoded = this.decode(key, stored);
      if (decoded instanceof CacheEntryError) throw decoded;
      value = decoded;
    }
    const expiresAtMs = entryExpiresAtMs(stored);
    return {
      value,
      negative,
      state: this.clock() < expiresAtMs ? 'fresh' : 'stale',
      expiresAtMs,
      staleUntilMs: entryStaleUntilMs(stored),
      loadMs: entryLoadMs(stored),
    };
  }

  // ---------------------------------------------------------------------------------------------
  // Writing

  /**
   * Write-through: awaits `writer` (your write to the source) first, then stores the value. If the
   * writer throws or rejects, the cache is left untouched and set() rejects with that error. The
   * value is encoded before the writer runs, so a value the codec cannot store fails (TypeError)
   * before the source is touched. Without a writer, only the cache is written.
   *
   * If the store refuses the write after the source accepted it (MISCONF while the disk fails, or
   * a closed store), set() rejects with the store's error: the source has the new value and the
   * cache may still serve the old one until it expires.
   */
  async set(key: string, value: T, writer?: Writer<T>, options?: EntryOptions): Promise<void> {
    if (typeof key !== 'string') throw new TypeError(`cache keys are strings, got ${typeof key}`);
    if (value === undefined) throw new TypeError('set(key, value): value is undefined; use invalidate(key) to drop an entry');
    if (writer !== undefined && typeof writer !== 'function') throw new TypeError('set(key, value, writer): writer must be a function');
    const settings = settingsOf(options, this.defaults);
    const payload = this.codec.encode(value);
    if (writer !== undefined) await writer(key, value);
    const storeKey = this.prefix + key;
    this.flights.supersede(storeKey);
    this.write(storeKey, KIND_VALUE, payload, this.previousLoadMs(storeKey), settings);
  }

  /**
   * Write-around: drops the entry (call it after writing the source). A load running now will not
   * store its result, and the next get() loads afresh. True when there was an entry.
   */
  invalidate(key: string): boolean {
    if (typeof key !== 'string') throw new TypeError(`cache keys are strings, got ${typeof key}`);
    const storeKey = this.prefix + key;
    this.flights.supersede(storeKey);
    return this.store.del(storeKey) === 1;
  }

  /**
   * Warm-up: stores each [key, value] pair, and loads each key item with `options.loader` (at most
   * `concurrency` at a time, keys already fresh skipped unless `force`). Failed loads are counted
   * and reported as 'loadError' events; an error from the source iterable or from storing a pair
   * rejects. Resolves with the final counts.
   */
  warm(source: Iterable<WarmItem<T>> | AsyncIterable<WarmItem<T>>, options: WarmOptions<T> = {}): Promise<WarmProgress> {
    const concurrency = options.concurrency ?? WARM_CONCURRENCY_DEFAULT;
    if (!Number.isSafeInteger(concurrency) || concurrency < 1) return Promise.reject(new TypeError(`concurrency must be a whole number >= 1, got ${String(concurrency)}`));
    if (options.loader !== undefined && typeof options.loader !== 'function') return Promise.reject(new TypeError('loader must be a function'));
    let settings: Settings;
    try {
      settings = settingsOf(options, this.defaults);
    } catch (error) {
      return Promise.reject(error);
    }
    const loader = options.loader;
    return runWarm(source, { concurrency, onProgress: options.onProgress, signal: options.signal }, {
      storeValue: (key, value) => {
        if (typeof key !== 'string') throw new TypeError(`cache keys are strings, got ${typeof key}`);
        if (value === undefined) throw new TypeError(`warm(): the value for ${JSON.stringify(key)} is undefined`);
        const storeKey = this.prefix + key;
        const payload = this.codec.encode(value);
        this.flights.supersede(storeKey);
        this.write(storeKey, KIND_VALUE, payload, this.previousLoadMs(storeKey), settings);
      },
      loadKey: async (key) => {
        if (loader === undefined) throw new TypeError('warm(): the source yields keys, so options.loader is required');
        const storeKey = this.prefix + key;
        if (options.force !== true && this.isFresh(storeKey)) return 'skipped';
        const flight = this.flights.get(storeKey) ?? this.startLoad(key, storeKey, loader, settings, 'warm');
        return flight.promise.then(
          (outcome) => (outcome.stale ? 'failed' : 'loaded'),
          () => 'failed',
        );
      },
    });
  }

  /** The counters since the cache was made. */
  stats(): CacheStats {
    return {
      hits: this.hits,
      misses: this.misses,
      loads: this.loads,
      loadErrors: this.loadErrors,
      staleServed: this.staleServed,
      earlyRefreshes: this.earlyRefreshes,
      inFlight: this.flights.size,
    };
  }

  // ---------------------------------------------------------------------------------------------
  // Loading

  /** Counts stale fallbacks as they reach each waiting caller. */
  private readonly unwrap = (outcome: Outcome<T>): T | undefined => {
    if (outcome.stale) this.staleServed++;
    return outcome.value;
  };

  /** XFetch on a fresh hit: maybe start one background refresh, never more than one per key. */
  private considerEarlyRefresh(
    key: string,
    storeKey: string,
    stored: Value,
    now: number,
    expiresAtMs: number,
    loader: Loader<T>,
    options: LoadOptions | undefined,
  ): void {
    const loadMs = entryLoadMs(stored);
    if (loadMs <= 0) return; // Never loaded (set() only) or an unreadable field: no delta to scale.
    if (!shouldRefreshEarly(now, expiresAtMs, loadMs, this.beta, this.random)) return;
    if (this.flights.has(storeKey)) return;
    this.earlyRefreshes++;
    this.startBackground(key, storeKey, loader, options, 'early');
  }

  /** A refresh nobody waits for: its failure goes to 'loadError' only. */
  private startBackground(key: string, storeKey: string, loader: Loader<T>, options: LoadOptions | undefined, reason: LoadReason): void {
    let settings: Settings;
    try {
      settings = settingsOf(options, this.defaults);
    } catch {
      return; // Bad options surface on the next miss, where a caller can receive the TypeError.
    }
    this.startLoad(key, storeKey, loader, settings, reason).promise.catch(ignore);
  }

  /** Requires: no flight for storeKey. */
  private startLoad(key: string, storeKey: string, loader: Loader<T>, settings: Settings, reason: LoadReason): Flight<Outcome<T>> {
    this.loads++;
    return this.flights.start(storeKey, (flight) => this.load(key, storeKey, loader, settings, flight, reason));
  }

  private async load(
    key: string,
    storeKey: string,
    loader: Loader<T>,
    settings: Settings,
    flight: Flight<Outcome<T>>,
    reason: LoadReason,
  ): Promise<Outcome<T>> {
    const startedMs = this.clock();
    let value: T | undefined;
    let payload: string | Uint8Array | undefined;
    try {
      value = await callLoader(key, loader, settings.timeoutMs, flight.controller);
      // A value the codec cannot store fails the load here, before anything is written. Callers
      // get the value as the codec gives it back, as every later hit will (JSON turns a Date into
      // a string: the first caller should see that too, not a Date).
      if (value !== undefined) {
        payload = this.codec.encode(value);
        value = this.codec.decode(payload);
      }
    } catch (error) {
      this.flights.finish(storeKey, flight);
      this.loadErrors++;
      const fallback = this.fallback(storeKey);
      this.notify('loadError', { key, error, background: reason === 'stale' || reason === 'early', servedStale: fallback !== undefined });
      if (fallback !== undefined) return { value: fallback, stale: true };
      throw error;
    }
    // Store, then leave the flight, in the same turn: no caller can see neither.
    const finishedMs = this.clock();
    this.flights.finish(storeKey, flight);
    if (!flight.superseded) {
      const loadMs = Math.min(Math.max(0, Math.round(finishedMs - startedMs)), ENTRY_LOAD_MAX_MS);
      try {
        if (payload !== undefined) this.write(storeKey, KIND_VALUE, payload, loadMs, settings);
        else if (settings.negativeTtlMs > 0) this.write(storeKey, KIND_NEGATIVE, '', loadMs, settings);
        else this.store.del(storeKey); // The source says there is nothing: an old entry is wrong now.
      } catch (error) {
        this.notify('storeError', { key, error });
      }
    }
    return { value, stale: false };
  }

  /** The entry to serve instead of a failed load: a readable value entry before its stale deadline. */
  private fallback(storeKey: string): T | undefined {
    try {
      const stored = this.store.get(storeKey);
      if (stored === null || checkEntry(stored) !== null || entryKind(stored) !== KIND_VALUE) return undefined;
      if (this.clock() >= entryStaleUntilMs(stored)) return undefined;
      const value = this.decode(storeKey, stored);
      return value instanceof CacheEntryError ? undefined : value;
    } catch {
      return undefined;
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Helpers

  /**
   * Writes an entry: fresh for ttlMs (negativeTtlMs for a negative one), then stale until the
   * longer of the two stale windows, which is also the key's emberkv TTL.
   */
  private write(storeKey: string, kind: EntryKind, payload: string | Uint8Array, loadMs: number, settings: Settings): void {
    const now = Math.floor(this.clock());
    if (!Number.isSafeInteger(now) || now < 0) throw new TypeError(`the cache's clock returned ${String(now)}, not Unix milliseconds`);
    const lifetimeMs = kind === KIND_NEGATIVE ? settings.negativeTtlMs : settings.ttlMs;
    const graceMs = kind === KIND_NEGATIVE ? 0 : Math.max(settings.staleWhileRevalidateMs, settings.staleIfErrorMs);
    const expiresAtMs = now + lifetimeMs;
    const staleUntilMs = expiresAtMs + graceMs;
    this.store.set(storeKey, encodeEntry(kind, expiresAtMs, staleUntilMs, loadMs, payload), { px: staleUntilMs - now });
  }

  /** The stored entry's load duration, so set() keeps XFetch's delta; 0 without one. */
  private previousLoadMs(storeKey: string): number {
    try {
      const stored = this.store.get(storeKey);
      if (stored === null || !isEntry(stored)) return 0;
      return Math.max(0, entryLoadMs(stored));
    } catch {
      return 0;
    }
  }

  private isFresh(storeKey: string): boolean {
    const stored = this.store.get(storeKey);
    if (stored === null || !isEntry(stored)) return false;
    return this.clock() < entryExpiresAtMs(stored);
  }

  /** The payload decoded, or the error to reject with (returned, not thrown: no try on the hit path's caller). */
  private decode(key: string, stored: Value): T | CacheEntryError {
    try {
      return this.codec.decode(entryPayload(stored));
    } catch (error) {
      return new CacheEntryError(key, `the ${this.codec.name} codec cannot decode its payload`, error);
    }
  }

  private unreadable(key: string, stored: Value): CacheEntryError {
    return new CacheEntryError(key, checkEntry(stored) ?? 'the header does not parse');
  }

  private readFailure(key: string, error: unknown): unknown {
    if (error instanceof WrongTypeError) return new CacheEntryError(key, 'the key holds a hash or sorted set, not a cache entry', error);
    return error;
  }

  /** Emits; a listener that throws is a bug in the listener, rethrown outside the cache's bookkeeping. */
  private notify<E extends keyof CacheEvents>(event: E, ...args: CacheEvents[E]): void {
    try {
      (this.emit as (event: E, ...args: CacheEvents[E]) => boolean)(event, ...args);
    } catch (error) {
      process.nextTick(() => {
        throw error;
      });
    }
  }
}

/** Runs the loader with an AbortSignal; with timeoutMs > 0, gives up (and aborts) after that long. */
function callLoader<T>(key: string, loader: Loader<T>, timeoutMs: number, controller: AbortController): Promise<T | undefined> {
  const context: LoaderContext = { signal: controller.signal };
  if (timeoutMs <= 0) {
    try {
      return Promise.resolve(loader(key, context));
    } catch (error) {
      return Promise.reject(error);
    }
  }
  return new Promise<T | undefined>((resolve, reject) => {
    const timer = setTimeout(() => {
      const error = new CacheTimeoutError(key, timeoutMs);
      controller.abort(error);
      reject(error);
    }, timeoutMs);
    let pending: Promise<T | undefined>;
    try {
      pending = Promise.resolve(loader(key, context));
    } catch (error) {
      clearTimeout(timer);
      reject(error);
      return;
    }
    pending.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

/**
 * A typed cache over `options.prefix` in `store`. The codec fixes T:
 * `createCache(store, { prefix: 'user:', ttlMs: 60_000, codec: jsonCodec<User>() })` is a
 * Cache<User>. Without a codec, values are JSON and T is what you say it is.
 */
export function createCache<T = unknown>(store: Store, options: CacheOptions<T>): Cache<T> {
  return new Cache<T>(store, options);
}
