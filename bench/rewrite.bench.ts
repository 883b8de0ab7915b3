// The background AOF rewrite on the 1M-key mix (80% strings of 100 B, 10% hashes of 10 fields, 10%
// sorted sets of 100 members), written twice over so the log holds twice the data:
//   rewrite duration, base size against the AOF before, load time before and after,
//   a concurrent client loop (GET + SET per turn) during the rewrite against the same loop idle:
//   its write rate and the gaps between its turns (the latency any request would see).
// Targets (issue "Durability III"): p99 <= 2 ms, max <= 10 ms, write rate >= 80% of idle during
// the rewrite; restart after a rewrite as fast as loading a snapshot. Redis 7.0's figures on a
// 2-core machine, as the issue gives them (not measured here): BGREWRITEAOF ~5 s, GET p99 8.2 ms,
// max 71 ms, write rate -55%; restart from its multi-part AOF ~4 s.
// Run: npm run bench -- rewrite   (REWRITE_KEYS=100000 for a quick run)

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { open, type Store } from '../lib/index.ts';
import { note, seededRandom } from './harness.ts';

const KEYS = Number(process.env.REWRITE_KEYS ?? 1_000_000);
const root = mkdtempSync(join(tmpdir(), 'emberkv-bench-rewrite-'));
const dir = join(root, 'mix');
const random = seededRandom(11);
const value100 = (i: number) => `${i}:`.padEnd(100, 'x');
const options = { activeExpiry: false, save: [] as Array<[number, number]>, autoAofRewritePercentage: 0 };

console.log(`\n### AOF rewrite of the ${KEYS / 1e6}M-key mix\n\nnode ${process.version}, ${process.platform}/${process.arch}\n`);
console.log('| measure | emberkv | note |');
console.log('|---|---|---|');
const row = (name: string, value: string, comment = '') => console.log(`| ${name} | ${value} | ${comment} |`);
const ms = (n: number) => `${n.toFixed(2)} ms`;

async function fill(store: Store): Promise<void> {
  for (let round = 0; round < 2; round++) {
    for (let i = 0; i < KEYS; i++) {
      const kind = i % 10;
      if (kind < 8) store.set(`s:${i}`, value100(i + round));
      else if (kind === 8) {
        const fields: Record<string, string> = {};
        for (let f = 0; f < 10; f++) fields[`field${f}`] = `value ${i} ${f} ${round}`;
        store.hset(`h:${i}`, fields);
      } else {
        const members: Array<[number, string]> = [];
        for (let m = 0; m < 100; m++) members.push([Math.floor(random() * 1e6), `member:${m}`]);
        store.zadd(`z:${i}`, members);
      }
      if (i % 10_000 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
  }
}

interface LoopStats {
  writes: number;
  gaps: number[];
  seconds: number;
}

function clientLoop(store: Store, until: () => boolean): Promise<LoopStats> {
  return new Promise((resolve) => {
    const gaps: number[] = [];
    let writes = 0;
    const started = performance.now();
    let last = started;
    const turn = () => {
      const now = performance.now();
      gaps.push(now - last);
      last = now;
      for (let n = 0; n < 10; n++) {
        const i = Math.floor(random() * KEYS);
        store.get(`s:${i - (i % 10)}`);
        store.set(`s:${i - (i % 10)}`, value100(i));
        writes++;
      }
      if (until()) resolve({ writes, gaps, seconds: (performance.now() - started) / 1000 });
      else setImmediate(turn);
    };
    setImmediate(turn);
  });
}

function percentiles(values: number[]) {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))];
  return { p50: at(50), p99: at(99), max: sorted[sorted.length - 1] };
}

let store = await open(dir, options);
await fill(store);
await store.flush();
const before = store.persistenceStatus()!.aof_current_size!;
await store.close();

(globalThis as { gc?: () => void }).gc?.();
let started = performance.now();
store = await open(dir, options);
row('load before the rewrite (AOF replay)', `${((performance.now() - started) / 1000).toFixed(2)} s`, `${(before / 2 ** 20).toFixed(0)} MiB of AOF`);
/**
 * The client loop for 2 s with nothing else running, once the collector is done: a full collection
 * still running from the replay made the loop run at half its steady rate (which flattered the
 * rewrite's ratio), and without a second for concurrent sweeping the loop's first allocations sweep
 * (300+ ms).
 */
async function settledIdleLoop(): Promise<LoopStats> {
  (globalThis as { gc?: () => void }).gc?.();
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const idleEnd = performance.now() + 2000;
  return clientLoop(store, () => performance.now() > idleEnd);
}

const idle = await settledIdleLoop();
const idleStats = percentiles(idle.gaps);
const idleRate = idle.writes / idle.seconds;
row('client loop idle (10 GET+SET per turn)', `p50 ${ms(idleStats.p50)}, p99 ${ms(idleStats.p99)}, max ${ms(idleStats.max)}`, `${Math.round(idleRate)} writes/s`);

let rewriting = true;
const during = clientLoop(store, () => !rewriting);
started = performance.now();
const result = await store.bgrewriteaof();
rewriting = false;
const busy = await during;
const seconds = (performance.now() - started) / 1000;
const busyStats = percentiles(busy.gaps);
const busyRate = busy.writes / busy.seconds;
row('rewrite duration, under the client loop', `${seconds.toFixed(2)} s`, 'Redis ~5 s under writes');
row('base vs the AOF before', `${(result.baseBytes / 2 ** 20).toFixed(0)} MiB vs ${(result.previousBytes / 2 ** 20).toFixed(0)} MiB`, `${((result.baseBytes / result.previousBytes) * 100).toFixed(0)}%`);
row('client loop during the rewrite', `p50 ${ms(busyStats.p50)}, p99 ${ms(busyStats.p99)}, max ${ms(busyStats.max)}`, 'target p99 <= 2 ms, max <= 10 ms (Redis: p99 8.2 ms, max 71 ms)');
// The idle rate again after the rewrite: a single 2 s sample before it varied 194-334k writes/s
// between runs, which swung the ratio more than the rewrite's share did.
const idleAfter = await settledIdleLoop();
const idleAfterRate = idleAfter.writes / idleAfter.seconds;
const idleMeanRate = (idleRate + idleAfterRate) / 2;
row('client loop idle again, after the rewrite', `${Math.round(idleAfterRate)} writes/s`);
row(
  'write rate during the rewrite',
  `${Math.round(busyRate)} writes/s, ${((busyRate / idleMeanRate) * 100).toFixed(0)}% of idle (mean of before and after)`,
  'target >= 80% (Redis: -55%)',
);
row('copy-on-write memory (aof_last_cow_size)', `${(result.cowBytes / 2 ** 20).toFixed(1)} MiB`);
await store.close();

(globalThis as { gc?: () => void }).gc?.();
started = performance.now();
store = await open(dir, options);
row('load after the rewrite (base + incremental)', `${((performance.now() - started) / 1000).toFixed(2)} s`, 'target: as fast as a snapshot load (Redis ~4 s)');
await store.close();
note('latency = the gap between the client loop\'s turns: the longest any request arriving then would wait');
rmSync(root, { recursive: true, force: true });
