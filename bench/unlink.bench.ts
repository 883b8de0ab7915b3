// DEL and UNLINK of a 1M-member sorted set and a 1M-field hash: how long the call takes and the
// longest event-loop pause in the 1.5 s after it (the garbage collector's work included). Its own
// process, so the heap holds little else. Target (issue "The keyspace"): UNLINK no pause over 10 ms.
// Run: npm run bench -- unlink

import { open } from '../lib/index.ts';
import { eventLoopPause, header, note, seededRandom } from './harness.ts';

const N = 1_000_000;
const random = seededRandom();
const members = Array.from({ length: N }, (_, i) => `member:${i}`);
const scores = Array.from({ length: N }, () => Math.floor(random() * 1e9) / 100);

header('Deleting a 1M-element value');
// Deleting big values: the longest event-loop pause, the collector included.
for (const command of ['DEL', 'UNLINK'] as const) {
  const big = await open(undefined, { activeExpiry: false });
  for (let i = 0; i < N; i += 1000) {
    const batch: Array<[number, string]> = [];
    for (let j = i; j < i + 1000; j++) batch.push([scores[j], members[j]]);
    big.zadd('bigz', batch);
    const fieldsBatch: Record<string, string> = {};
    for (let j = i; j < i + 1000; j++) fieldsBatch[members[j]] = `value:${j}`;
    big.hset('bigh', fieldsBatch);
  }
  const control = await eventLoopPause(() => {});
  note(`control (no command), same heap: longest event-loop pause ${control.maxPauseMs.toFixed(1)} ms, longest GC pause ${control.maxGcMs.toFixed(1)} ms`);
  const zset = await eventLoopPause(() => big.call(command, 'bigz'));
  note(`${command} of a 1M-member sorted set: call ${zset.syncMs.toFixed(2)} ms: then longest event-loop pause ${zset.maxPauseMs.toFixed(1)} ms, longest GC pause ${zset.maxGcMs.toFixed(1)} ms`);
  const hash = await eventLoopPause(() => big.call(command, 'bigh'));
  note(`${command} of a 1M-field hash: call ${hash.syncMs.toFixed(2)} ms: then longest event-loop pause ${hash.maxPauseMs.toFixed(1)} ms, longest GC pause ${hash.maxGcMs.toFixed(1)} ms`);
  await big.close();
}

