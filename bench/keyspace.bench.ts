// The keyspace's hot paths against plain JS structures, in one process:
//   GET / SET (typed face)      vs Map.get / Map.set and lru-cache get / set, 1M keys
//   HSET / HGET                 vs a Map of Maps, 100k hashes of 10 fields
//   ZADD into a 1M-member set, ZRANK, ZRANGEBYSCORE ... LIMIT 0 10
//   SCAN over 1M keys           vs iterating Map keys
// Targets (issue "The keyspace"): GET >= 50% of Map.get, SET >= 35% of Map.set, ZADD into 1M >=
// 300k/s, ZRANK >= 1M/s. DEL/UNLINK pauses: bench/unlink.bench.ts.
// Run: npm run bench -- keyspace

import { LRUCache } from 'lru-cache';
import { open } from '../lib/index.ts';
import { header, measure, report, seededRandom } from './harness.ts';

const N = 1_000_000;
const random = seededRandom();
const keys = Array.from({ length: N }, (_, i) => `key:${i}`);
const values = Array.from({ length: N }, (_, i) => `value:${i}:${'x'.repeat(i % 16)}`);
const probes = Array.from({ length: N }, () => keys[Math.floor(random() * N)]);

header('Keyspace: typed commands vs plain structures (1M keys)');

const store = await open(undefined, { activeExpiry: false });
const map = new Map<string, string>();
const lru = new LRUCache<string, string>({ max: 2 * N });
for (let i = 0; i < N; i++) {
  store.set(keys[i], values[i]);
  map.set(keys[i], values[i]);
  lru.set(keys[i], values[i]);
}

let sink = 0;
const mapGet = measure('Map.get', N, () => {
  for (let i = 0; i < N; i++) sink += map.get(probes[i])!.length;
});
const lruGet = measure('lru-cache get', N, () => {
  for (let i = 0; i < N; i++) sink += lru.get(probes[i])!.length;
});
const storeGet = measure('GET (typed)', N, () => {
  for (let i = 0; i < N; i++) sink += (store.get(probes[i]) as string).length;
});
report(storeGet, mapGet, { ratio: 0.5 });
report(storeGet, lruGet);
// Eviction metadata on the read path: the same GETs with an LFU policy (a counter update per read).
store.configSet({ 'maxmemory-policy': 'allkeys-lfu' });
const lfuGet = measure('GET (typed, allkeys-lfu)', N, () => {
  for (let i = 0; i < N; i++) sink += (store.get(probes[i]) as string).length;
});
report(lfuGet, mapGet, { ratio: 0.5 });
store.configSet({ 'maxmemory-policy': 'noeviction' });
const callGet = measure("GET (call('GET'))", N, () => {
  for (let i = 0; i < N; i++) sink += (store.call('GET', probes[i]) as string).length;
});
report(callGet, mapGet);

const mapSet = measure('Map.set (overwrite)', N, () => {
  for (let i = 0; i < N; i++) map.set(probes[i], values[i]);
});
const lruSet = measure('lru-cache set (overwrite)', N, () => {
  for (let i = 0; i < N; i++) lru.set(probes[i], values[i]);
});
const storeSet = measure('SET (typed, overwrite)', N, () => {
  for (let i = 0; i < N; i++) store.set(probes[i], values[i]);
});
report(storeSet, mapSet, { ratio: 0.35 });
report(storeSet, lruSet);

const fresh = Array.from({ length: N }, (_, i) => `new:${i}`);
let insertMap = new Map<string, string>();
const mapInsert = measure('Map.set (new keys)', N, () => {
  for (let i = 0; i < N; i++) insertMap.set(fresh[i], values[i]);
}, { setup: () => { insertMap = new Map(); }, rounds: 3 });
let insertStore = await open(undefined, { activeExpiry: false });
const storeInsert = measure('SET (typed, new keys)', N, () => {
  for (let i = 0; i < N; i++) insertStore.set(fresh[i], values[i]);
}, { setup: () => { insertStore.flushall(); }, rounds: 3 });
report(storeInsert, mapInsert, { ratio: 0.35 });
insertMap = new Map();
insertStore.flushall();

// Hashes: 100k hashes of 10 fields.
const H = 100_000;
const fields = Array.from({ length: 10 }, (_, i) => `field${i}`);
const hashKeys = Array.from({ length: H }, (_, i) => `hash:${i}`);
const hashMap = new Map<string, Map<string, string>>();
const hsetMap = measure('Map of Maps set', H * 10, () => {
  for (let i = 0; i < H; i++) {
    let hash = hashMap.get(hashKeys[i]);
    if (hash === undefined) hashMap.set(hashKeys[i], (hash = new Map()));
    for (let f = 0; f < 10; f++) hash.set(fields[f], values[i + f]);
  }
});
const hsetStore = measure('HSET (typed, 1 field)', H * 10, () => {
  for (let i = 0; i < H; i++) for (let f = 0; f < 10; f++) store.hset(hashKeys[i], { [fields[f]]: values[i + f] });
});
report(hsetStore, hsetMap);
const hgetMap = measure('Map of Maps get', H * 10, () => {
  for (let i = 0; i < H; i++) for (let f = 0; f < 10; f++) sink += hashMap.get(hashKeys[i])!.get(fields[f])!.length;
});
const hgetStore = measure('HGET (typed)', H * 10, () => {
  for (let i = 0; i < H; i++) for (let f = 0; f < 10; f++) sink += (store.hget(hashKeys[i], fields[f]) as string).length;
});
report(hgetStore, hgetMap);

// Sorted sets: a 1M-member set, then 100k more members.
const members = Array.from({ length: N }, (_, i) => `member:${i}`);
const scores = Array.from({ length: N }, () => Math.floor(random() * 1e9) / 100);
const zsetStore = await open(undefined, { activeExpiry: false });
for (let i = 0; i < N; i++) zsetStore.zadd('z', [[scores[i], members[i]]]);
const extra = Array.from({ length: 100_000 }, (_, i) => `extra:${i}`);
const extraScores = Array.from({ length: 100_000 }, () => random() * 1e7);
const zaddMap = measure('Map.set (baseline)', extra.length, () => {
  for (let i = 0; i < extra.length; i++) insertMap.set(extra[i], values[i]);
}, { setup: () => { insertMap = new Map(); } });
const zadd = measure('ZADD new member into 1M set (typed)', extra.length, () => {
  for (let i = 0; i < extra.length; i++) zsetStore.zadd('z', [[extraScores[i], extra[i]]]);
}, { setup: () => { zsetStore.zrem('z', ...extra); }, rounds: 3 });
report(zadd, zaddMap, { opsPerSecond: 300_000 });
const zrankMap = measure('Map.get (baseline)', N, () => {
  for (let i = 0; i < N; i++) sink += map.get(probes[i])!.length;
});
// measure's warm-up pass ranks every probe once, so the timed rounds see a set whose members have
// been ranked before and that is not being written: ZRANK then starts from the remembered leaf
// (ZSet.rankOf). A member's first rank, or ranks while the set changes, descend the tree.
const zrankProbes = Array.from({ length: N }, () => members[Math.floor(random() * N)]);
const zrank = measure('ZRANK in 1M set (typed)', N, () => {
  for (let i = 0; i < N; i++) sink += zsetStore.zrank('z', zrankProbes[i])!;
});
report(zrank, zrankMap, { opsPerSecond: 1_000_000 });
// The other case: every ZRANK follows a write to the set, so it always descends (no target).
const zincrMembers = Array.from({ length: 200_000 }, () => members[Math.floor(random() * N)]);
const zrankWritten = measure('ZRANK, each after a ZINCRBY to the set (typed, ZRANK+ZINCRBY pairs)', zincrMembers.length, () => {
  for (let i = 0; i < zincrMembers.length; i++) {
    zsetStore.zincrby('z', 0.5, zincrMembers[i]);
    sink += zsetStore.zrank('z', zrankProbes[i])!;
  }
}, { rounds: 3 });
report(zrankWritten, zrankMap);
const rangeMins = Array.from({ length: 100_000 }, () => Math.floor(random() * 1e7));
const zrangeByScore = measure('ZRANGEBYSCORE min +inf LIMIT 0 10 (typed)', rangeMins.length, () => {
  for (let i = 0; i < rangeMins.length; i++) {
    sink += zsetStore.zrange('z', rangeMins[i], '+inf', { by: 'score', limit: { offset: 0, count: 10 } }).length;
  }
});
report(zrangeByScore, zrankMap);

// SCAN over 1M keys, COUNT 1000 per step.
const scanMap = measure('Map keys iteration', N, () => {
  for (const key of map.keys()) sink += key.length;
}, { rounds: 3 });
const scan = measure('SCAN COUNT 1000 over 1M keys', N, () => {
  let cursor = '0';
  do {
    const page = store.scan(cursor, { count: 1000 });
    cursor = page.cursor;
    sink += page.keys.length;
  } while (cursor !== '0');
}, { rounds: 3 });
report(scan, scanMap);

if (sink === 42) console.log('');
await store.close();
await zsetStore.close();
