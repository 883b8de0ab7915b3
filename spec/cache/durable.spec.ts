// Entries live in the store, so they survive a restart: load, close, reopen the directory, and the
// entry is served without the loader, with the same expiry, stale window and XFetch delta; a stale
// entry past its window is reclaimed by the store's own TTL. One temp directory, removed at the end.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { open } from '../../lib/index.ts';
import { createCache } from '../../lib/cache/cache.ts';
import { bytesCodec, jsonCodec, msgpackCodec } from '../../lib/cache/codec.ts';
import { tempRoot } from '../support/data-dir.ts';
import { FakeClock } from '../support/model.ts';

const root = tempRoot('cache');

interface Profile {
  name: string;
  tags: string[];
}

test('entries of every codec survive close and reopen, with their metadata', async () => {
  const dir = root.path('round-trip');
  const clock = new FakeClock();
  const options = { clock: clock.now, activeExpiry: false };
  const first = await open(dir, options);
  const profiles = createCache(first, { prefix: 'p:', ttlMs: 60_000, staleWhileRevalidateMs: 30_000, codec: jsonCodec<Profile>() });
  const packed = createCache(first, { prefix: 'm:', ttlMs: 60_000, codec: msgpackCodec<{ at: Date }>() });
  const raw = createCache(first, { prefix: 'b:', ttlMs: 60_000, codec: bytesCodec() });
  await profiles.get('ada', async () => {
    clock.advance(40);
    return { name: 'Ada', tags: ['math'] };
  });
  await packed.set('t', { at: new Date(123) });
  await raw.set('r', new Uint8Array([9, 8, 7]));
  await profiles.get('nobody', () => undefined, { negativeTtlMs: 5000 });
  const before = profiles.peek('ada');
  await first.close();

  clock.advance(1000);
  const second = await open(dir, options);
  const again = createCache(second, { prefix: 'p:', ttlMs: 60_000, staleWhileRevalidateMs: 30_000, codec: jsonCodec<Profile>() });
  const never = async (): Promise<never> => {
    throw new Error('the loader must not run after a restart');
  };
  assert.equal(await again.get('ada', never), { name: 'Ada', tags: ['math'] });
  assert.equal(again.peek('ada'), before);
  assert.is(again.peek('ada')?.loadMs, 40);
  assert.is(second.pttl('p:ada'), 60_000 + 30_000 - 1000);
  assert.is(await again.get('nobody', never), undefined);
  const packedAgain = createCache(second, { prefix: 'm:', ttlMs: 60_000, codec: msgpackCodec<{ at: Date }>() });
  assert.is((await packedAgain.get('t', never))?.at.getTime(), 123);
  const rawAgain = createCache(second, { prefix: 'b:', ttlMs: 60_000, codec: bytesCodec() });
  assert.equal(await rawAgain.get('r', never), new Uint8Array([9, 8, 7]));

  // After expiry, inside the stale window: served stale across the restart, refreshed behind.
  clock.advance(60_000);
  assert.equal(await again.get('ada', async () => ({ name: 'Ada L.', tags: [] })), { name: 'Ada', tags: ['math'] });
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(again.peek('ada')?.value, { name: 'Ada L.', tags: [] });
  await second.close();

  // Past the stale deadline the store itself has dropped the key.
  clock.advance(200_000);
  const third = await open(dir, options);
  assert.is(third.exists('p:ada'), 0);
  assert.is(third.exists('m:t'), 0);
  await third.close();
});

test.after(() => root.remove());

test.run();
