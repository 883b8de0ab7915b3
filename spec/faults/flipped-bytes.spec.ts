// Flipped bits: damage a crash cannot explain. In the middle of the log it must refuse to open,
// naming the file, the byte offset and the repair command; `onCorruption: 'truncate'` opens with
// everything before the damage after copying the file aside. In the last record it is a torn tail.
// A damaged header or manifest refuses to open. Never an unhandled exception, never a hang.

import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CorruptFileError } from '../../lib/index.ts';
import { dumpStore } from '../support/model.ts';
import { copyDir, openCollecting, stateAt, tempRoot, writeLog, type WrittenLog } from '../support/data-dir.ts';

const temp = tempRoot('flip');
let log: WrittenLog;

test.before(async () => {
  log = await writeLog(temp.path('source'), 40);
});

function flip(path: string, offset: number, bit = 0): void {
  const bytes = readFileSync(path);
  bytes[offset] ^= 1 << bit;
  writeFileSync(path, bytes);
}

async function openError(dir: string, options = {}): Promise<unknown> {
  try {
    const { store } = await openCollecting(dir, { clock: log.clock.now, ...options });
    await store.close();
    return null;
  } catch (error) {
    return error;
  }
}

test('a flipped bit in every byte of a middle record refuses to open, naming file and offset', async () => {
  const index = 20;
  const start = log.sizes[index - 1];
  const end = log.sizes[index];
  for (let offset = start; offset < end; offset++) {
    const dir = temp.path('middle');
    copyDir(log.dir, dir);
    const file = join(dir, 'appendonly.1.aof');
    flip(file, offset, offset % 8);
    const error = await openError(dir);
    assert.instance(error, CorruptFileError, `flip at ${offset}`);
    const corrupt = error as CorruptFileError;
    assert.is(corrupt.file, file);
    assert.is(corrupt.offset, start, `the damaged frame starts at ${start}`);
    assert.ok(corrupt.message.includes(`emberkv-inspect fix ${file}`), corrupt.message);
    assert.ok(corrupt.message.includes("onCorruption: 'truncate'"), corrupt.message);
  }
});

test("onCorruption: 'truncate' opens with everything before the damage, loudly, keeping a copy", async () => {
  const index = 20;
  const dir = temp.path('truncate');
  copyDir(log.dir, dir);
  const file = join(dir, 'appendonly.1.aof');
  const original = readFileSync(file);
  flip(file, log.sizes[index - 1] + 9);
  const { store, warnings } = await openCollecting(dir, { clock: log.clock.now, onCorruption: 'truncate' });
  assert.equal(dumpStore(store), stateAt(log, log.sizes[index - 1]));
  assert.is(warnings.length, 1);
  assert.is(warnings[0].code, 'corruption-truncated');
  assert.is(warnings[0].bytesDropped, original.length - log.sizes[index - 1]);
  const copies = readdirSync(dir).filter((name) => name.startsWith('appendonly.1.aof.corrupt-'));
  assert.is(copies.length, 1, 'the whole damaged file was copied aside first');
  const copy = readFileSync(join(dir, copies[0]));
  assert.is(copy.length, original.length);
  store.set('new', 'write');
  await store.close();
  const again = await openCollecting(dir, { clock: log.clock.now });
  assert.equal(again.warnings, []);
  assert.is(again.store.get('new'), 'write');
  await again.store.close();
});

test("truncate mode keeps later files aside (renamed), never deletes them", async () => {
  const dir = temp.path('later');
  copyDir(log.dir, dir);
  const { copyFileSync } = await import('node:fs');
  const { encodeManifest } = await import('../../lib/persistence/manifest.ts');
  copyFileSync(join(dir, 'appendonly.1.aof'), join(dir, 'appendonly.2.aof'));
  writeFileSync(join(dir, 'manifest'), encodeManifest({ base: null, incrs: ['appendonly.1.aof', 'appendonly.2.aof'] }));
  flip(join(dir, 'appendonly.1.aof'), log.sizes[20] + 9);
  const { store, warnings } = await openCollecting(dir, { clock: log.clock.now, onCorruption: 'truncate' });
  const kept = readdirSync(dir).filter((name) => name.startsWith('appendonly.2.aof.corrupt-'));
  assert.is(kept.length, 1, 'the later file was renamed aside');
  assert.ok(warnings[0].message.includes(kept[0]), warnings[0].message);
  assert.is(readFileSync(join(dir, kept[0])).length, log.sizes.at(-1), 'whole');
  await store.close();
});

test('a flipped bit in the last record is a torn tail: cut with a warning', async () => {
  const dir = temp.path('last');
  copyDir(log.dir, dir);
  flip(join(dir, 'appendonly.1.aof'), log.sizes.at(-1)! - 2);
  const { store, warnings } = await openCollecting(dir, { clock: log.clock.now });
  assert.equal(dumpStore(store), log.states.at(-2));
  assert.is(warnings[0].code, 'torn-tail');
  await store.close();
});

test('a damaged file header refuses to open at byte 0', async () => {
  for (const offset of [0, 7, 8, 12]) {
    const dir = temp.path('header');
    copyDir(log.dir, dir);
    flip(join(dir, 'appendonly.1.aof'), offset);
    const error = await openError(dir);
    assert.instance(error, CorruptFileError, `header byte ${offset}`);
    assert.is((error as CorruptFileError).offset, 0);
  }
});

test('a file that is not an emberkv file refuses to open', async () => {
  const dir = temp.path('foreign');
  copyDir(log.dir, dir);
  writeFileSync(join(dir, 'appendonly.1.aof'), '*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n');
  const error = await openError(dir);
  assert.instance(error, CorruptFileError);
  assert.match((error as Error).message, /bad magic/);
});

test('a damaged manifest refuses to open, naming it; a missing file it names too', async () => {
  const dir = temp.path('manifest');
  copyDir(log.dir, dir);
  flip(join(dir, 'manifest'), 20);
  const error = await openError(dir);
  assert.instance(error, CorruptFileError);
  assert.is((error as CorruptFileError).file, join(dir, 'manifest'));

  const missing = temp.path('missing');
  copyDir(log.dir, missing);
  writeFileSync(join(missing, 'appendonly.1.aof'), '');
  const { rmSync } = await import('node:fs');
  rmSync(join(missing, 'appendonly.1.aof'));
  const error2 = await openError(missing);
  assert.instance(error2, CorruptFileError);
  assert.match((error2 as Error).message, /missing/);
  assert.ok(existsSync(join(missing, 'manifest')), 'nothing is deleted when refusing');
});

test.after(() => temp.remove());
test.run();
