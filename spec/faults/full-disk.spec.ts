// A full disk (ENOSPC) or a failing device (EIO) while writing the AOF: the store keeps serving
// reads, refuses writes with a MISCONF error, keeps every accepted record, retries every second,
// and accepts writes again once a write succeeds. Faults come from an injectable fs layer.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { open, ReplyError, StorageIOError, type StoreWarning } from '../../lib/index.ts';
import { FaultyFs } from '../support/faulty-fs.ts';
import { tempRoot } from '../support/data-dir.ts';

const temp = tempRoot('full');
const turn = () => new Promise((resolve) => setImmediate(resolve));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test('everysec: ENOSPC refuses writes, keeps reads, loses nothing accepted, recovers', async () => {
  const dir = temp.path('everysec');
  const fs = new FaultyFs();
  const warnings: StoreWarning[] = [];
  const store = await open(dir, { fs, activeExpiry: false, onWarning: (w) => warnings.push(w) });
  store.set('k1', 'v1');
  await turn();
  fs.fail('write', { code: 'ENOSPC', times: Infinity, path: /appendonly/ });
  store.set('k2', 'accepted before the failure was known');
  await turn();
  assert.is(warnings.at(-1)?.code, 'aof-write-error');
  assert.match(warnings.at(-1)!.message, /ENOSPC/);
  assert.throws(() => store.set('k3', 'refused'), (e: Error) => e instanceof ReplyError && e.message.startsWith('MISCONF'));
  assert.throws(() => store.call('HSET', 'h', 'f', 'v'), /MISCONF Errors writing to the AOF file/);
  assert.is(store.get('k1'), 'v1', 'reads go on');
  assert.is(store.get('k2'), 'accepted before the failure was known');
  assert.is(store.persistenceStatus()!.aof_last_write_status, 'err');
  await assert.not.throws(async () => {});
  let flushError: unknown = null;
  await store.flush().catch((e) => (flushError = e));
  assert.instance(flushError, StorageIOError, 'flush reports the failure');
  await sleep(1300);
  assert.is(store.persistenceStatus()!.aof_last_write_status, 'err', 'still failing while the disk is full');
  fs.heal();
  await sleep(1300);
  assert.is(store.persistenceStatus()!.aof_last_write_status, 'ok', 'a retry succeeded');
  assert.is(warnings.at(-1)?.code, 'aof-write-recovered');
  store.set('k4', 'after recovery');
  await store.close();
  const reopened = await open(dir, { activeExpiry: false });
  assert.is(reopened.get('k1'), 'v1');
  assert.is(reopened.get('k2'), 'accepted before the failure was known');
  assert.is(reopened.get('k3'), null);
  assert.is(reopened.get('k4'), 'after recovery');
  await reopened.close();
});

test("always: the failing call throws StorageIOError, the record waits for the retry", async () => {
  const dir = temp.path('always');
  const fs = new FaultyFs();
  const store = await open(dir, { fs, activeExpiry: false, appendfsync: 'always', onWarning: () => {} });
  store.set('k1', 'v1');
  fs.fail('write', { code: 'EIO', times: 2, path: /appendonly/ });
  assert.throws(() => store.set('k2', 'v2'), (e: Error) => e instanceof StorageIOError && /EIO/.test(e.message));
  assert.is(store.get('k2'), 'v2', 'applied in memory; its record is pending');
  assert.throws(() => store.set('k3', 'v3'), /MISCONF/);
  await sleep(2500);
  assert.is(store.persistenceStatus()!.aof_last_write_status, 'ok');
  store.set('k3', 'v3');
  await store.close();
  const reopened = await open(dir, { activeExpiry: false });
  assert.equal(reopened.mget('k1', 'k2', 'k3'), ['v1', 'v2', 'v3']);
  await reopened.close();
});

test('close while the disk is full rejects and can be retried once it has room', async () => {
  const dir = temp.path('close');
  const fs = new FaultyFs();
  const store = await open(dir, { fs, activeExpiry: false, onWarning: () => {} });
  fs.fail('write', { code: 'ENOSPC', times: Infinity, path: /appendonly/ });
  store.set('k', 'v');
  let closeError: unknown = null;
  await store.close().catch((e) => (closeError = e));
  assert.instance(closeError, StorageIOError);
  assert.is(store.get('k'), 'v', 'still open');
  fs.heal();
  await store.close();
  const reopened = await open(dir, { activeExpiry: false });
  assert.is(reopened.get('k'), 'v');
  await reopened.close();
});

test('a partial write is overwritten by its retry, not left as garbage', async () => {
  const dir = temp.path('partial');
  const fs = new FaultyFs();
  const store = await open(dir, { fs, activeExpiry: false, onWarning: () => {} });
  for (let i = 0; i < 100; i++) store.set(`a${i}`, 'x'.repeat(100));
  await turn();
  // FaultyFs writes half the bytes of a failing write, as a disk filling up does.
  fs.fail('write', { code: 'ENOSPC', times: 1, path: /appendonly/ });
  for (let i = 0; i < 100; i++) store.set(`b${i}`, 'y'.repeat(100));
  await turn();
  await sleep(1300);
  await store.close();
  const reopened = await open(dir, { activeExpiry: false, onWarning: (w) => assert.unreachable(w.message) });
  assert.is(reopened.dbsize(), 200);
  await reopened.close();
});

test.after(() => temp.remove());
test.run();
