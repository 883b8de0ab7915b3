// Warm-up (lib/cache/warm.ts through cache.warm): pairs stored, keys loaded with bounded
// concurrency, fresh keys skipped, failures counted, progress reported, sources sync and async.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { open } from '../../lib/index.ts';
import { createCache, type LoadErrorEvent } from '../../lib/cache/cache.ts';
import { jsonCodec } from '../../lib/cache/codec.ts';
import type { WarmProgress } from '../../lib/cache/warm.ts';
import { FakeClock } from '../support/model.ts';

const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

interface Row {
  id: number;
}

async function setup() {
  const clock = new FakeClock();
  const store = await open(undefined, { clock: clock.now, activeExpiry: false });
  const cache = createCache(store, { prefix: 'w:', ttlMs: 5000, codec: jsonCodec<Row>(), earlyRefresh: false });
  const loadErrors: LoadErrorEvent[] = [];
  cache.on('loadError', (event) => loadErrors.push(event));
  return { clock, store, cache, loadErrors };
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  assert.unreachable('expected a rejection');
}

test('pairs are stored with the TTL, no loader needed', async () => {
  const { cache, store } = await setup();
  const result = await cache.warm([
    ['a', { id: 1 }],
    ['b', { id: 2 }],
  ]);
  assert.equal(result, { stored: 2, loaded: 0, skipped: 0, failed: 0, done: 2 });
  assert.equal(cache.peek('a')?.value, { id: 1 });
  assert.is(store.pttl('w:b'), 5000);
  assert.equal(await cache.get('b', () => ({ id: -1 })), { id: 2 });
});

test('keys are loaded at most `concurrency` at a time, with progress after each', async () => {
  const { cache } = await setup();
  let running = 0;
  let maxRunning = 0;
  const loader = async (key: string): Promise<Row> => {
    running++;
    maxRunning = Math.max(maxRunning, running);
    await flush();
    running--;
    return { id: Number(key) };
  };
  const progress: WarmProgress[] = [];
  const keys = Array.from({ length: 40 }, (_, i) => String(i));
  const result = await cache.warm(keys, { loader, concurrency: 3, onProgress: (p) => progress.push(p) });
  assert.equal(result, { stored: 0, loaded: 40, skipped: 0, failed: 0, done: 40 });
  assert.is(maxRunning, 3);
  assert.equal(progress.map((p) => p.done), keys.map((_, i) => i + 1));
  for (const key of keys) assert.equal(cache.peek(key)?.value, { id: Number(key) });
  assert.is(cache.stats().loads, 40);
});

test('an async iterable source is read as loads finish, not buffered', async () => {
  const { cache } = await setup();
  let produced = 0;
  let maxAhead = 0;
  let finished = 0;
  async function* rows(): AsyncGenerator<string | [string, Row]> {
    for (let i = 0; i < 30; i++) {
      produced++;
      maxAhead = Math.max(maxAhead, produced - finished);
      yield i % 3 === 0 ? [`p${i}`, { id: i }] : `k${i}`;
    }
  }
  const loader = async (key: string): Promise<Row> => {
    await flush();
    finished++;
    return { id: Number(key.slice(1)) };
  };
  const result = await cache.warm(rows(), { loader, concurrency: 2, onProgress: (p) => (finished = p.done) });
  assert.equal(result, { stored: 10, loaded: 20, skipped: 0, failed: 0, done: 30 });
  assert.ok(maxAhead <= 3, `read ${maxAhead} items ahead of the finished ones`);
});

test('fresh keys are skipped unless force; stale ones are reloaded', async () => {
  const { cache, clock } = await setup();
  await cache.warm([['a', { id: 1 }]]);
  let calls = 0;
  const loader = async (): Promise<Row> => ({ id: 100 + ++calls });
  assert.equal(await cache.warm(['a'], { loader }), { stored: 0, loaded: 0, skipped: 1, failed: 0, done: 1 });
  assert.equal(await cache.warm(['a'], { loader, force: true }), { stored: 0, loaded: 1, skipped: 0, failed: 0, done: 1 });
  assert.equal(cache.peek('a')?.value, { id: 101 });
  clock.advance(5000);
  assert.equal(await cache.warm(['a'], { loader }), { stored: 0, loaded: 1, skipped: 0, failed: 0, done: 1 });
  assert.is(calls, 2);
});

test('failed loads are counted and reported as events, and warming goes on', async () => {
  const { cache, loadErrors } = await setup();
  const loader = async (key: string): Promise<Row> => {
    if (key === 'bad') throw new Error('no such row');
    return { id: 1 };
  };
  const result = await cache.warm(['a', 'bad', 'b'], { loader, concurrency: 1 });
  assert.equal(result, { stored: 0, loaded: 2, skipped: 0, failed: 1, done: 3 });
  assert.is(loadErrors.length, 1);
  assert.is(loadErrors[0].key, 'bad');
  assert.is(cache.peek('bad'), undefined);
});

test('a get during warm-up joins the warm load', async () => {
  const { cache } = await setup();
  let calls = 0;
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const loader = async (): Promise<Row> => {
    calls++;
    await gate;
    return { id: 7 };
  };
  const warming = cache.warm(['x'], { loader });
  await flush();
  const reading = cache.get('x', loader);
  release();
  assert.equal(await reading, { id: 7 });
  await warming;
  assert.is(calls, 1);
});

test('misuse and source errors reject: no loader for keys, bad items, bad concurrency, a throwing source', async () => {
  const { cache } = await setup();
  assert.instance(await rejection(cache.warm(['k'])), TypeError);
  assert.instance(await rejection(cache.warm([42 as unknown as string])), TypeError);
  assert.instance(await rejection(cache.warm([], { concurrency: 0 })), TypeError);
  const boom = new Error('source broke');
  async function* broken(): AsyncGenerator<[string, Row]> {
    yield ['ok', { id: 1 }];
    throw boom;
  }
  assert.is(await rejection(cache.warm(broken())), boom);
  assert.equal(cache.peek('ok')?.value, { id: 1 });
  const progressError = new Error('progress listener broke');
  assert.is(
    await rejection(
      cache.warm(['a', 'b'], {
        loader: async () => ({ id: 1 }),
        onProgress: () => {
          throw progressError;
        },
      }),
    ),
    progressError,
  );
});

test('an abort signal stops reading the source', async () => {
  const { cache } = await setup();
  const controller = new AbortController();
  let read = 0;
  function* endless(): Generator<[string, Row]> {
    for (;;) {
      read++;
      if (read === 5) controller.abort(new Error('enough'));
      yield [`k${read}`, { id: read }];
    }
  }
  const error = await rejection(cache.warm(endless(), { signal: controller.signal }));
  assert.match(String(error), /enough/);
  assert.is(read, 5);
});

test.run();
