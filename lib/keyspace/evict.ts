// Eviction under a memory limit, after Redis's evict.c: approximated LRU and LFU with a sampled
// eviction pool, random eviction, and soonest-expiry-first.
//
// Before every command that may grow memory (the `denyoom` flag) the store calls evictIfNeeded().
// While the estimate (keyspace.usedMemory plus the snapshot's copy-on-write bytes) is over the
// limit, it samples `samples` keys (all keys, or only keys with a TTL for volatile-*), merges them
// into a 16-entry pool ordered by how good a victim each is, and evicts the best. Evictions are
// deletes like any other: logged as DEL (so they do not come back after a reopen) and counted.
//
// Scores (bigger = evict sooner):
//   lru   the access order: keyspace.accessTick - entry.access. emberkv's stamp is a logical
//         counter, exact order rather than Redis's 1-second clock, at the same O(1) cost.
//   lfu   255 - the key's frequency counter, Redis's 8-bit logarithmic counter with decay
//         (lfuLogFactor, lfuDecayTime in minutes), packed beside its last-decay minute.
//   ttl   the key's expiry time inverted: the soonest to expire first.
// With no candidate (noeviction, or volatile-* with no key carrying a TTL) the command is refused
// with Redis's OOM error; reads and deletes are never refused.

import { ReplyError } from '../errors.ts';
import type { Entry, Keyspace } from './keyspace.ts';

export const MAXMEMORY_POLICIES = [
  'noeviction',
  'allkeys-lru',
  'volatile-lru',
  'allkeys-lfu',
  'volatile-lfu',
  'allkeys-random',
  'volatile-random',
  'volatile-ttl',
] as const;
export type MaxmemoryPolicy = (typeof MAXMEMORY_POLICIES)[number];

export const EVICTION_POOL_SIZE = 16;
export const LFU_INIT_VAL = 5;
export const LFU_COUNTER_MAX = 255;

export const OOM_MESSAGE = "OOM command not allowed when used memory > 'maxmemory'.";

/** The current minute, as LFU's 16-bit decay clock counts it. */
export function lfuMinutes(nowMs: number): number {
  return Math.floor(nowMs / 60000) & 0xffff;
}

/** A new key's LFU field: counter LFU_INIT_VAL, decayed as of `minutes`. */
export function lfuInitial(minutes: number): number {
  return (minutes << 8) | LFU_INIT_VAL;
}

/** The counter after decay: one step down per `decayMinutes` elapsed since the last decay. */
export function lfuDecayed(field: number, minutes: number, decayMinutes: number): number {
  const counter = field & 0xff;
  if (decayMinutes === 0) return counter;
  const last = field >>> 8;
  const elapsed = minutes >= last ? minutes - last : 65536 - last + minutes;
  const periods = Math.floor(elapsed / decayMinutes);
  return periods > counter ? 0 : counter - periods;
}

// The increment's coin flips: a xorshift32 stream, cheaper than Math.random on every read and
// random enough for a frequency estimate.
let coin = 0x9e3779b9 | 0;

/** One access: decay, then the logarithmic increment (harder the higher the counter). */
export function lfuTouched(field: number, minutes: number, decayMinutes: number, logFactor: number): number {
  // Most accesses fall in the minute of the last one: no decay to compute.
  let counter = field >>> 8 === minutes ? field & 0xff : lfuDecayed(field, minutes, decayMinutes);
  if (counter < LFU_COUNTER_MAX) {
    const base = counter > LFU_INIT_VAL ? counter - LFU_INIT_VAL : 0;
    coin ^= coin << 13;
    coin ^= coin >>> 17;
    coin ^= coin << 5;
    // P(increment) = 1 / (base * logFactor + 1), as Redis's LFULogIncr.
    if ((coin >>> 0) * (base * logFactor + 1) < 4294967296) counter++;
  }
  return (minutes << 8) | counter;
}

export class Evictor {
  policy: MaxmemoryPolicy = 'noeviction';
  /** Bytes; 0 = no limit. */
  maxmemory = 0;
  samples = 5;
  private readonly pool: Entry[] = [];
  private readonly scores: number[] = [];

  constructor(
    private readonly ks: Keyspace,
    /** Extra bytes held outside the keyspace's own count (the snapshot's copy-on-write view). */
    private readonly extraBytes: () => number,
  ) {}

  get usedMemory(): number {
    return this.ks.usedMemory + this.extraBytes();
  }

  /**
   * Evicts until under the limit. Throws Redis's OOM error when still over it and nothing may be
   * evicted. Requires: maxmemory > 0.
   */
  evictIfNeeded(): void {
    while (this.usedMemory > this.maxmemory) {
      const victim = this.pick();
      if (victim === null) throw new ReplyError(OOM_MESSAGE);
      this.ks.evict(victim);
    }
  }

  /** Best victim under the policy, or null when the policy allows none. */
  private pick(): Entry | null {
    const ks = this.ks;
    switch (this.policy) {
      case 'noeviction':
        return null;
      case 'allkeys-random':
        return ks.randomEntry() ?? null;
      case 'volatile-random': {
        const volatile = ks.volatile;
        return volatile.length === 0 ? null : volatile[Math.floor(Math.random() * volatile.length)];
      }
      default:
        return this.fromPool();
    }
  }

  /** Samples into the pool, then takes the best candidate that still exists. */
  private fromPool(): Entry | null {
    const ks = this.ks;
    const volatileOnly = this.policy.startsWith('volatile-');
    for (let attempt = 0; attempt < 16; attempt++) {
      if (volatileOnly ? ks.volatile.length === 0 : ks.size === 0) return null;
      const samples = Math.min(this.samples, volatileOnly ? ks.volatile.length : ks.size);
      for (let i = 0; i < samples; i++) {
        const entry = volatileOnly ? ks.volatile[Math.floor(Math.random() * ks.volatile.length)] : ks.randomEntry();
        if (entry !== undefined) this.consider(entry);
      }
      // Best first from the end; entries deleted or changed since they were pooled are dropped.
      while (this.pool.length > 0) {
        const entry = this.pool.pop()!;
        this.scores.pop();
        if (ks.entries.get(entry.key) !== entry) continue;
        if (volatileOnly && entry.volatileSlot === -1) continue;
        return entry;
      }
    }
    return null;
  }

  private score(entry: Entry): number {
    const ks = this.ks;
    if (this.policy === 'volatile-ttl') return Number.MAX_SAFE_INTEGER - entry.expiresAt;
    if (this.policy.endsWith('-lfu')) return LFU_COUNTER_MAX - lfuDecayed(entry.lfu, ks.lfuClock, ks.lfuDecayMinutes);
    return ks.accessTick - entry.access;
  }

  /** Inserts an entry into the pool, kept in ascending score order, at most POOL_SIZE long. */
  private consider(entry: Entry): void {
    const score = this.score(entry);
    const pool = this.pool;
    const scores = this.scores;
    if (pool.includes(entry)) return;
    if (pool.length === EVICTION_POOL_SIZE && score <= scores[0]) return;
    let at = 0;
    while (at < pool.length && scores[at] < score) at++;
    pool.splice(at, 0, entry);
    scores.splice(at, 0, score);
    if (pool.length > EVICTION_POOL_SIZE) {
      pool.shift();
      scores.shift();
    }
  }

  /** Forgets pooled candidates (FLUSHALL, a policy change). */
  reset(): void {
    this.pool.length = 0;
    this.scores.length = 0;
  }
}
