// Key commands: TTL semantics, renames and copies, the SCAN guarantee, KEYS, RANDOMKEY and the
// active expiry cycle.

import fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { open } from '../../lib/index.ts';
import { FakeClock } from '../support/model.ts';
import { recordingSink } from '../support/recording-sink.ts';

async function fresh(clock = new FakeClock()) {
  return { clock, store: await open(undefined, { clock: clock.now, activeExpiry: false }) };
}

test('EXPIRE with NX XX GT LT follows Redis', async () => {
  const { store } = await fresh();
  store.set('k', 'v');
  assert.is(store.expire('k', 100, { xx: true }), false, 'XX needs a TTL');
  assert.is(store.expire('k', 100, { gt: true }), false, 'GT treats no TTL as infinite');
  assert.is(store.expire('k', 100, { lt: true }), true, 'LT: anything is less than infinite');
  assert.is(store.expire('k', 50, { nx: true }), false, 'NX needs no TTL');
  assert.is(store.expire('k', 200, { gt: true }), true);
  assert.is(store.ttl('k'), 200);
  assert.is(store.expire('k', 300, { lt: true }), false);
  assert.is(store.call('EXPIRE', 'missing', 10), 0);
  assert.is(store.call('EXPIRE', 'k', -1), 1, 'a time in the past deletes the key');
  assert.is(store.exists('k'), 0);
  assert.throws(() => store.call('EXPIRE', 'k', '9223372036854775807'), /invalid expire time in 'expire' command/);
  await store.close();
});

test('TTL rounds like Redis; EXPIRETIME is absolute; PERSIST removes', async () => {
  const { store, clock } = await fresh();
  store.set('k', 'v', { px: 1499 });
  assert.is(store.ttl('k'), 1);
  assert.is(store.call('TTL', 'k'), 1);
  store.set('k', 'v', { px: 1500 });
  assert.is(store.ttl('k'), 2);
  assert.is(store.pexpiretime('k'), clock.ms + 1500);
  assert.is(store.expiretime('k'), Math.floor((clock.ms + 1500 + 500) / 1000));
  assert.is(store.ttl('missing'), -2);
  assert.is(store.persist('k'), true);
  assert.is(store.ttl('k'), -1);
  assert.is(store.persist('k'), false);
  await store.close();
});

test('RENAME keeps the source TTL and replaces the target; RENAMENX and COPY', async () => {
  const { store } = await fresh();
  store.set('a', '1', { ex: 100 });
  store.set('b', '2', { ex: 5 });
  assert.is(store.rename('a', 'b'), 'OK');
  assert.is(store.get('b'), '1');
  assert.is(store.ttl('b'), 100);
  assert.is(store.exists('a'), 0);
  store.set('c', '3');
  assert.is(store.renamenx('b', 'c'), false);
  assert.is(store.call('RENAME', 'c', 'c'), 'OK');
  assert.is(store.call('RENAMENX', 'c', 'c'), 0);
  assert.is(store.copy('b', 'c'), false, 'COPY refuses an existing target');
  assert.is(store.copy('b', 'c', { replace: true }), true);
  assert.is(store.get('c'), '1');
  assert.is(store.ttl('c'), 100, 'COPY copies the TTL');
  assert.throws(() => store.call('COPY', 'b', 'b'), /source and destination objects are the same/);
  assert.throws(() => store.call('COPY', 'b', 'x', 'DB', 1), /DB index is out of range/);
  assert.is(store.call('COPY', 'b', 'x', 'DB', 0), 1);
  await store.close();
});

test('expired keys are invisible to every read and are logged as DEL when reclaimed', async () => {
  const { store, clock } = await fresh();
  const records: unknown[][] = [];
  store.ks.sink = recordingSink((unit) => records.push(...unit));
  store.set('k', 'v', { px: 10 });
  clock.advance(10);
  assert.is(store.dbsize(), 1, 'DBSIZE counts keys not yet reclaimed, as Redis');
  assert.equal(store.keys('*'), []);
  assert.is(store.exists('k'), 0);
  assert.equal(records.at(-1), ['DEL', 'k']);
  assert.is(store.dbsize(), 0);
  await store.close();
});

test('active expiry reclaims keys nobody reads, within its time budget per run', async () => {
  const { store, clock } = await fresh();
  for (let i = 0; i < 50_000; i++) store.set(`k${i}`, 'v', { px: 10 + (i % 2) * 1_000_000 });
  clock.advance(20);
  // Half the keys are expired: one run with a tiny budget stops early and leaves work for later.
  store.expireNow(0.05);
  assert.ok(store.ks.size < 50_000, 'a run reclaims something');
  assert.ok(store.ks.size > 25_000, 'a budget-limited run stops early');
  for (let run = 0; run < 10_000 && store.ks.size > 25_000; run++) store.expireNow(2);
  // The cycle stops once a round finds <= 10% expired, as Redis's, so a few may remain.
  assert.ok(store.ks.size <= 25_000 + 2_500, `left ${store.ks.size - 25_000} expired keys`);
  assert.is(store.keys('*').length, 25_000);
  await store.close();
});

test('the active expiry timer runs by itself and never keeps the process alive', async () => {
  const store = await open();
  store.set('k', 'v', { px: 1 });
  await new Promise((resolve) => setTimeout(resolve, 250));
  assert.is(store.ks.size, 0);
  await store.close();
});

test('SCAN returns every key present for the whole iteration, whatever happens between steps', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.integer({ min: 0, max: 300 }),
      fc.array(
        fc.record({
          count: fc.integer({ min: 1, max: 20 }),
          inserts: fc.array(fc.integer({ min: 0, max: 600 }), { maxLength: 10 }),
          deletes: fc.array(fc.integer({ min: 0, max: 600 }), { maxLength: 10 }),
        }),
        { maxLength: 200 },
      ),
      async (initial, steps) => {
        const { store } = await fresh();
        for (let i = 0; i < initial; i++) store.set(`k${i}`, 'v');
        const everDeleted = new Set<string>();
        const seen = new Set<string>();
        let cursor = '0';
        let step = 0;
        do {
          const options = steps[step % Math.max(1, steps.length)] ?? { count: 10, inserts: [], deletes: [] };
          const page = store.scan(cursor, { count: options.count });
          for (const key of page.keys) seen.add(key);
          cursor = page.cursor;
          for (const i of options.inserts) store.set(`k${i}`, 'v');
          for (const i of options.deletes) {
            store.del(`k${i}`);
            everDeleted.add(`k${i}`);
          }
          step++;
          assert.ok(step < 100_000, 'SCAN terminates');
        } while (cursor !== '0');
        for (let i = 0; i < initial; i++) {
          const key = `k${i}`;
          if (!everDeleted.has(key)) assert.ok(seen.has(key), `${key} present throughout was not returned`);
        }
        await store.close();
      },
    ),
    { numRuns: 200 },
  );
});

test('SCAN MATCH and TYPE filter; COUNT is a hint; scanIterator walks everything', async () => {
  const { store } = await fresh();
  for (let i = 0; i < 1000; i++) store.set(`user:${i}`, 'v');
  for (let i = 0; i < 100; i++) store.set(`other:${i}`, 'v');
  const matched = new Set<string>();
  let cursor = '0';
  do {
    const page = store.scan(cursor, { match: 'user:*', count: 50 });
    page.keys.forEach((k) => matched.add(k));
    cursor = page.cursor;
  } while (cursor !== '0');
  assert.is(matched.size, 1000);
  const reply = store.call('SCAN', '0', 'MATCH', 'other:*', 'COUNT', 10000, 'TYPE', 'string') as [string, string[]];
  assert.is(reply[0], '0');
  assert.is(reply[1].length, 100);
  assert.equal((store.call('SCAN', '0', 'COUNT', 10000, 'TYPE', 'hash') as [string, string[]])[1], []);
  const all: string[] = [];
  for await (const key of store.scanIterator({ match: 'other:1*' })) all.push(key);
  assert.is(all.length, 11);
  await store.close();
});

test('KEYS and RANDOMKEY', async () => {
  const { store, clock } = await fresh();
  assert.is(store.randomkey(), null);
  store.mset({ 'a:1': 'x', 'a:2': 'x', b: 'x' });
  assert.equal(store.keys('a:*').sort(), ['a:1', 'a:2']);
  assert.equal(store.call('KEYS', '[ab]*'), store.keys('[ab]*'));
  const seen = new Set<string>();
  for (let i = 0; i < 200; i++) seen.add(store.randomkey()!);
  assert.equal([...seen].sort(), ['a:1', 'a:2', 'b']);
  store.pexpire('a:1', 1);
  store.pexpire('a:2', 1);
  store.pexpire('b', 1);
  clock.advance(1);
  assert.is(store.randomkey(), null, 'only expired keys: none is returned');
  await store.close();
});

test('FLUSHALL empties the store; DBSIZE and TYPE', async () => {
  const { store } = await fresh();
  store.mset({ a: '1', b: '2' });
  assert.is(store.type('a'), 'string');
  assert.is(store.type('zzz'), 'none');
  assert.is(store.dbsize(), 2);
  assert.is(store.call('FLUSHALL', 'ASYNC'), 'OK');
  assert.is(store.dbsize(), 0);
  assert.throws(() => store.call('FLUSHALL', 'NOW'), /syntax error/);
  await store.close();
});

test.run();
