// The records frame (AOF format version 2): a turn's records under one checksum. A cut anywhere in
// it drops that turn whole and nothing before it; a frame that passes its checksum but does not
// decode refuses to open; a version-1 file (one frame per record) still loads and is never given
// version-2 frames.

import { mkdirSync, readFileSync, readdirSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CorruptFileError, open } from '../../lib/index.ts';
import {
  AOF_MAGIC,
  FILE_HEADER_BYTES,
  FRAME_CLOCK,
  FRAME_HEADER_BYTES,
  FRAME_RECORDS,
  checkFileHeader,
} from '../../lib/persistence/format.ts';
import { encodeManifest } from '../../lib/persistence/manifest.ts';
import { FrameEncoder } from '../../lib/persistence/record-codec.ts';
import { dumpStore } from '../support/model.ts';
import { copyDir, openCollecting, tempRoot } from '../support/data-dir.ts';
import { framesIn } from '../support/frames.ts';

const temp = tempRoot('records');
const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

test("a turn's records are one frame; a cut anywhere in it drops that turn whole, nothing before", async () => {
  const source = temp.path('turns');
  const store = await open(source, { activeExpiry: false });
  store.set('first', 'turn');
  await nextTurn();
  const before = dumpStore(store);
  const keptBytes = readFileSync(join(source, 'appendonly.1.aof')).length;
  for (let i = 0; i < 20; i++) store.set(`k${i}`, `v${i}`);
  store.call('HSET', 'h', 'f', 'x');
  store.call('ZADD', 'z', 1.5, 'm');
  store.call('DEL', 'k0');
  await nextTurn();
  await store.close();
  const bytes = readFileSync(join(source, 'appendonly.1.aof'));
  const frames = framesIn(bytes, FILE_HEADER_BYTES);
  assert.equal([frames.at(-1)!.offset, frames.at(-1)!.kind], [keptBytes, FRAME_RECORDS], 'the second turn is one records frame');
  assert.equal(frames.map((frame) => frame.kind), [FRAME_CLOCK, FRAME_RECORDS, FRAME_RECORDS]);

  const whole = await openCollecting(source);
  assert.is(whole.store.dbsize(), 1 + 19 + 2);
  await whole.store.close();

  for (let cut = keptBytes + 1; cut < bytes.length; cut++) {
    const dir = temp.path('cut');
    copyDir(source, dir);
    truncateSync(join(dir, 'appendonly.1.aof'), cut);
    const { store: reopened, warnings } = await openCollecting(dir);
    assert.equal(dumpStore(reopened), before, `cut at ${cut}`);
    assert.equal(warnings.map((w) => [w.code, w.bytesDropped]), [['torn-tail', cut - keptBytes]], `cut at ${cut}`);
    await reopened.close();
  }
});

test('a records frame that passes its checksum but does not decode refuses to open, even with truncate', async () => {
  const dir = temp.path('forged');
  const store = await open(dir, { activeExpiry: false });
  store.set('a', '1');
  await store.close();
  const file = join(dir, 'appendonly.1.aof');
  const at = readFileSync(file).length;
  // SET b 2, then a record whose argument count promises more than the frame holds.
  const encoder = new FrameEncoder(16);
  encoder.runRecord(['SET', 'b', '2']);
  encoder.runRecord(['SET', 'c', '3']);
  const frame = Buffer.from(encoder.view());
  const body = frame.subarray(FRAME_HEADER_BYTES);
  const secondRecord = 1 + (body.length - 1) / 2;
  body[secondRecord] = 9;
  frame.writeUInt32LE(crc32(body), 4);
  writeFileSync(file, Buffer.concat([readFileSync(file), frame]));
  for (const onCorruption of ['refuse', 'truncate'] as const) {
    const error = await open(dir, { activeExpiry: false, onCorruption }).then(
      () => null,
      (e: unknown) => e,
    );
    assert.instance(error, CorruptFileError, onCorruption);
    assert.is((error as CorruptFileError).offset, at, 'names the frame');
    assert.ok((error as CorruptFileError).message.includes('does not decode'), (error as CorruptFileError).message);
  }
});

test('a version-1 directory loads; new records go to a new version-2 file, the old one is left as it was', async () => {
  const dir = temp.path('v1');
  mkdirSync(dir);
  const header = Buffer.alloc(FILE_HEADER_BYTES);
  header.write(AOF_MAGIC, 0, 'latin1');
  header.writeUInt16LE(1, 8);
  header.writeUInt32LE(crc32(header.subarray(0, 12)), 12);
  const encoder = new FrameEncoder(16);
  encoder.record(['SET', 'old', 'one']);
  encoder.record(['HSET', 'h', 'f', 'v']);
  encoder.batch([['SET', 'b', 'x'], ['INCR', 'n']]);
  const v1 = Buffer.concat([header, encoder.take()]);
  writeFileSync(join(dir, 'appendonly.1.aof'), v1);
  writeFileSync(join(dir, 'manifest'), encodeManifest({ base: null, incrs: ['appendonly.1.aof'] }));

  const { store, warnings } = await openCollecting(dir);
  assert.equal(warnings, []);
  assert.equal([store.get('old'), store.call('HGET', 'h', 'f'), store.get('b'), store.get('n')], ['one', 'v', 'x', '1']);
  store.set('new', 'two');
  await store.close();

  assert.equal(readFileSync(join(dir, 'appendonly.1.aof')), v1, 'the version-1 file is untouched');
  assert.equal(readdirSync(dir).filter((name) => name.endsWith('.aof')).sort(), ['appendonly.1.aof', 'appendonly.2.aof']);
  const next = readFileSync(join(dir, 'appendonly.2.aof'));
  assert.equal(checkFileHeader(next), { ok: true, kind: 'aof', version: 2 });
  assert.ok(framesIn(next, FILE_HEADER_BYTES).some((frame) => frame.kind === FRAME_RECORDS));

  const again = await openCollecting(dir);
  assert.equal(again.warnings, []);
  assert.equal([again.store.get('old'), again.store.get('n'), again.store.get('new')], ['one', '1', 'two']);
  again.store.set('newer', 'three');
  await again.store.close();
  assert.equal(readdirSync(dir).filter((name) => name.endsWith('.aof')).length, 2, 'a version-2 file is appended to, not rotated');
});

test.after(() => temp.remove());
test.run();
