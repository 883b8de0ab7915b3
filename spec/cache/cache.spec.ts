// The cache layer (lib/cache/cache.ts) on in-memory stores with a fake clock:
//   1. look-aside: hits, misses, TTLs, what a miss returns, the typed API;
//   2. negative caching;
//   3. loader failures and timeouts (nothing cached, errors shared, events);
//   4. stale-while-revalidate and stale-if-error;
//   5. write-through and write-around, including their races with a running load;
//   6. entries the cache cannot read, store failures, events.
// Single flight, XFetch, warm-up and the durable round trip have their own files.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ClosedError, open, type Store } from '../../lib/index.ts';
import { type Cache, type CacheOptions, createCache, type LoadErrorEvent, type StoreErrorEvent } from '../../lib/cache/cache.ts';
import { bytesCodec, jsonCodec, stringCodec } from '../../lib/cache/codec.ts';
import { CacheEntryError, CacheTimeoutError } from '../../lib/cache/errors.ts';
import { FakeClock } from '../support/model.ts';

const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

interface Deferred<T> {
  promise: Promise<T>;
  resolve: (value: T) => void;
  reject: (error: unknown) => void;
}

function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Resolves with what `run` rejected with; fails when it resolves or rejects with another class. */
async function rejects(run: () => Promise<unknown>, kind?: abstract new (...args: never[]) => unknown): Promise<unknown> {
  try {
    await run();
  } catch (error) {
    if (kind !== undefined) assert.instance(error, kind);
    return error;
  }
  assert.unreachable('expected a rejection');
}

const isTypeError = (error: unknown): boolean => error instanceof TypeError;

interface Setup<T> {
  clock: FakeClock;
  store: Store;
  cache: Cache<T>;
  loadErrors: LoadErrorEvent[];
  storeErrors: StoreErrorEvent[];
}

async function setup<T = string>(options: Partial<CacheOptions<T>> = {}): Promise<Setup<T>> {
  const clock = new FakeClock();
  const store = await open(undefined, { clock: clock.now, activeExpiry: false });
  const cache = createCache<T>(store, {
    prefix: 'c:',
    ttlMs: 1000,
    earlyRefresh: false,
    codec: stringCodec() as unknown as CacheOptions<T>['codec'],
    ...options,
  });
  const loadErrors: LoadErrorEvent[] = [];
  const storeErrors: StoreErrorEvent[] = [];
  cache.on('loadError', (event) => loadErrors.push(event));
  cache.on('storeError', (event) => storeErrors.push(event));
  return { clock, store, cache, loadErrors, storeErrors };
}

/** A loader that counts its calls and answers `value` (or the result of a function of the call number). */
function counting<T>(answer: (call: number) => T | undefined) {
  const calls: string[] = [];
  const loader = async (key: string): Promise<T | undefined> => {
    calls.push(key);
    return answer(calls.length);
  };
  return { calls, loader };
}

// -----------------------------------------------------------------------------------------------
// 1. Look-aside

test('a miss calls the loader with the unprefixed key, stores with the TTL, and hits afterwards', async () => {
  const { store, cache, clock } = await setup();
  const { calls, loader } = counting((n) => `v${n}`);
  assert.is(await cache.get('a', loader), 'v1');
  assert.equal(calls, ['a']);
  assert.is(store.pttl('c:a'), 1000);
  assert.ok(String(store.get('c:a')).endsWith('v1'));
  clock.advance(999);
  assert.is(await cache.get('a', loader), 'v1');
  assert.is(calls.length, 1);
  assert.equal(cache.stats(), { hits: 1, misses: 1, loads: 1, loadErrors: 0, staleServed: 0, earlyRefreshes: 0, inFlight: 0 });
});

test('at its TTL the entry is gone from the store and the next get loads again', async () => {
  const { store, cache, clock } = await setup();
  const { calls, loader } = counting((n) => `v${n}`);
  await cache.get('a', loader);
  clock.advance(1000);
  assert.is(store.exists('c:a'), 0);
  assert.is(await cache.get('a', loader), 'v2');
  assert.is(calls.length, 2);
});

test('per-call ttlMs overrides the cache default', async () => {
  const { store, cache } = await setup();
  await cache.get('a', () => 'x', { ttlMs: 5000 });
  assert.is(store.pttl('c:a'), 5000);
  await cache.set('b', 'y', undefined, { ttlMs: 42 });
  assert.is(store.pttl('c:b'), 42);
});

test('a miss returns the value as the codec gives it back, as every hit will', async () => {
  const { cache } = await setup<{ when: unknown }>({ codec: jsonCodec() });
  const first = await cache.get('d', () => ({ when: new Date(0) }));
  const second = await cache.get('d', () => ({ when: 'never called' }));
  assert.equal(first, { when: '1970-01-01T00:00:00.000Z' });
  assert.equal(second, first);
});

test('a synchronous loader works, and a synchronous throw rejects', async () => {
  const { cache } = await setup();
  assert.is(await cache.get('s', () => 'sync'), 'sync');
  const boom = new Error('boom');
  try {
    await cache.get('t', () => {
      throw boom;
    });
    assert.unreachable();
  } catch (error) {
    assert.is(error, boom);
  }
});

test('types: the codec fixes T, and loaders must return it', async () => {
  const { store } = await setup();
  const strings = createCache(store, { prefix: 's:', ttlMs: 10, codec: stringCodec() });
  const text: string | undefined = await strings.get('k', async () => 'v');
  assert.is(text, 'v');
  // @ts-expect-error a number loader for a string cache
  void strings.get('k2', async () => 1).catch(() => {});
  const bytes = createCache(store, { prefix: 'b:', ttlMs: 10, codec: bytesCodec() });
  const data: Uint8Array | undefined = await bytes.get('k', () => new Uint8Array([1, 2]));
  assert.equal(data, new Uint8Array([1, 2]));
  interface User {
    name: string;
  }
  const users = createCache(store, { prefix: 'u:', ttlMs: 10, codec: jsonCodec<User>() });
  const user = await users.get('1', async (_key, { signal }) => (signal.aborted ? undefined : { name: 'Ada' }));
  assert.is(user?.name, 'Ada');
  // @ts-expect-error set() takes a User
  void users.set('2', { title: 'x' }).catch(() => {});
});

test('misuse is a TypeError: bad key, missing loader, bad durations, undefined values', async () => {
  const { cache, store } = await setup();
  await rejects(() => cache.get(1 as unknown as string, () => 'x'), TypeError);
  await rejects(() => cache.get('k', undefined as unknown as () => string), TypeError);
  await rejects(() => cache.get('k', () => 'x', { ttlMs: 0 }), TypeError);
  await rejects(() => cache.get('k', () => 'x', { timeoutMs: 1.5 }), TypeError);
  await rejects(() => cache.set('k', undefined as unknown as string), TypeError);
  assert.throws(() => createCache(store, { prefix: 'p:' } as CacheOptions<string>), isTypeError);
  assert.throws(() => createCache(store, { prefix: 'p:', ttlMs: -1 }), isTypeError);
  assert.throws(() => createCache(store, { prefix: 'p:', ttlMs: 1, earlyRefresh: { beta: -1 } }), isTypeError);
  // The codec refuses a value it cannot store: the loader's result fails the load.
  await rejects(() => cache.get('n', () => 42 as unknown as string), TypeError);
  assert.is(store.exists('c:n'), 0);
});

// -----------------------------------------------------------------------------------------------
// 2. Negative caching

test('without negativeTtlMs a not-found result is not cached', async () => {
  const { cache, store } = await setup();
  const { calls, loader } = counting<string>(() => undefined);
  assert.is(await cache.get('missing', loader), undefined);
  assert.is(await cache.get('missing', loader), undefined);
  assert.is(calls.length, 2);
  assert.is(store.exists('c:missing'), 0);
});

test('with negativeTtlMs a not-found result is cached for that long, then asked again', async () => {
  const { cache, store, clock } = await setup({ negativeTtlMs: 200 });
  const { calls, loader } = counting<string>((n) => (n < 2 ? undefined : 'found'));
  assert.is(await cache.get('m', loader), undefined);
  assert.is(store.pttl('c:m'), 200);
  const peeked = cache.peek('m');
  assert.is(peeked?.negative, true);
  clock.advance(199);
  assert.is(await cache.get('m', loader), undefined);
  assert.is(calls.length, 1);
  assert.is(cache.stats().hits, 1);
  clock.advance(1);
  assert.is(await cache.get('m', loader), 'found');
  assert.is(calls.length, 2);
  assert.is(store.pttl('c:m'), 1000);
});

test('negative entries get no stale window', async () => {
  const { cache, store, clock } = await setup({ negativeTtlMs: 100, staleWhileRevalidateMs: 5000 });
  await cache.get('m', () => undefined);
  assert.is(store.pttl('c:m'), 100);
  clock.advance(100);
  const { calls, loader } = counting(() => 'now');
  assert.is(await cache.get('m', loader), 'now');
  assert.is(calls.length, 1);
});

test('a not-found result drops a stale entry instead of leaving it to be served', async () => {
  const { cache, store, clock } = await setup({ staleIfErrorMs: 5000 });
  await cache.get('gone', () => 'old');
  clock.advance(1500);
  assert.is(await cache.get('gone', () => undefined), undefined);
  assert.is(store.exists('c:gone'), 0);
});

// -----------------------------------------------------------------------------------------------
// 3. Loader failures and timeouts

test('a failed load rejects every waiting caller with the same error and caches nothing', async () => {
  const { cache, store, loadErrors } = await setup();
  const gate = deferred<string>();
  let calls = 0;
  const loader = (): Promise<string> => {
    calls++;
    return gate.promise;
  };
  const waiting = [cache.get('f', loader), cache.get('f', loader), cache.get('f', loader)];
  const error = new Error('source down');
  gate.reject(error);
  const results = await Promise.allSettled(waiting);
  assert.is(calls, 1);
  for (const result of results) {
    assert.is(result.status, 'rejected');
    assert.is((result as PromiseRejectedResult).reason, error);
  }
  assert.is(store.exists('c:f'), 0);
  assert.is(loadErrors.length, 1);
  assert.equal(loadErrors[0], { key: 'f', error, background: false, servedStale: false });
  // Not cached: the next get asks the source again.
  assert.is(await cache.get('f', () => 'back'), 'back');
  assert.is(cache.stats().loadErrors, 1);
});

test('timeoutMs aborts the loader with a CacheTimeoutError and rejects the callers', async () => {
  const { cache, store, loadErrors } = await setup({ timeoutMs: 30 });
  let seen: AbortSignal | undefined;
  const late = deferred<string>();
  const started = Date.now();
  const result = cache.get('slow', (_key, { signal }) => {
    seen = signal;
    return late.promise;
  });
  try {
    await result;
    assert.unreachable();
  } catch (error) {
    assert.instance(error, CacheTimeoutError);
    assert.is((error as CacheTimeoutError).code, 'ETIMEOUT');
    assert.is((error as CacheTimeoutError).key, 'slow');
    assert.is(seen?.aborted, true);
    assert.is(seen?.reason, error);
  }
  assert.ok(Date.now() - started >= 25);
  assert.is(loadErrors.length, 1);
  assert.instance(loadErrors[0].error, CacheTimeoutError);
  // A loader that answers after its timeout is ignored: the load is over.
  late.resolve('too late');
  await flush();
  assert.is(store.exists('c:slow'), 0);
  assert.is(cache.stats().inFlight, 0);
});

test('a loader that honours its signal stops, and the next get starts a fresh load', async () => {
  const { cache } = await setup();
  let aborted = 0;
  const hang = (_key: string, { signal }: { signal: AbortSignal }): Promise<string> =>
    new Promise((_resolve, reject) => {
      signal.addEventListener('abort', () => {
        aborted++;
        reject(signal.reason);
      });
    });
  await rejects(() => cache.get('h', hang, { timeoutMs: 10 }), CacheTimeoutError);
  assert.is(aborted, 1);
  assert.is(await cache.get('h', () => 'fresh'), 'fresh');
});

test('a load within its timeout clears the timer (nothing keeps the process alive)', async () => {
  const { cache } = await setup({ timeoutMs: 60_000 });
  const before = process.getActiveResourcesInfo().filter((name) => name === 'Timeout').length;
  assert.is(await cache.get('q', async () => 'quick'), 'quick');
  const after = process.getActiveResourcesInfo().filter((name) => name === 'Timeout').length;
  assert.is(after, before);
});

// -----------------------------------------------------------------------------------------------
// 4. Stale-while-revalidate and stale-if-error

test('stale-while-revalidate: inside the window the stale value comes back at once and one refresh runs', async () => {
  const { cache, store, clock } = await setup({ staleWhileRevalidateMs: 500 });
  await cache.get('s', () => 'v1');
  assert.is(store.pttl('c:s'), 1500);
  clock.advance(1200);
  const gate = deferred<string>();
  let calls = 0;
  const loader = (): Promise<string> => {
    calls++;
    return gate.promise;
  };
  const answers = await Promise.all([cache.get('s', loader), cache.get('s', loader), cache.get('s', loader)]);
  assert.equal(answers, ['v1', 'v1', 'v1']);
  assert.is(calls, 1);
  assert.is(cache.stats().staleServed, 3);
  assert.is(cache.stats().inFlight, 1);
  gate.resolve('v2');
  await flush();
  assert.is(await cache.get('s', loader), 'v2');
  assert.is(calls, 1);
  assert.is(cache.peek('s')?.state, 'fresh');
});

test('stale-while-revalidate: a failed background refresh is an event, and the stale value keeps being served', async () => {
  const { cache, clock, loadErrors } = await setup({ staleWhileRevalidateMs: 500 });
  await cache.get('s', () => 'v1');
  clock.advance(1100);
  const error = new Error('refresh failed');
  assert.is(await cache.get('s', () => Promise.reject(error)), 'v1');
  await flush();
  assert.is(loadErrors.length, 1);
  assert.equal(loadErrors[0], { key: 's', error, background: true, servedStale: true });
  assert.is(await cache.get('s', () => Promise.reject(error)), 'v1');
  await flush();
  assert.is(cache.stats().loadErrors, 2);
});

test('stale-while-revalidate: past the window the caller waits for the load', async () => {
  const { cache, clock } = await setup({ staleWhileRevalidateMs: 500 });
  await cache.get('s', () => 'v1');
  clock.advance(1500);
  assert.is(await cache.get('s', () => 'v2'), 'v2');
  assert.is(cache.stats().misses, 2);
});

test('stale-if-error: after expiry callers wait for the load and get the new value when it works', async () => {
  const { cache, store, clock } = await setup({ staleIfErrorMs: 10_000 });
  await cache.get('e', () => 'v1');
  assert.is(store.pttl('c:e'), 11_000);
  clock.advance(2000);
  assert.is(await cache.get('e', () => 'v2'), 'v2');
  assert.is(cache.stats().staleServed, 0);
});

test('stale-if-error: when the load fails the waiting callers get the stale value and the error is an event', async () => {
  const { cache, clock, loadErrors } = await setup({ staleIfErrorMs: 10_000 });
  await cache.get('e', () => 'v1');
  clock.advance(2000);
  const gate = deferred<string>();
  const waiting = [cache.get('e', () => gate.promise), cache.get('e', () => gate.promise)];
  const error = new Error('down');
  gate.reject(error);
  assert.equal(await Promise.all(waiting), ['v1', 'v1']);
  assert.equal(loadErrors, [{ key: 'e', error, background: false, servedStale: true }]);
  assert.is(cache.stats().staleServed, 2);
  // A timeout is a failure like any other.
  assert.is(await cache.get('e', () => new Promise<string>(() => {}), { timeoutMs: 10 }), 'v1');
  assert.instance(loadErrors[1].error, CacheTimeoutError);
  // Past the stale deadline the key is gone and the error reaches the caller.
  clock.advance(9000);
  assert.is(await rejects(() => cache.get('e', () => Promise.reject(error))), error);
});

// -----------------------------------------------------------------------------------------------
// 5. Write-through and write-around

test('write-through: the writer runs first, then the cache is written', async () => {
  const { cache, store } = await setup();
  const order: string[] = [];
  await cache.set('w', 'new', async (key, value) => {
    order.push(`source ${key}=${value}, cached=${String(store.exists('c:w'))}`);
  });
  order.push(`cached ${cache.peek('w')?.value}`);
  assert.equal(order, ['source w=new, cached=0', 'cached new']);
  assert.is(await cache.get('w', () => 'never'), 'new');
});

test('write-through: a failed source write leaves the cache exactly as it was', async () => {
  const { cache, store } = await setup();
  await cache.get('w', () => 'old');
  const before = store.get('c:w');
  const ttlBefore = store.pttl('c:w');
  const error = new Error('source refused');
  try {
    await cache.set('w', 'new', async () => {
      throw error;
    });
    assert.unreachable();
  } catch (caught) {
    assert.is(caught, error);
  }
  assert.is(store.get('c:w'), before);
  assert.is(store.pttl('c:w'), ttlBefore);
  // Also when nothing was cached: still nothing.
  await rejects(() => cache.set('x', 'new', () => Promise.reject(error)));
  assert.is(store.exists('c:x'), 0);
});

test('write-through: a value the codec cannot store fails before the source is touched', async () => {
  const { cache } = await setup();
  let wrote = false;
  await rejects(
    () =>
      cache.set('w', 7 as unknown as string, () => {
        wrote = true;
      }),
    TypeError,
  );
  assert.is(wrote, false);
});

test('write-through: when the store refuses after the source accepted, set rejects with the store error', async () => {
  const { cache, store } = await setup();
  let wrote = false;
  await store.close();
  await rejects(
    () =>
      cache.set('w', 'v', () => {
        wrote = true;
      }),
    ClosedError,
  );
  assert.is(wrote, true);
});

test('set keeps the previous load duration, so XFetch still has a delta', async () => {
  const { cache, clock } = await setup();
  await cache.get('d', async () => {
    clock.advance(80);
    return 'loaded';
  });
  assert.is(cache.peek('d')?.loadMs, 80);
  await cache.set('d', 'written');
  assert.is(cache.peek('d')?.loadMs, 80);
  assert.is(cache.peek('d')?.value, 'written');
});

test('a set during a running load wins: the load does not overwrite it', async () => {
  const { cache } = await setup();
  const gate = deferred<string>();
  const reader = cache.get('r', () => gate.promise);
  await cache.set('r', 'written');
  gate.resolve('loaded-before-the-write');
  assert.is(await reader, 'loaded-before-the-write');
  assert.is(await cache.get('r', () => 'never'), 'written');
});

test('write-around: invalidate drops the entry, and a running load neither stores nor is joined', async () => {
  const { cache, store } = await setup();
  await cache.get('i', () => 'old');
  assert.is(cache.invalidate('i'), true);
  assert.is(cache.invalidate('i'), false);
  assert.is(store.exists('c:i'), 0);
  // A load that read the source before the write...
  const gate = deferred<string>();
  const early = cache.get('i', () => gate.promise);
  // ...then the write lands and the cache is invalidated.
  cache.invalidate('i');
  const later = cache.get('i', () => 'after-write');
  gate.resolve('before-write');
  assert.is(await early, 'before-write');
  assert.is(await later, 'after-write');
  assert.is(cache.peek('i')?.value, 'after-write');
});

// -----------------------------------------------------------------------------------------------
// 6. Unreadable entries, store failures, events

test('a key holding something the cache did not write is a CacheEntryError, and is left alone', async () => {
  const { cache, store } = await setup();
  store.set('c:short', 'mine too');
  assert.match(((await rejects(() => cache.get('short', () => 'x'))) as Error).message, /too short/);
  store.set('c:foreign', 'somebody else wrote this and it is long enough for a header');
  const error = await cache.get('foreign', () => 'x').catch((caught: unknown) => caught);
  assert.instance(error, CacheEntryError);
  assert.is((error as CacheEntryError).code, 'EBADENTRY');
  assert.match((error as Error).message, /magic/);
  assert.is(store.get('c:foreign'), 'somebody else wrote this and it is long enough for a header');
  store.hset('c:hash', { a: '1' });
  assert.instance(await cache.get('hash', () => 'x').catch((caught: unknown) => caught), CacheEntryError);
  assert.throws(() => cache.peek('hash'), (caught: unknown) => caught instanceof CacheEntryError);
  // invalidate is the way out.
  cache.invalidate('foreign');
  assert.is(await cache.get('foreign', () => 'mine'), 'mine');
});

test('an entry another codec wrote is a CacheEntryError naming the codec', async () => {
  const { store } = await setup();
  const bytes = createCache(store, { prefix: 'x:', ttlMs: 100, codec: bytesCodec() });
  await bytes.set('k', new Uint8Array([1]));
  const json = createCache(store, { prefix: 'x:', ttlMs: 100, codec: jsonCodec() });
  const error = await json.get('k', () => 1).catch((caught: unknown) => caught);
  assert.instance(error, CacheEntryError);
  assert.match((error as Error).message, /json codec/);
});

test('a loaded value the store refuses is a storeError event; callers still get the value', async () => {
  const { cache, store, storeErrors } = await setup();
  const gate = deferred<string>();
  const reader = cache.get('z', () => gate.promise);
  await store.close();
  gate.resolve('value');
  assert.is(await reader, 'value');
  assert.is(storeErrors.length, 1);
  assert.instance(storeErrors[0].error, ClosedError);
});

test("no 'error' event is ever emitted: failures without listeners do not throw", async () => {
  const clock = new FakeClock();
  const store = await open(undefined, { clock: clock.now, activeExpiry: false });
  const cache = createCache(store, { prefix: 'q:', ttlMs: 100, staleWhileRevalidateMs: 100, codec: stringCodec() });
  await cache.get('k', () => 'v');
  clock.advance(150);
  assert.is(await cache.get('k', () => Promise.reject(new Error('x'))), 'v');
  await flush();
  assert.is(cache.listenerCount('error'), 0);
  assert.is(cache.stats().loadErrors, 1);
});

test('peek shows the entry without loading or counting', async () => {
  const { cache, clock } = await setup({ staleWhileRevalidateMs: 300, staleIfErrorMs: 700 });
  assert.is(cache.peek('p'), undefined);
  await cache.get('p', async () => {
    clock.advance(25);
    return 'v';
  });
  const now = clock.ms;
  assert.equal(cache.peek('p'), { value: 'v', negative: false, state: 'fresh', expiresAtMs: now + 1000, staleUntilMs: now + 1700, loadMs: 25 });
  clock.advance(1000);
  assert.is(cache.peek('p')?.state, 'stale');
  assert.equal(cache.stats().hits, 0);
});

test.run();
