// The memory estimate that eviction and INFO read: kept incrementally, it must stay within 25% of
// what the V8 heap actually grew by, for 1M keys of each type. Needs --expose-gc (the spec runner
// passes it) to measure the heap between full collections.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { open, type Store } from '../../lib/index.ts';

const gc = (globalThis as { gc?: () => void }).gc;
const N = 1_000_000;

/** Strings as an app gets them (parsed, decoded): flat, not concatenation trees. */
const flat = (text: string) => Buffer.from(text).toString();

/** JS heap plus ArrayBuffers: the index tables (slot-table.ts) live outside the heap. */
function heapUsed(): number {
  gc!();
  gc!();
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.arrayBuffers;
}

async function measure(fill: (store: Store, keys: string[]) => void, keyCount = N): Promise<{ estimate: number; measured: number }> {
  const keys = Array.from({ length: keyCount }, (_, i) => flat(`key:${i}`));
  const store = await open(undefined, { activeExpiry: false });
  const before = heapUsed();
  fill(store, keys);
  const measured = heapUsed() - before;
  const estimate = store.ks.usedMemory;
  // The keys were allocated before measuring, but the estimate counts them: add them back.
  const keyBytes = keys.reduce((sum, key) => sum + 16 + key.length, 0);
  await store.close();
  return { estimate, measured: measured + keyBytes };
}

function check(name: string, { estimate, measured }: { estimate: number; measured: number }): void {
  const ratio = estimate / measured;
  console.log(`${name}: estimate ${(estimate / 1e6).toFixed(1)} MB, heap and buffer growth ${(measured / 1e6).toFixed(1)} MB, ratio ${ratio.toFixed(2)}`);
  assert.ok(ratio >= 0.75 && ratio <= 1.25, `${name}: estimate / measured = ${ratio.toFixed(2)}`);
}

test('1M string keys (some with TTLs)', async () => {
  if (gc === undefined) return assert.unreachable('run with --expose-gc (npm test does)');
  check('strings', await measure((store, keys) => {
    for (let i = 0; i < N; i++) store.set(keys[i], flat(`value:${i}:${'x'.repeat(i % 48)}`), i % 4 === 0 ? { ex: 3600 } : undefined);
  }));
});

test('1M hash keys of three fields', async () => {
  check('hashes', await measure((store, keys) => {
    for (let i = 0; i < N; i++) {
      store.hset(keys[i], { [flat(`name${i % 7}`)]: flat(`user ${i}`), [flat('email')]: flat(`user${i}@example.com`), [flat('age')]: flat(String(i % 90)) });
    }
  }));
});

test('1M sorted-set keys of three members', async () => {
  check('sorted sets', await measure((store, keys) => {
    for (let i = 0; i < N; i++) store.zadd(keys[i], [[i, flat(`m${i}`)], [i * 2, flat(`member-${i}`)], [1.5, flat(`z${i % 13}`)]]);
  }));
});

test('20k hashes of 100 fields and 20k sorted sets of 100 members (a branch per set)', async () => {
  const K = 20_000;
  check('hashes of 100', await measure((store, keys) => {
    for (let i = 0; i < K; i++) {
      // Pairs, not an object: an object's property names are interned, so every hash would share
      // one set of field strings, which the estimate counts per hash (as they are after a load).
      const fields: Array<[string, string]> = [];
      for (let j = 0; j < 100; j++) fields.push([flat(`field${j}`), flat(`value ${i} ${j}`)]);
      store.hset(keys[i], fields);
    }
  }, K));
  check('sorted sets of 100', await measure((store, keys) => {
    for (let i = 0; i < K; i++) {
      const members: Array<[number, string]> = [];
      for (let j = 0; j < 100; j++) members.push([(i * 7919 + j * 104729) % 1_000_003, flat(`member:${j}`)]);
      store.zadd(keys[i], members);
    }
  }, K));
});

test('one hash of 1M fields and one sorted set of 1M members', async () => {
  check('big hash', await measure((store) => {
    for (let i = 0; i < N; i += 1000) {
      const fields: Record<string, string> = {};
      for (let j = i; j < i + 1000; j++) fields[flat(`field:${j}`)] = flat(`value:${j}`);
      store.hset('big', fields);
    }
  }, 0));
  check('big sorted set', await measure((store) => {
    for (let i = 0; i < N; i += 1000) {
      const members: Array<[number, string]> = [];
      for (let j = i; j < i + 1000; j++) members.push([j * 1.5, flat(`member:${j}`)]);
      store.zadd('big', members);
    }
  }, 0));
});

test.run();
