// The append-only file's cost on the write path, and how fast a log replays.
//   SET throughput, typed face, 1M keys in turns of 1,000 (an app's event loop): in memory only,
//   appendfsync 'no', 'everysec' and 'always' (fewer ops: one fdatasync each), in one run.
//   Replay: reopening a directory whose AOF holds 1M small SETs.
//   Encoding: the hand-written record encoder against msgpackr for the same records.
// Targets (issue "Durability I"): everysec SET >= 60% of the in-memory SET rate; replay >= 1M
// records/s. Run: npm run bench -- aof

import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Packr } from 'msgpackr';
import { open, type AppendFsync } from '../lib/index.ts';
import { FrameEncoder } from '../lib/persistence/record-codec.ts';
import { header, measure, note, report } from './harness.ts';

const N = 1_000_000;
const TURN = 1000;
const root = mkdtempSync(join(tmpdir(), 'emberkv-bench-aof-'));
const keys = Array.from({ length: N }, (_, i) => `key:${i}`);
const values = Array.from({ length: N }, (_, i) => `value:${i}:${'x'.repeat(i % 16)}`);

header('Append-only file: SET throughput by fsync policy, replay rate, record encoding');

/** ops/s of `count` SETs in turns of TURN, each turn ended by a setImmediate. */
async function setRate(policy: AppendFsync | 'memory', count: number): Promise<number> {
  const dir = join(root, `set-${policy}-${Date.now()}`);
  const store = await open(policy === 'memory' ? undefined : dir, { activeExpiry: false, save: [], appendfsync: policy === 'memory' ? 'everysec' : policy });
  const started = process.hrtime.bigint();
  for (let i = 0; i < count; i += TURN) {
    const end = Math.min(count, i + TURN);
    for (let j = i; j < end; j++) store.set(keys[j], values[j]);
    await new Promise((resolve) => setImmediate(resolve));
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  await store.close();
  rmSync(dir, { recursive: true, force: true });
  return count / seconds;
}

async function median(runs: number, rate: () => Promise<number>): Promise<number> {
  const rates: number[] = [];
  await rate(); // warm-up
  for (let i = 0; i < runs; i++) rates.push(await rate());
  rates.sort((a, b) => a - b);
  return rates[Math.floor(rates.length / 2)];
}

const memory = { name: 'SET, in memory only', opsPerSecond: await median(3, () => setRate('memory', N)) };
report(memory, null);
const no = { name: "SET, appendfsync 'no'", opsPerSecond: await median(3, () => setRate('no', N)) };
report(no, memory);
const everysec = { name: "SET, appendfsync 'everysec'", opsPerSecond: await median(3, () => setRate('everysec', N)) };
report(everysec, memory, { ratio: 0.6 });
const always = { name: "SET, appendfsync 'always' (2,000 ops)", opsPerSecond: await median(1, () => setRate('always', 2000)) };
report(always, memory);

// Replay: a directory holding 1M small SETs.
const replayDir = join(root, 'replay');
{
  const store = await open(replayDir, { activeExpiry: false, save: [] });
  for (let i = 0; i < N; i++) store.set(keys[i], values[i]);
  await store.close();
}
const fileBytes = statSync(join(replayDir, 'appendonly.1.aof')).size;
const rates: number[] = [];
for (let i = 0; i < 3; i++) {
  const started = process.hrtime.bigint();
  const store = await open(replayDir, { activeExpiry: false, save: [] });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (store.dbsize() !== N) throw new Error(`replayed ${store.dbsize()} keys, expected ${N}`);
  await store.close();
  rates.push(N / seconds);
}
rates.sort((a, b) => a - b);
const mapFill = measure('Map.set of the same 1M pairs', N, () => {
  const map = new Map<string, string>();
  for (let i = 0; i < N; i++) map.set(keys[i], values[i]);
}, { rounds: 3 });
report({ name: `replay of 1M SET records (${(fileBytes / 1e6).toFixed(1)} MB file)`, opsPerSecond: rates[1] }, mapFill, { opsPerSecond: 1_000_000 });

// Encoding only: FrameEncoder vs msgpackr (pack, then copy into the log buffer, as a sink would).
const records = Array.from({ length: 100_000 }, (_, i) => ['SET', keys[i], values[i]]);
const encoder = new FrameEncoder();
// As the AOF writes them: one records frame (one CRC-32) per turn of TURN records.
const frames = measure(`FrameEncoder.runRecord (a frame and CRC-32 per ${TURN})`, records.length, () => {
  for (let i = 0; i < records.length; i++) {
    encoder.runRecord(records[i]);
    if (i % TURN === TURN - 1) encoder.endRun();
  }
  encoder.clear();
});
const packr = new Packr({ useRecords: false });
const target = Buffer.allocUnsafe(64 * 1024 * 1024);
const packed = measure('msgpackr pack + copy (no frame, no CRC)', records.length, () => {
  let at = 0;
  for (let i = 0; i < records.length; i++) {
    const bytes = packr.pack(records[i]);
    target.set(bytes, at);
    at += bytes.length;
  }
});
report(frames, packed);
note(`FrameEncoder bytes per SET record: ${(() => { for (let i = 0; i < TURN; i++) encoder.runRecord(records[i]); const n = encoder.view().length / TURN; encoder.clear(); return n.toFixed(1); })()} in a turn's frame (msgpackr payload alone: ${packr.pack(records[0]).length})`);

rmSync(root, { recursive: true, force: true });
