// Snapshots of the 1M-key mix (80% strings of 100 B, 10% hashes of 10 fields, 10% sorted sets of
// 100 members), while a client loop keeps reading and writing:
//   start time (the O(1) view), bgsave duration, file size, load time (keys/s),
//   copy-on-write bytes under a steady write load,
//   latency seen by a concurrent loop (the gap between its turns: how long any request would wait)
//   during the snapshot, against the same loop idle and over a plain Map (the collector's floor);
//   bgsave duration under a steady 100k writes/s.
// Targets (issue "Durability II"): start < 1 ms; p99 <= 2 ms and max <= 10 ms under writes; extra
// memory no more than Redis's copy-on-write for the same writes; duration within 2x Redis's
// 1.9-2.7 s; load >= 2M small keys/s. Redis 7.0's figures on a 2-core machine, as the issue gives
// them (not measured here): fork stall 4-9 ms, BGSAVE 1.9-2.7 s, copy-on-write 135 MiB under about
// 280k SET/s, GET p99 1.6 ms idle and 3.7 ms under writes, max 10-12 ms, load ~0.8M keys/s.
// Run: npm run bench -- snapshot   (SNAPSHOT_KEYS=100000 for a quick run)

import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { open, type Store } from '../lib/index.ts';
import { SnapshotWriter, type SnapshotResult } from '../lib/persistence/snapshot.ts';
import { note, seededRandom } from './harness.ts';

const KEYS = Number(process.env.SNAPSHOT_KEYS ?? 1_000_000);
const root = mkdtempSync(join(tmpdir(), 'emberkv-bench-snapshot-'));
const random = seededRandom(7);
const STEADY_WRITES_PER_SECOND = 100_000;
const value100 = (i: number) => `${i}:`.padEnd(100, 'x');

console.log(`\n### Snapshots of the ${KEYS / 1e6}M-key mix\n\nnode ${process.version}, ${process.platform}/${process.arch}\n`);
console.log('| measure | emberkv | note |');
console.log('|---|---|---|');
const row = (name: string, value: string, comment = '') => console.log(`| ${name} | ${value} | ${comment} |`);

function fill(store: Store): void {
  for (let i = 0; i < KEYS; i++) {
    const kind = i % 10;
    if (kind < 8) store.set(`s:${i}`, value100(i));
    else if (kind === 8) {
      const fields: Record<string, string> = {};
      for (let f = 0; f < 10; f++) fields[`field${f}`] = `value ${i} ${f}`;
      store.hset(`h:${i}`, fields);
    } else {
      const members: Array<[number, string]> = [];
      for (let m = 0; m < 100; m++) members.push([Math.floor(random() * 1e6), `member:${m}`]);
      store.zadd(`z:${i}`, members);
    }
  }
}

interface LoopStats {
  operations: number;
  gaps: number[];
}

/** One write of a random key: overwrites a string (the copy-on-write case) or touches a hash or sorted set. */
function writeOne(store: Store): void {
  const k = Math.floor(random() * KEYS);
  if (k % 10 < 8) store.set(`s:${k}`, value100(k + 1));
  else if (k % 10 === 8) store.hset(`h:${k}`, { field0: 'changed' });
  else store.zadd(`z:${k}`, [[1, 'member:0']]);
}

/** A bgsave while `client` runs (it stops when the save ends): the save's result, its seconds and the client's own. */
async function bgsaveUnder<T>(store: Store, client: (until: () => boolean) => Promise<T>): Promise<{ result: SnapshotResult; seconds: number; load: T }> {
  let saving = true;
  const running = client(() => !saving);
  const started = performance.now();
  const result = await store.bgsave();
  saving = false;
  const load = await running;
  return { result, seconds: (performance.now() - started) / 1000, load };
}

/**
 * Runs `turn` once per event-loop turn until `until` says stop, timing the gap between turns.
 * `turn` returns the operations it did.
 */
function timedTurns(turn: () => number, until: () => boolean): Promise<LoopStats> {
  return new Promise((resolve) => {
    const gaps: number[] = [];
    let operations = 0;
    let last = performance.now();
    const next = () => {
      const now = performance.now();
      gaps.push(now - last);
      last = now;
      operations += turn();
      if (until()) resolve({ operations, gaps });
      else setImmediate(next);
    };
    setImmediate(next);
  });
}

/** A client: one GET (and one SET when writing) per event-loop turn. */
function clientLoop(store: Store, writes: boolean, until: () => boolean): Promise<LoopStats> {
  return timedTurns(() => {
    const i = Math.floor(random() * KEYS);
    store.get(`s:${i - (i % 10)}`);
    if (!writes) return 1;
    writeOne(store);
    return 2;
  }, until);
}

/**
 * A client at a steady rate: every timer tick it catches up to `perSecond` writes (overwrites, the
 * copy-on-write case) since it started. Unlike clientLoop it leaves the loop idle between bursts,
 * as a real app's traffic does. Redis's figures were taken under ~280k SET/s, but this process
 * cannot do 280k writes/s of the mix during a save (it managed 152k, i.e. saturated); 100k/s
 * leaves the loop room, which is the case the pacer's adaptive share is for.
 */
function steadyWriter(store: Store, perSecond: number, until: () => boolean): Promise<{ writes: number; seconds: number }> {
  return new Promise((resolve) => {
    const started = performance.now();
    let writes = 0;
    const tick = () => {
      // A tick does at most 4 ms worth: a loop that cannot keep up drops the backlog (the rate
      // done is reported) rather than blocking for ever longer bursts.
      const due = Math.min(Math.floor(((performance.now() - started) / 1000) * perSecond), writes + perSecond / 250);
      for (; writes < due; writes++) writeOne(store);
      if (until()) resolve({ writes, seconds: (performance.now() - started) / 1000 });
      else setTimeout(tick, 1);
    };
    setTimeout(tick, 1);
  });
}

function percentiles(values: number[]): { p50: number; p99: number; max: number } {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))];
  return { p50: at(50), p99: at(99), max: sorted[sorted.length - 1] };
}

const ms = (n: number) => `${n.toFixed(2)} ms`;

const dir = join(root, 'mix');
const store = await open(dir, { activeExpiry: false, appendonly: false, save: [] });
const fillStarted = performance.now();
fill(store);
row('keyspace', `${store.dbsize()} keys, ${(store.ks.usedMemory / 2 ** 20).toFixed(0)} MiB estimated`, `filled in ${((performance.now() - fillStarted) / 1000).toFixed(1)} s`);
(globalThis as { gc?: () => void }).gc?.();

// Start cost: constructing the view over the whole keyspace.
const startTimes: number[] = [];
for (let i = 0; i < 5; i++) {
  const started = performance.now();
  const writer = new SnapshotWriter(store.ks, { createdMs: Date.now(), version: 'bench' });
  startTimes.push(performance.now() - started);
  writer.detach();
}
row('start (view over the whole keyspace)', `${ms(Math.min(...startTimes))} (max of 5: ${ms(Math.max(...startTimes))})`, 'target < 1 ms; Redis fork stall 4-9 ms');

// The loop idle, for comparison.
/** How long the idle loop and the plain-Map loop run. */
const LOOP_SECONDS = 2;
const idleEnd = performance.now() + LOOP_SECONDS * 1000;
const idle = await clientLoop(store, true, () => performance.now() > idleEnd);
const idleStats = percentiles(idle.gaps);
// In GET+SET pairs per second, as the row during the bgsave counts them.
row('client loop idle (GET+SET per turn)', `p50 ${ms(idleStats.p50)}, p99 ${ms(idleStats.p99)}, max ${ms(idleStats.max)}`, `${Math.round(idle.operations / 2 / LOOP_SECONDS)} GET+SET/s`);

// The floor the collector sets: the same turns over a plain Map of the same strings, in this
// process. Its longest gaps are the young generation's collections of the values the client
// writes (they all survive), which emberkv neither causes nor can shorten.
{
  const plain = new Map<string, string>();
  for (let i = 0; i < KEYS; i++) if (i % 10 < 8) plain.set(`s:${i}`, value100(i));
  (globalThis as { gc?: () => void }).gc?.();
  const end = performance.now() + LOOP_SECONDS * 1000;
  const { operations, gaps } = await timedTurns(() => {
    const i = Math.floor(random() * KEYS);
    plain.get(`s:${i - (i % 10)}`);
    const k = Math.floor(random() * KEYS);
    // writeOne's string overwrites; its hash and sorted-set writes allocate nothing that lives.
    if (k % 10 < 8) plain.set(`s:${k}`, value100(k + 1));
    return 2;
  }, () => performance.now() > end);
  plain.clear();
  const stats = percentiles(gaps);
  row('floor: the same loop over a plain Map, no emberkv', `p50 ${ms(stats.p50)}, p99 ${ms(stats.p99)}, max ${ms(stats.max)}`, `${Math.round(operations / 2 / LOOP_SECONDS)} GET+SET/s; the same process, moments later`);
  (globalThis as { gc?: () => void }).gc?.();
}

// bgsave with nothing else running: the job's own cost.
{
  const started = performance.now();
  await store.bgsave();
  row('bgsave duration, nothing else running', `${((performance.now() - started) / 1000).toFixed(2)} s`, "Redis's BGSAVE 1.9-2.7 s");
}

// bgsave while the loop reads and writes.
const { result, seconds: saveSeconds, load: busy } = await bgsaveUnder(store, (until) => clientLoop(store, true, until));
const busyStats = percentiles(busy.gaps);
row('bgsave duration, under the client loop', `${saveSeconds.toFixed(2)} s`, "target within 2x Redis's 1.9-2.7 s");
row('snapshot file', `${(statSync(join(dir, 'dump.rdb')).size / 2 ** 20).toFixed(1)} MiB, ${result.keys} keys`);
row('client loop during bgsave', `p50 ${ms(busyStats.p50)}, p99 ${ms(busyStats.p99)}, max ${ms(busyStats.max)}`, `target p99 <= 2 ms, max <= 10 ms; ${Math.round(busy.operations / 2 / saveSeconds)} GET+SET/s`);
row('copy-on-write memory (rdb_last_cow_size)', `${(result.cowBytes / 2 ** 20).toFixed(1)} MiB`, `for ${Math.round(busy.operations / 2)} writes during the save (Redis: 135 MiB under ~280k SET/s)`);

// bgsave under a steady write load that leaves the loop room (the pacer's adaptive share).
{
  const steady = await bgsaveUnder(store, (until) => steadyWriter(store, STEADY_WRITES_PER_SECOND, until));
  row(
    `bgsave duration, under ${STEADY_WRITES_PER_SECOND / 1000}k writes/s`,
    `${steady.seconds.toFixed(2)} s`,
    `target within 2x Redis's 1.9-2.7 s (Redis's under ~280k SET/s); ${Math.round(steady.load.writes / steady.load.seconds)} writes/s done, copy-on-write ${(steady.result.cowBytes / 2 ** 20).toFixed(1)} MiB`,
  );
}

// Load: a snapshot-only store opening the file.
await store.close();
(globalThis as { gc?: () => void }).gc?.();
const loadStarted = performance.now();
const loaded = await open(dir, { activeExpiry: false, appendonly: false, save: [] });
const loadSeconds = (performance.now() - loadStarted) / 1000;
row('load at open', `${loadSeconds.toFixed(2)} s, ${(loaded.dbsize() / loadSeconds / 1e6).toFixed(2)} M keys/s`, 'target >= 2M small keys/s; Redis ~0.8M keys/s');
await loaded.close();

// Load of small keys only (the target's case): 1M strings of 100 B.
const smallDir = join(root, 'small');
const small = await open(smallDir, { activeExpiry: false, appendonly: false, save: [] });
for (let i = 0; i < KEYS; i++) small.set(`s:${i}`, value100(i));
await small.close();
(globalThis as { gc?: () => void }).gc?.();
const smallStarted = performance.now();
const smallLoaded = await open(smallDir, { activeExpiry: false, appendonly: false, save: [] });
const smallSeconds = (performance.now() - smallStarted) / 1000;
row('load of 1M small string keys', `${(smallLoaded.dbsize() / smallSeconds / 1e6).toFixed(2)} M keys/s`, `${smallSeconds.toFixed(2)} s`);
await smallLoaded.close();
// The floor a JS Map sets for that load: decoding the same keys from bytes and inserting them.
{
  const bytes = Buffer.from(Array.from({ length: KEYS }, (_, i) => `s:${i}`).join('\n'));
  const started = performance.now();
  const map = new Map<string, object>();
  let at = 0;
  for (let i = 0; i < KEYS; i++) {
    const end = bytes.indexOf(10, at);
    const key = bytes.toString('latin1', at, end === -1 ? bytes.length : end);
    at = end + 1;
    if (!map.has(key)) map.set(key, { i });
  }
  const seconds = (performance.now() - started) / 1000;
  row('floor: decode + Map insert of the same 1M keys, no emberkv', `${(KEYS / seconds / 1e6).toFixed(2)} M keys/s`, 'the same process, moments later');
}
note('latency = the gap between the client loop\'s turns: the longest any request arriving then would wait');
rmSync(root, { recursive: true, force: true });
