// The memory limit: each policy evicts only what it may, in the order it promises; noeviction
// refuses growing writes with Redis's OOM error while reads and deletes go on; limits changed at
// runtime take effect; evictions are logged as deletes and do not come back after a reopen.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { open, ReplyError, type MaxmemoryPolicy, type Store } from '../../lib/index.ts';
import { tempRoot } from '../support/data-dir.ts';
import { FakeClock } from '../support/model.ts';

const temp = tempRoot('evict');

/** A store holding `count` string keys, then limited to about `keep` of them. */
async function limited(policy: MaxmemoryPolicy, count: number, keep: number, setup?: (store: Store) => void) {
  const clock = new FakeClock();
  const store = await open(undefined, { clock: clock.now, activeExpiry: false, maxmemoryPolicy: policy });
  setup?.(store);
  const perKey = store.ks.usedMemory / Math.max(1, store.dbsize());
  return { store, clock, perKey, limit: (n: number) => store.configSet({ maxmemory: Math.round(perKey * n) }) };
}

test('noeviction: growing writes get the OOM error; reads, deletes and shrinking writes go on', async () => {
  const { store, limit } = await limited('noeviction', 0, 0, (s) => {
    for (let i = 0; i < 100; i++) s.set(`k${i}`, 'value');
  });
  limit(50);
  assert.throws(() => store.set('new', 'v'), (e: Error) => e instanceof ReplyError && e.message === "OOM command not allowed when used memory > 'maxmemory'.");
  assert.throws(() => store.call('HSET', 'h', 'f', 'v'), /^OOM command not allowed/);
  assert.is(store.get('k1'), 'value', 'reads go on');
  assert.is(store.del('k1', 'k2'), 2, 'deletes go on');
  assert.is(store.persist('k3'), false, 'non-denyoom writes go on');
  assert.is(store.dbsize(), 98, 'nothing evicted');
  await store.close();
});

test('allkeys-lru evicts the least recently used keys first', async () => {
  const { store, limit } = await limited('allkeys-lru', 0, 0, (s) => {
    for (let i = 0; i < 1000; i++) s.set(`k${i}`, 'value');
  });
  // Touch the last 200 so they are the most recent.
  for (let i = 800; i < 1000; i++) store.get(`k${i}`);
  store.configSet({ 'maxmemory-samples': 10 });
  limit(600);
  store.set('new', 'value');
  assert.ok(store.dbsize() <= 601);
  let survivors = 0;
  for (let i = 800; i < 1000; i++) if (store.exists(`k${i}`)) survivors++;
  assert.ok(survivors >= 190, `${survivors} of the 200 recently used keys survived`);
  assert.is(store.info('stats').stats.evicted_keys, 1000 + 1 - store.dbsize());
  await store.close();
});

test('allkeys-lfu keeps the frequently used keys', async () => {
  const { store, limit } = await limited('allkeys-lfu', 0, 0, (s) => {
    for (let i = 0; i < 1000; i++) s.set(`k${i}`, 'value');
  });
  // k0..k99 used often but long ago; every other key used once, more recently. LRU would evict the
  // frequent ones first; LFU keeps them.
  for (let round = 0; round < 50; round++) for (let i = 0; i < 100; i++) store.get(`k${i}`);
  for (let i = 100; i < 1000; i++) store.get(`k${i}`);
  store.configSet({ 'maxmemory-samples': 10 });
  limit(500);
  store.set('new', 'value');
  let hot = 0;
  for (let i = 0; i < 100; i++) if (store.exists(`k${i}`)) hot++;
  assert.ok(hot >= 90, `${hot} of the 100 frequently used keys survived`);
  await store.close();
});

test('volatile-* evict only keys with a TTL; with none, they refuse like noeviction', async () => {
  for (const policy of ['volatile-lru', 'volatile-lfu', 'volatile-random', 'volatile-ttl'] as const) {
    const { store, limit } = await limited(policy, 0, 0, (s) => {
      for (let i = 0; i < 500; i++) s.set(`keep${i}`, 'value');
      for (let i = 0; i < 500; i++) s.set(`ttl${i}`, 'value', { ex: 100 + i });
    });
    limit(700);
    store.set('new', 'value');
    for (let i = 0; i < 500; i++) assert.ok(store.exists(`keep${i}`), `${policy} kept keep${i}`);
    assert.ok(store.dbsize() < 1000);
    limit(100);
    assert.throws(() => store.set('more', 'value'), /^OOM/, `${policy}: no TTL key left to evict`);
    await store.close();
  }
});

test('volatile-ttl evicts the keys closest to expiring first', async () => {
  const { store, limit } = await limited('volatile-ttl', 0, 0, (s) => {
    for (let i = 0; i < 1000; i++) s.set(`ttl${i}`, 'value', { ex: 1000 + i });
  });
  store.configSet({ 'maxmemory-samples': 10 });
  limit(500);
  store.set('new', 'value', { ex: 1_000_000 });
  let late = 0;
  for (let i = 700; i < 1000; i++) if (store.exists(`ttl${i}`)) late++;
  assert.ok(late >= 280, `${late} of the 300 latest-expiring keys survived`);
  await store.close();
});

test('allkeys-random evicts any key; a raised limit stops eviction', async () => {
  const { store, limit } = await limited('allkeys-random', 0, 0, (s) => {
    for (let i = 0; i < 500; i++) s.set(`k${i}`, 'value');
  });
  limit(300);
  store.set('new', 'value');
  const after = store.dbsize();
  assert.ok(after <= 301);
  limit(10_000);
  for (let i = 0; i < 100; i++) store.set(`more${i}`, 'value');
  assert.is(store.dbsize(), after + 100, 'nothing evicted under a raised limit');
  store.configSet({ maxmemory: 0 });
  assert.is(store.configGet('maxmemory').maxmemory, '0');
  await store.close();
});

test('evictions are logged as deletes: evicted keys do not come back after a reopen', async () => {
  const dir = temp.path('reopen');
  const store = await open(dir, { activeExpiry: false, save: [], maxmemoryPolicy: 'allkeys-lru' });
  for (let i = 0; i < 500; i++) store.set(`k${i}`, 'value');
  store.configSet({ maxmemory: Math.round(store.ks.usedMemory / 2) });
  store.set('trigger', 'value');
  const kept = new Set(store.keys('*'));
  assert.ok(kept.size < 300);
  await store.close();
  const reopened = await open(dir, { activeExpiry: false, save: [] });
  assert.equal(new Set(reopened.keys('*')), kept);
  await reopened.close();
});

test('maxmemory options are checked at open', async () => {
  for (const options of [{ maxmemory: '12 parsecs' }, { maxmemory: -1 }, { maxmemoryPolicy: 'lru' as MaxmemoryPolicy }, { maxmemorySamples: 0 }]) {
    let error: unknown = null;
    await open(undefined, options).catch((e) => (error = e));
    assert.instance(error, TypeError, JSON.stringify(options));
  }
  const store = await open(undefined, { maxmemory: '1mb', maxmemoryPolicy: 'allkeys-lru' });
  assert.is(store.configGet('maxmemory').maxmemory, String(1024 * 1024));
  await store.close();
});

test.after(() => temp.remove());
test.run();
