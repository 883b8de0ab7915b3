// Eviction quality: a Zipf(0.99) trace of 10M requests over 1M keys, with room for 10% of them. Each
// request is a look-aside cache access: GET, and on a miss SET (which evicts under maxmemory). The
// hit rate of each policy beside an exact LRU (lru-cache holding the same number of keys) on the
// same trace. Targets (issue "Memory limit, eviction policies"): allkeys-lru >= 95% of exact LRU's
// hit rate; allkeys-lfu beats allkeys-lru. Run: npm run bench -- eviction

import { LRUCache } from 'lru-cache';
import { open, type MaxmemoryPolicy } from '../lib/index.ts';
import { note, seededRandom } from './harness.ts';

const KEYS = 1_000_000;
const REQUESTS = Number(process.env.EVICTION_REQUESTS ?? 10_000_000);
const ROOM = KEYS / 10;
const SKEW = 0.99;
const VALUE = 'v'.repeat(32);

// Zipf by inverse CDF over ranks, ranks mapped to keys by a seeded shuffle.
const random = seededRandom(42);
const cdf = new Float64Array(KEYS);
let total = 0;
for (let rank = 0; rank < KEYS; rank++) {
  total += 1 / (rank + 1) ** SKEW;
  cdf[rank] = total;
}
const keyOfRank = Array.from({ length: KEYS }, (_, i) => `key:${i}`);
for (let i = KEYS - 1; i > 0; i--) {
  const j = Math.floor(random() * (i + 1));
  [keyOfRank[i], keyOfRank[j]] = [keyOfRank[j], keyOfRank[i]];
}
const trace = new Array<string>(REQUESTS);
for (let r = 0; r < REQUESTS; r++) {
  const target = random() * total;
  let low = 0;
  let high = KEYS - 1;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (cdf[mid] < target) low = mid + 1;
    else high = mid;
  }
  trace[r] = keyOfRank[low];
}

console.log(`\n### Eviction quality: Zipf(${SKEW}), ${REQUESTS / 1e6}M requests over ${KEYS / 1e6}M keys, room for ${ROOM / 1000}k\n`);
console.log(`node ${process.version}, ${process.platform}/${process.arch}\n`);
console.log('| policy | samples | hit rate | vs exact LRU | requests/s |');
console.log('|---|---|---|---|---|');

const lru = new LRUCache<string, string>({ max: ROOM });
let started = performance.now();
let hits = 0;
for (let r = 0; r < REQUESTS; r++) {
  const key = trace[r];
  if (lru.get(key) !== undefined) hits++;
  else lru.set(key, VALUE);
}
const exact = hits / REQUESTS;
console.log(`| exact LRU (lru-cache, ${ROOM} entries) | - | ${(exact * 100).toFixed(2)}% | 100% | ${Math.round(REQUESTS / ((performance.now() - started) / 1000))} |`);

// The byte limit that holds ROOM keys of this shape, from the store's own estimate.
const sizing = await open(undefined, { activeExpiry: false });
for (let i = 0; i < ROOM; i++) sizing.set(keyOfRank[i], VALUE);
const maxmemory = sizing.ks.usedMemory;
await sizing.close();

const runs: Array<[MaxmemoryPolicy, number]> = [
  ['allkeys-lru', 5],
  ['allkeys-lru', 10],
  ['allkeys-lfu', 5],
  ['allkeys-lfu', 10],
  ['allkeys-random', 5],
];
const rates = new Map<string, number>();
for (const [policy, samples] of runs) {
  const store = await open(undefined, { activeExpiry: false, maxmemory, maxmemoryPolicy: policy, maxmemorySamples: samples });
  started = performance.now();
  hits = 0;
  for (let r = 0; r < REQUESTS; r++) {
    const key = trace[r];
    if (store.get(key) !== null) hits++;
    else store.set(key, VALUE);
  }
  const rate = hits / REQUESTS;
  rates.set(`${policy}/${samples}`, rate);
  const perSecond = Math.round(REQUESTS / ((performance.now() - started) / 1000));
  console.log(`| ${policy} | ${samples} | ${(rate * 100).toFixed(2)}% | ${((rate / exact) * 100).toFixed(1)}% | ${perSecond} |`);
  await store.close();
}
const lru5 = rates.get('allkeys-lru/5')!;
const lfu5 = rates.get('allkeys-lfu/5')!;
note(`allkeys-lru (5 samples) reaches ${((lru5 / exact) * 100).toFixed(1)}% of exact LRU: ${lru5 / exact >= 0.95 ? 'meets' : 'MISSES'} >= 95%`);
note(`allkeys-lfu (5 samples) ${lfu5 > lru5 ? 'beats' : 'DOES NOT beat'} allkeys-lru: ${(lfu5 * 100).toFixed(2)}% vs ${(lru5 * 100).toFixed(2)}%`);
