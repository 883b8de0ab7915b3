// Single flight (lib/cache/single-flight.ts) through the cache: concurrent misses for one key share
// one loader call, its result and its failure; different keys do not; a write detaches the flight.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { open } from '../../lib/index.ts';
import { createCache } from '../../lib/cache/cache.ts';
import { jsonCodec } from '../../lib/cache/codec.ts';
import { CacheTimeoutError } from '../../lib/cache/errors.ts';
import { SingleFlight } from '../../lib/cache/single-flight.ts';
import { FakeClock } from '../support/model.ts';

const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

async function setup() {
  const clock = new FakeClock();
  const store = await open(undefined, { clock: clock.now, activeExpiry: false });
  const cache = createCache(store, { prefix: 'sf:', ttlMs: 60_000, codec: jsonCodec<{ id: string; n: number }>() });
  return { clock, store, cache };
}

test('1,000 concurrent gets of one missing key call the loader exactly once', async () => {
  const { cache, store } = await setup();
  let calls = 0;
  const loader = async (key: string) => {
    calls++;
    await flush(); // a real load takes at least a turn of the event loop
    return { id: key, n: calls };
  };
  const results = await Promise.all(Array.from({ length: 1000 }, () => cache.get('hot', loader)));
  assert.is(calls, 1);
  for (const result of results) assert.equal(result, { id: 'hot', n: 1 });
  assert.is(store.exists('sf:hot'), 1);
  const stats = cache.stats();
  assert.is(stats.loads, 1);
  assert.is(stats.misses, 1000);
  assert.is(stats.inFlight, 0);
});

test('1,000 concurrent gets of a failing key call the loader once and all see its error', async () => {
  const { cache } = await setup();
  let calls = 0;
  const error = new Error('source down');
  const loader = async () => {
    calls++;
    await flush();
    throw error;
  };
  const results = await Promise.allSettled(Array.from({ length: 1000 }, () => cache.get('bad', loader)));
  assert.is(calls, 1);
  assert.ok(results.every((result) => result.status === 'rejected' && result.reason === error));
  assert.is(cache.stats().loadErrors, 1);
});

test('concurrent gets of a timing-out key share one loader call and one CacheTimeoutError', async () => {
  const { cache } = await setup();
  let calls = 0;
  const loader = () => {
    calls++;
    return new Promise<{ id: string; n: number }>(() => {});
  };
  const results = await Promise.allSettled(Array.from({ length: 100 }, () => cache.get('slow', loader, { timeoutMs: 20 })));
  assert.is(calls, 1);
  const reasons = new Set(results.map((result) => (result as PromiseRejectedResult).reason));
  assert.is(reasons.size, 1);
  assert.instance([...reasons][0], CacheTimeoutError);
});

test('different keys load in parallel, one call each', async () => {
  const { cache } = await setup();
  const calls = new Map<string, number>();
  let running = 0;
  let maxRunning = 0;
  const loader = async (key: string) => {
    calls.set(key, (calls.get(key) ?? 0) + 1);
    running++;
    maxRunning = Math.max(maxRunning, running);
    await flush();
    running--;
    return { id: key, n: 0 };
  };
  const keys = Array.from({ length: 10 }, (_, i) => `k${i}`);
  await Promise.all(keys.flatMap((key) => Array.from({ length: 50 }, () => cache.get(key, loader))));
  assert.equal([...calls.values()], keys.map(() => 1));
  assert.is(maxRunning, 10);
});

test('a caller arriving after the load finished hits the stored entry, no second call', async () => {
  const { cache } = await setup();
  let calls = 0;
  const loader = async (key: string) => ({ id: key, n: ++calls });
  await cache.get('k', loader);
  await cache.get('k', loader);
  assert.is(calls, 1);
});

test('a loader that asks for its own key synchronously joins its own flight instead of recursing', async () => {
  const { cache } = await setup();
  let calls = 0;
  let inner: Promise<unknown> | undefined;
  const loader = async (key: string) => {
    calls++;
    inner = cache.get(key, loader);
    return { id: key, n: calls };
  };
  assert.equal(await cache.get('self', loader), { id: 'self', n: 1 });
  assert.equal(await inner, { id: 'self', n: 1 });
  assert.is(calls, 1);
});

test('SingleFlight: finish only removes its own flight; supersede detaches and marks', () => {
  const flights = new SingleFlight<number>();
  const first = flights.start('k', () => new Promise<number>(() => {}));
  assert.is(flights.get('k'), first);
  assert.throws(() => flights.start('k', () => Promise.resolve(1)), /one flight per key/);
  flights.supersede('k');
  assert.is(first.superseded, true);
  assert.is(flights.has('k'), false);
  const second = flights.start('k', () => new Promise<number>(() => {}));
  flights.finish('k', first);
  assert.is(flights.get('k'), second);
  flights.finish('k', second);
  assert.is(flights.size, 0);
});

test.run();
