// XFetch (lib/cache/xfetch.ts): the rule against its closed form, then a hot key under steady load
// across many expiries on a simulated clock. With XFetch on, one read refreshes the key in the
// background before it expires: at most one loader call at a time, and after the first load no read
// ever waits. With it off, every expiry makes the readers of that moment wait (single flight still
// keeps it to one call). Seeded, so each run is the same; SEED=n picks another base seed.

import fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { open } from '../../lib/index.ts';
import { type CacheStats, createCache } from '../../lib/cache/cache.ts';
import { stringCodec } from '../../lib/cache/codec.ts';
import { earlyRefreshProbability, shouldRefreshEarly } from '../../lib/cache/xfetch.ts';
import { FakeClock } from '../support/model.ts';
import { seededRandom } from '../support/seeded-random.ts';

const BASE_SEED = Number(process.env.SEED ?? 1);
if (process.env.SEED !== undefined) fc.configureGlobal({ seed: BASE_SEED });

const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

// -----------------------------------------------------------------------------------------------
// The rule

test('shouldRefreshEarly(u) is exactly u >= 1 - exp(-gap / (delta * beta))', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 100_000 }),
      fc.integer({ min: 1, max: 10_000 }),
      fc.double({ min: 0.1, max: 4, noNaN: true }),
      fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
      (gapMs, loadMs, beta, u) => {
        const now = 1_000_000;
        const p = earlyRefreshProbability(now, now + gapMs, loadMs, beta);
        const threshold = 1 - p;
        fc.pre(Math.abs(u - threshold) > 1e-9); // rounding at the boundary itself is not the point
        return shouldRefreshEarly(now, now + gapMs, loadMs, beta, () => u) === u >= threshold;
      },
    ),
  );
});

test('the refresh probability: e^-1 one delta before expiry, 1 at expiry, 0 without a delta', () => {
  assert.ok(Math.abs(earlyRefreshProbability(900, 1000, 100, 1) - Math.exp(-1)) < 1e-12);
  assert.ok(Math.abs(earlyRefreshProbability(800, 1000, 100, 2) - Math.exp(-1)) < 1e-12);
  assert.is(earlyRefreshProbability(1000, 1000, 100, 1), 1);
  assert.is(earlyRefreshProbability(0, 1000, 0, 1), 0);
  // u = 1 - random(): random() = 0 gives u = 1, ln 1 = 0, so no early refresh with time to spare.
  assert.is(shouldRefreshEarly(0, 1000, 100, 1, () => 0), false);
});

test('empirically, a read one delta before expiry refreshes with probability near e^-1', () => {
  const random = seededRandom(BASE_SEED);
  let refreshed = 0;
  const reads = 20_000;
  for (let i = 0; i < reads; i++) if (shouldRefreshEarly(900, 1000, 100, 1, random)) refreshed++;
  assert.ok(Math.abs(refreshed / reads - Math.exp(-1)) < 0.015, `${refreshed / reads}`);
});

// -----------------------------------------------------------------------------------------------
// A hot key under steady load

interface HotKeyRun {
  /** Loader calls. */
  calls: number;
  /** The most loader calls running at once. */
  maxRunning: number;
  /** Reads issued after the first load finished that had to wait for a load. */
  waited: number;
  /** Reads issued after the first load finished. */
  reads: number;
  /** Every read's answer was a version no older than the previous answer. */
  monotonic: boolean;
  stats: CacheStats;
}

/**
 * `readsPerStep` reads of one key every `stepMs` of simulated time for `durationMs`, with a loader
 * that takes `loadMs` of simulated time. A read "waits" when its promise has not settled after the
 * event loop drains: it joined a load, which only finishes when the clock reaches its end.
 */
async function hotKey(options: { seed: number; earlyRefresh: boolean; durationMs?: number; ttlMs?: number; loadMs?: number; stepMs?: number; readsPerStep?: number }): Promise<HotKeyRun> {
  const { seed, earlyRefresh, durationMs = 10_000, ttlMs = 1000, loadMs = 100, stepMs = 10, readsPerStep = 5 } = options;
  const clock = new FakeClock();
  const store = await open(undefined, { clock: clock.now, activeExpiry: false });
  const cache = createCache(store, { prefix: 'hot:', ttlMs, codec: stringCodec(), earlyRefresh: earlyRefresh ? { beta: 1 } : false, random: seededRandom(seed) });
  const pending: Array<{ finishAtMs: number; finish: () => void }> = [];
  let calls = 0;
  let running = 0;
  let maxRunning = 0;
  const loader = (): Promise<string> => {
    const version = ++calls;
    running++;
    maxRunning = Math.max(maxRunning, running);
    return new Promise((resolve) => {
      pending.push({
        finishAtMs: clock.ms + loadMs,
        finish: () => {
          running--;
          resolve(String(version));
        },
      });
    });
  };
  let firstLoadDone = false;
  let waited = 0;
  let reads = 0;
  let lastVersion = 0;
  let monotonic = true;
  for (let elapsed = 0; elapsed <= durationMs; elapsed += stepMs) {
    for (let i = pending.length - 1; i >= 0; i--) {
      if (pending[i].finishAtMs > clock.ms) continue;
      pending[i].finish();
      pending.splice(i, 1);
    }
    await flush();
    if (calls > 0 && running === 0) firstLoadDone = true;
    const settled: boolean[] = [];
    for (let i = 0; i < readsPerStep; i++) {
      const index = settled.push(false) - 1;
      void cache.get('k', loader).then((value) => {
        settled[index] = true;
        const version = Number(value);
        if (version < lastVersion) monotonic = false;
        lastVersion = version;
      });
    }
    await flush();
    if (firstLoadDone) {
      reads += settled.length;
      waited += settled.filter((done) => !done).length;
    }
    clock.advance(stepMs);
  }
  await store.close();
  return { calls, maxRunning, waited, reads, monotonic, stats: cache.stats() };
}

test('XFetch on, hot key across 10 expiries: one loader call at a time, and no read waits after the first load', async () => {
  for (let seed = BASE_SEED; seed < BASE_SEED + 20; seed++) {
    const run = await hotKey({ seed, earlyRefresh: true });
    const where = `seed ${seed}: ${JSON.stringify(run)}`;
    assert.is(run.maxRunning, 1, where);
    assert.is(run.waited, 0, where);
    assert.ok(run.reads > 4000, where);
    assert.ok(run.monotonic, where);
    // Every load after the first was an early refresh, started while the entry was still fresh.
    assert.is(run.stats.earlyRefreshes, run.calls - 1, where);
    assert.is(run.stats.loads, run.calls, where);
    assert.is(run.stats.staleServed, 0, where);
    // About one refresh per TTL, not one per read. The winning read comes about
    // delta * ln(reads per delta) = 100 * ln 50 = 390 ms before expiry, so a cycle is about
    // 1000 - 390 + 100 = 710 ms: about 15 loads in 10 s. Bound it loosely on both sides.
    assert.ok(run.calls >= 11 && run.calls <= 20, where);
  }
});

test('XFetch off, same load: still one call at a time (single flight), but readers wait at every expiry', async () => {
  const run = await hotKey({ seed: BASE_SEED, earlyRefresh: false });
  assert.is(run.maxRunning, 1);
  assert.is(run.stats.earlyRefreshes, 0);
  // Each expiry: 100 ms of load at 5 reads per 10 ms = about 50 waiting reads, 9 expiries after the first load.
  assert.ok(run.waited >= 9 * 45, JSON.stringify(run));
});

test('a larger beta refreshes earlier, so more loads in the same time', async () => {
  const clock = new FakeClock();
  const store = await open(undefined, { clock: clock.now, activeExpiry: false });
  const gaps: Record<string, number[]> = {};
  for (const beta of [1, 4]) {
    const cache = createCache(store, { prefix: `b${beta}:`, ttlMs: 10_000, codec: stringCodec(), earlyRefresh: { beta }, random: seededRandom(BASE_SEED) });
    gaps[beta] = [];
    for (let round = 0; round < 50; round++) {
      await cache.get('k', async () => {
        clock.advance(100);
        return 'v';
      });
      const expiresAtMs = cache.peek('k')!.expiresAtMs;
      // Read every 10 ms until a read starts an early refresh; record how early.
      const before = cache.stats().earlyRefreshes;
      while (cache.stats().earlyRefreshes === before) {
        clock.advance(10);
        await cache.get('k', async () => 'v');
      }
      gaps[beta].push(expiresAtMs - clock.ms);
      await flush();
      cache.invalidate('k');
    }
  }
  const mean = (values: number[]): number => values.reduce((sum, value) => sum + value, 0) / values.length;
  assert.ok(mean(gaps[4]) > 2 * mean(gaps[1]), JSON.stringify({ beta1: mean(gaps[1]), beta4: mean(gaps[4]) }));
});

test.run();
