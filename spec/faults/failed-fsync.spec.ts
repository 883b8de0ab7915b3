// A failed fsync: the kernel may have dropped the pages it could not write, so the data since the
// last good fsync is suspect. The store refuses writes, and its retry cuts the file back to the last
// synced size and writes the kept bytes again before syncing, never trusting a retried fsync alone.

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { open, StorageIOError, type StoreWarning } from '../../lib/index.ts';
import { FaultyFs } from '../support/faulty-fs.ts';
import { tempRoot } from '../support/data-dir.ts';

const temp = tempRoot('fsync');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test('everysec: a failed fsync refuses writes; the retry rewrites the unsynced bytes', async () => {
  const dir = temp.path('everysec');
  const fs = new FaultyFs();
  const warnings: StoreWarning[] = [];
  const store = await open(dir, { fs, activeExpiry: false, onWarning: (w) => warnings.push(w) });
  const file = join(dir, 'appendonly.1.aof');
  store.set('before', '1');
  await store.flush();
  const synced = readFileSync(file).length;
  fs.fail('fsync', { code: 'EIO', path: /appendonly/ });
  for (let i = 0; i < 50; i++) store.set(`k${i}`, `value ${i}`);
  // The next fsync is due a second after the flush's.
  for (let waited = 0; warnings.length === 0 && waited < 3000; waited += 50) await sleep(50);
  assert.is(warnings.at(-1)?.code, 'aof-write-error');
  assert.throws(() => store.set('refused', 'x'), /MISCONF/);
  // The device lost the pages it failed to write: garble what came after the last good fsync.
  const bytes = readFileSync(file);
  for (let i = synced; i < bytes.length; i++) bytes[i] = 0xee;
  writeFileSync(file, bytes);
  await sleep(1300);
  assert.is(warnings.at(-1)?.code, 'aof-write-recovered');
  assert.is(store.persistenceStatus()!.aof_unsynced_bytes, 0);
  store.set('after', '2');
  await store.close();
  const reopened = await open(dir, { activeExpiry: false, onWarning: (w) => assert.unreachable(w.message) });
  assert.is(reopened.get('before'), '1');
  for (let i = 0; i < 50; i++) assert.is(reopened.get(`k${i}`), `value ${i}`);
  assert.is(reopened.get('after'), '2');
  assert.is(reopened.get('refused'), null);
  await reopened.close();
});

test("always: a failed fsync is thrown to the writer and repaired by the retry", async () => {
  const dir = temp.path('always');
  const fs = new FaultyFs();
  const store = await open(dir, { fs, activeExpiry: false, appendfsync: 'always', onWarning: () => {} });
  fs.fail('fsync', { code: 'EIO', path: /appendonly/ });
  assert.throws(() => store.set('k', 'v'), (e: Error) => e instanceof StorageIOError);
  assert.throws(() => store.set('k2', 'v'), /MISCONF/);
  await sleep(1300);
  store.set('k2', 'v2');
  await store.close();
  const reopened = await open(dir, { activeExpiry: false });
  assert.equal(reopened.mget('k', 'k2'), ['v', 'v2']);
  await reopened.close();
});

test('flush() rejects while the fsync keeps failing, and succeeds once it works', async () => {
  const dir = temp.path('flush');
  const fs = new FaultyFs();
  const store = await open(dir, { fs, activeExpiry: false, onWarning: () => {} });
  fs.fail('fsync', { code: 'EIO', times: Infinity, path: /appendonly/ });
  store.set('k', 'v');
  let error: unknown = null;
  await store.flush().catch((e) => (error = e));
  assert.instance(error, StorageIOError);
  fs.heal();
  await store.flush();
  await store.close();
  const reopened = await open(dir, { activeExpiry: false });
  assert.is(reopened.get('k'), 'v');
  await reopened.close();
});

test.after(() => temp.remove());
test.run();
