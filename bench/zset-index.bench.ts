// Throughput and memory of ZSetIndex alone (no dict, no command parsing), at 1M members.
// Run: node --expose-gc --import tsx bench/zset-index.bench.ts [leafCapacity] [branchCapacity]
// Targets: insert >= 1M/s, rank >= 2M/s, deleteRankRange of 100k well under 50 ms. Memory is the
// heap growth of building the index over members that already exist (the dict holds them anyway),
// so it is the index's own cost per element; needs --expose-gc to be meaningful.

import { ZSetIndex } from '../lib/keyspace/zset-index.ts';

const N = 1_000_000;
const leafCapacity = Number(process.argv[2] ?? 64);
const branchCapacity = Number(process.argv[3] ?? 64);
const gc = (globalThis as { gc?: () => void }).gc;

function heapUsed(): number {
  if (gc !== undefined) {
    gc();
    gc();
  }
  return process.memoryUsage().heapUsed;
}

function report(name: string, ops: number, ms: number): void {
  const rate = (ops / ms) * 1000;
  console.log(`${name.padEnd(44)} ${(rate / 1e6).toFixed(2).padStart(7)} M ops/s  (${ops} in ${ms.toFixed(1)} ms)`);
}

function time(fn: () => void): number {
  const started = performance.now();
  fn();
  return performance.now() - started;
}

// Seeded so runs compare.
// mulberry32: 32-bit state in integer math. (An LCG in doubles loses precision and cycles after a
// few thousand values, which would turn the bench into a score-tie test.)
let seed = 12345;
function random(): number {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), seed | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}

// Through JSON so the members are flat strings, as parsed commands give them: template strings of
// 13+ chars are ropes that V8 flattens on first comparison, which would bill the index for the copy.
const members: string[] = JSON.parse(JSON.stringify(Array.from({ length: N }, (_, i) => `member:${i}`)));
const scores = Array.from({ length: N }, () => random() * 1e9);
const probes = Array.from({ length: N }, () => Math.floor(random() * N));

console.log(`ZSetIndex, leaf capacity ${leafCapacity}, branch capacity ${branchCapacity}, node ${process.version}`);

// Warm up the code paths on a small index so the 1M run measures optimized code.
{
  const warm = new ZSetIndex({ leafCapacity, branchCapacity });
  for (let i = 0; i < 50_000; i++) warm.insert(scores[i], members[i]);
  for (let i = 0; i < 50_000; i++) warm.rank(scores[i], members[i]);
  for (let i = 0; i < 25_000; i++) warm.delete(scores[i], members[i]);
  warm.deleteRankRange(100, 10_000, () => {});
}

const before = heapUsed();
const index = new ZSetIndex({ leafCapacity, branchCapacity });
report('insert, random scores', N, time(() => {
  for (let i = 0; i < N; i++) index.insert(scores[i], members[i]);
}));
const after = heapUsed();
if (gc !== undefined) console.log(`${'heap per element (index only)'.padEnd(44)} ${((after - before) / N).toFixed(1)} bytes   (depth ${index.depth})`);
else console.log('heap per element: run with node --expose-gc to measure');

report('rank, random present pairs', N, time(() => {
  let sum = 0;
  for (let i = 0; i < N; i++) {
    const j = probes[i];
    sum += index.rank(scores[j], members[j]);
  }
  if (sum < 0) throw new Error('unreachable');
}));

report('rank, absent pairs', N, time(() => {
  let sum = 0;
  for (let i = 0; i < N; i++) sum += index.rank(scores[probes[i]], 'absent');
  if (sum !== -N) throw new Error('found an absent pair');
}));

report('scoreAt + memberAt, random ranks', N, time(() => {
  let length = 0;
  for (let i = 0; i < N; i++) {
    length += index.scoreAt(probes[i]) > 0 ? 1 : 0;
    length += index.memberAt(probes[i]).length;
  }
  if (length < 0) throw new Error('unreachable');
}));

report('firstRankAbove + lastRankBelow', N, time(() => {
  let sum = 0;
  for (let i = 0; i < N; i++) {
    sum += index.firstRankAbove(scores[probes[i]], false);
    sum += index.lastRankBelow(scores[probes[i]], true);
  }
  if (sum < -N) throw new Error('unreachable');
}));

report('cursor walk, whole index', N, time(() => {
  let sum = 0;
  for (const cursor = index.cursorAt(0); cursor.valid; cursor.next()) sum += cursor.score;
  if (Number.isNaN(sum)) throw new Error('unreachable');
}));

report('forEach, whole index', N, time(() => {
  let sum = 0;
  index.forEach((score) => {
    sum += score;
  });
  if (Number.isNaN(sum)) throw new Error('unreachable');
}));

{
  let removed = 0;
  const ms = time(() => {
    removed = index.deleteRankRange(400_000, 499_999, () => {});
  });
  console.log(`${'deleteRankRange 100k of 1M, with callback'.padEnd(44)} ${ms.toFixed(2).padStart(7)} ms`);
  if (removed !== 100_000) throw new Error('wrong count');
  const ms2 = time(() => {
    removed = index.deleteRankRange(0, 99_999);
  });
  console.log(`${'deleteRankRange 100k from the start (pop)'.padEnd(44)} ${ms2.toFixed(2).padStart(7)} ms`);
}

{
  // Every pair still present, in shuffled order.
  const live: number[] = [];
  index.forEach((_score, member) => live.push(Number(member.slice(7))));
  for (let i = live.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const t = live[i];
    live[i] = live[j];
    live[j] = t;
  }
  report('delete, random order, down to empty', live.length, time(() => {
    for (const j of live) if (!index.delete(scores[j], members[j])) throw new Error('missing');
  }));
}

{
  const sequential = new ZSetIndex({ leafCapacity, branchCapacity });
  const base = heapUsed();
  report('insert, ascending scores (timestamps)', N, time(() => {
    for (let i = 0; i < N; i++) sequential.insert(i, members[i]);
  }));
  if (gc !== undefined) console.log(`${'heap per element, ascending inserts'.padEnd(44)} ${((heapUsed() - base) / N).toFixed(1)} bytes`);
}

{
  const sortedScores = Array.from({ length: N }, (_, i) => i);
  const base = heapUsed();
  let loaded: ZSetIndex | null = null;
  report('fromSorted (snapshot load)', N, time(() => {
    loaded = ZSetIndex.fromSorted(sortedScores, members, { leafCapacity, branchCapacity });
  }));
  if (gc !== undefined) console.log(`${'heap per element, fromSorted'.padEnd(44)} ${((heapUsed() - base) / N).toFixed(1)} bytes`);
  if (loaded === null) throw new Error('unreachable');
}
