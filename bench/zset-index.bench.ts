// Throughput and memory of ZSetIndex alone (no dict, no command parsing), at 1M members.
// Run: node --expose-gc --import tsx bench/zset-index.bench.ts [leafCapacity] [branchCapacity]
// Targets: insert >= 1M/s, rank >= 2M/s, deleteRankRange of 100k well under 50 ms. Heap per pair is
// the heap growth of building the index over members that already exist (the dict holds them
// anyway), so it is the index's own cost; it needs --expose-gc. Timings are wall clock: run it on
// an otherwise idle machine, and more than once.

import { ZSetIndex } from '../lib/keyspace/zset-index.ts';

const N = 1_000_000;
const leafCapacity = Number(process.argv[2] ?? 64);
const branchCapacity = Number(process.argv[3] ?? 64);
const options = { leafCapacity, branchCapacity };
const gc = (globalThis as { gc?: () => void }).gc;

function heapUsed(): number {
  if (gc !== undefined) {
    gc();
    gc();
  }
  return process.memoryUsage().heapUsed;
}

function line(name: string, value: string): void {
  console.log(`${name.padEnd(46)} ${value}`);
}

// Process CPU time in ms: on a shared machine it moves less than wall time (it still includes GC
// helper threads, so it can exceed wall time).
function cpuMs(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
}

function rate(name: string, ops: number, fn: () => void): void {
  const started = performance.now();
  const cpu = cpuMs();
  fn();
  const ms = performance.now() - started;
  const cpuRate = ops / (cpuMs() - cpu) / 1000;
  line(name, `${((ops / ms) * 1000 / 1e6).toFixed(2).padStart(6)} M ops/s  (${ops} in ${ms.toFixed(0)} ms; by CPU time ${cpuRate.toFixed(2)} M ops/s)`);
}

function millis(name: string, fn: () => void): void {
  const started = performance.now();
  const cpu = cpuMs();
  fn();
  line(name, `${(performance.now() - started).toFixed(2).padStart(6)} ms  (CPU ${(cpuMs() - cpu).toFixed(2)} ms)`);
}

function memory(name: string, index: ZSetIndex, before: number): void {
  const slots = `${(index.capacity / index.size).toFixed(2)} slots per pair, depth ${index.depth}`;
  if (gc === undefined) line(name, `(run with node --expose-gc)  ${slots}`);
  else line(name, `${((heapUsed() - before) / index.size).toFixed(1).padStart(6)} bytes per pair  (${slots})`);
}

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
let sink = 0;

console.log(`ZSetIndex, leaf capacity ${leafCapacity}, branch capacity ${branchCapacity}, node ${process.version}`);

// Warm the code paths on a small index so that the 1M runs measure optimized code.
{
  const warm = new ZSetIndex(options);
  for (let i = 0; i < 50_000; i++) warm.insert(scores[i], members[i]);
  for (let i = 0; i < 50_000; i++) sink += warm.rank(scores[i], members[i]);
  for (let i = 0; i < 25_000; i++) warm.delete(scores[i], members[i]);
  for (let round = 0; round < 20; round++) {
    for (let i = 0; i < 5_000; i++) warm.insert(scores[50_000 + round * 5_000 + i], members[50_000 + round * 5_000 + i]);
    warm.deleteRankRange(100, 5_100, () => {});
  }
}

// Each scenario is a function, so that its index is garbage once it returns and the next heap
// measurement starts clean (block scopes at module level kept theirs alive).
function randomScores(): void {
  console.log('-- random scores (all distinct)');
  const before = heapUsed();
  const index = new ZSetIndex(options);
  rate('insert', N, () => {
    for (let i = 0; i < N; i++) index.insert(scores[i], members[i]);
  });
  memory('heap', index, before);
  rate('rank, random present pairs', N, () => {
    for (let i = 0; i < N; i++) sink += index.rank(scores[probes[i]], members[probes[i]]);
  });
  rate('rank, absent member at a present score', N, () => {
    for (let i = 0; i < N; i++) sink += index.rank(scores[probes[i]], 'absent');
  });
  rate('scoreAt + memberAt, random ranks', N, () => {
    for (let i = 0; i < N; i++) sink += index.scoreAt(probes[i]) + index.memberAt(probes[i]).length;
  });
  rate('firstRankAbove + lastRankBelow (2 per op)', N, () => {
    for (let i = 0; i < N; i++) sink += index.firstRankAbove(scores[probes[i]], false) + index.lastRankBelow(scores[probes[i]], true);
  });
  rate('cursor walk, whole index', N, () => {
    for (const cursor = index.cursorAt(0); cursor.valid; cursor.next()) sink += cursor.score;
  });
  rate('forEach, whole index', N, () => {
    index.forEach((score) => {
      sink += score;
    });
  });
  millis('deleteRankRange 100k of 1M (middle, callback)', () => {
    sink += index.deleteRankRange(400_000, 499_999, (score) => {
      sink += score;
    });
  });
  millis('deleteRankRange 100k from the start (pop)', () => {
    sink += index.deleteRankRange(0, 99_999);
  });
  {
    const live: number[] = [];
    index.forEach((_score, member) => live.push(Number(member.slice(7))));
    for (let i = live.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [live[i], live[j]] = [live[j], live[i]];
    }
    rate('delete, random order, down to empty', live.length, () => {
      for (const j of live) if (!index.delete(scores[j], members[j])) throw new Error('missing');
    });
  }
}

function ties(): void {
  console.log('-- integer scores 0..9999 (100 members per score: member comparisons decide)');
  const tied = scores.map((s) => Math.floor(s / 1e5));
  const index = new ZSetIndex(options);
  rate('insert', N, () => {
    for (let i = 0; i < N; i++) index.insert(tied[i], members[i]);
  });
  rate('rank, random present pairs', N, () => {
    for (let i = 0; i < N; i++) sink += index.rank(tied[probes[i]], members[probes[i]]);
  });
}

function lexSet(): void {
  console.log('-- all scores 0 (a lex set)');
  const lex = new ZSetIndex(options);
  rate('insert', N, () => {
    for (let i = 0; i < N; i++) lex.insert(0, members[i]);
  });
  rate('firstRankAboveMember', N, () => {
    for (let i = 0; i < N; i++) sink += lex.firstRankAboveMember(members[probes[i]], false);
  });
}

function ascending(): void {
  console.log('-- ascending scores (timestamps)');
  const before = heapUsed();
  const ascending = new ZSetIndex(options);
  rate('insert', N, () => {
    for (let i = 0; i < N; i++) ascending.insert(i, members[i]);
  });
  memory('heap', ascending, before);
}

function snapshotLoad(): void {
  console.log('-- fromSorted (snapshot load)');
  const sortedScores = Array.from({ length: N }, (_, i) => i);
  const before = heapUsed();
  let loaded = new ZSetIndex(options);
  rate('fromSorted, checks included', N, () => {
    loaded = ZSetIndex.fromSorted(sortedScores, members, options);
  });
  memory('heap', loaded, before);
}

randomScores();
ties();
lexSet();
ascending();
snapshotLoad();

if (sink === 0.5) console.log(sink); // keeps results observable so no loop is optimized away
