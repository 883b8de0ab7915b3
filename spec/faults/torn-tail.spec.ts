// Torn tails: what a crash in the middle of an append leaves. The file is cut at every byte offset
// of its last few records, padded with zeros, or emptied; each must open, keep every complete
// record, drop the torn one, and say so in a warning.

import { appendFileSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { dumpStore } from '../support/model.ts';
import { copyDir, openCollecting, stateAt, tempRoot, writeLog, type WrittenLog } from '../support/data-dir.ts';

const temp = tempRoot('torn');
let log: WrittenLog;

test.before(async () => {
  log = await writeLog(temp.path('source'), 40);
});

test('cut at every byte offset of the last five records: opens with every complete record', async () => {
  const from = log.sizes[log.sizes.length - 6];
  const end = log.sizes[log.sizes.length - 1];
  for (let cut = from; cut <= end; cut++) {
    const dir = temp.path('cut');
    copyDir(log.dir, dir);
    truncateSync(join(dir, 'appendonly.1.aof'), cut);
    const { store, warnings } = await openCollecting(dir, { clock: log.clock.now });
    assert.equal(dumpStore(store), stateAt(log, cut), `cut at ${cut}`);
    const onBoundary = log.sizes.includes(cut);
    if (onBoundary) assert.equal(warnings, [], `cut at a record boundary (${cut}) is not damage`);
    else {
      assert.is(warnings.length, 1, `cut at ${cut} warns once`);
      assert.is(warnings[0].code, 'torn-tail');
      assert.is(warnings[0].file, join(dir, 'appendonly.1.aof'));
      const kept = log.sizes.filter((size) => size <= cut).at(-1) ?? log.emptySize;
      assert.is(warnings[0].bytesDropped, cut - kept);
      assert.ok(warnings[0].message.includes(`byte ${kept}`), warnings[0].message);
    }
    // The cut file keeps working: new writes land after the last good record and survive.
    store.set('after', 'cut');
    await store.close();
    const again = await openCollecting(dir, { clock: log.clock.now });
    assert.equal(again.warnings, []);
    assert.is(again.store.get('after'), 'cut');
    await again.store.close();
  }
});

test('a zero-filled tail (left by some file systems after a power cut) is cut with a warning', async () => {
  const dir = temp.path('zeros');
  copyDir(log.dir, dir);
  appendFileSync(join(dir, 'appendonly.1.aof'), Buffer.alloc(4096));
  const { store, warnings } = await openCollecting(dir, { clock: log.clock.now });
  assert.equal(dumpStore(store), log.states.at(-1));
  assert.is(warnings.length, 1);
  assert.is(warnings[0].bytesDropped, 4096);
  await store.close();
  assert.is(statSync(join(dir, 'appendonly.1.aof')).size, log.sizes.at(-1));
});

test('garbage after the last record, with no valid frame in it, is a torn tail', async () => {
  const dir = temp.path('garbage');
  copyDir(log.dir, dir);
  appendFileSync(join(dir, 'appendonly.1.aof'), Buffer.from([0xff, 0x00, 0x00, 0x00, 1, 2, 3, 4, 5, 6, 7, 8, 9]));
  const { store, warnings } = await openCollecting(dir, { clock: log.clock.now });
  assert.equal(dumpStore(store), log.states.at(-1));
  assert.is(warnings[0].code, 'torn-tail');
  await store.close();
});

test('an empty or zero-filled AOF file opens as an empty store with a fresh header', async () => {
  for (const content of [Buffer.alloc(0), Buffer.alloc(10), Buffer.alloc(16)]) {
    const dir = temp.path('empty');
    copyDir(log.dir, dir);
    writeFileSync(join(dir, 'appendonly.1.aof'), content);
    const { store, warnings } = await openCollecting(dir, { clock: log.clock.now });
    assert.is(store.dbsize(), 0);
    assert.is(warnings.length, 1);
    assert.is(warnings[0].bytesDropped, content.length);
    store.set('k', 'v');
    await store.close();
    const again = await openCollecting(dir, { clock: log.clock.now });
    assert.is(again.store.get('k'), 'v');
    assert.equal(again.warnings, []);
    await again.store.close();
  }
});

test('a torn tail is cut for good: the bytes dropped do not come back', async () => {
  const dir = temp.path('once');
  copyDir(log.dir, dir);
  const file = join(dir, 'appendonly.1.aof');
  truncateSync(file, log.sizes.at(-1)! - 3);
  const first = await openCollecting(dir, { clock: log.clock.now });
  await first.store.close();
  const bytes = readFileSync(file);
  assert.is(bytes.length, log.sizes.at(-2));
});

test.after(() => temp.remove());
test.run();
