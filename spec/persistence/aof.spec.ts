// The append-only file: what a store writes, it reads back. Random command sequences over all types
// (with TTLs, batches and errors) on a store with a directory and on an in-memory reference; after
// close and reopen the keyspaces are equal.

import fc from 'fast-check';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { open, type AppendFsync } from '../../lib/index.ts';
import { AOF_UNSYNCED_BYTES_MAX } from '../../lib/persistence/aof.ts';
import { FaultyFs } from '../support/faulty-fs.ts';
import { runStep, step } from '../support/command-arbitrary.ts';
import { dumpStore, FakeClock } from '../support/model.ts';

const root = mkdtempSync(join(tmpdir(), 'emberkv-aof-'));
let counter = 0;
const freshDir = () => join(root, `d${counter++}`);

test('close and reopen gives back the same keyspace (random sequences, all types)', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(step, { minLength: 5, maxLength: 120 }),
      fc.constantFrom<AppendFsync>('everysec', 'always', 'no'),
      async (steps, appendfsync) => {
        const clock = new FakeClock();
        const dir = freshDir();
        const store = await open(dir, { clock: clock.now, activeExpiry: false, appendfsync });
        const reference = await open(undefined, { clock: clock.now, activeExpiry: false });
        for (const current of steps) {
          runStep(store, current, (ms) => clock.advance(ms));
          runStep(reference, current, () => {});
        }
        await store.close();
        const reopened = await open(dir, { clock: clock.now, activeExpiry: false });
        assert.equal(dumpStore(reopened), dumpStore(reference));
        await reopened.close();
        await reference.close();
        rmSync(dir, { recursive: true, force: true });
      },
    ),
    { numRuns: 120 },
  );
});

test('values keep their kind and exact bytes; odd strings survive', async () => {
  const dir = freshDir();
  const store = await open(dir);
  const key = 'lone \uD800 surrogate';
  store.set(key, 'a\uDFFFb');
  store.set('bytes', new Uint8Array([0, 255, 128]));
  store.set('text', '😀 é \0 end');
  store.call('ZADD', 'z', '-0', 'm', '1e-300', 'n', '+inf', 'o');
  store.call('HSET', 'h', 'f', new Uint8Array([1]));
  await store.close();
  const reopened = await open(dir);
  assert.is(reopened.get(key), 'a\uDFFFb');
  assert.equal(reopened.get('bytes'), new Uint8Array([0, 255, 128]));
  assert.is(reopened.get('text'), '😀 é \0 end');
  assert.equal(reopened.call('ZRANGE', 'z', 0, -1, 'WITHSCORES'), ['m', '0', 'n', '1e-300', 'o', 'inf']);
  assert.equal(reopened.call('HGET', 'h', 'f'), new Uint8Array([1]));
  await reopened.close();
});

test("appendfsync 'always' has the record in the file before the call returns", async () => {
  const dir = freshDir();
  const store = await open(dir, { appendfsync: 'always' });
  const file = join(dir, 'appendonly.1.aof');
  const before = statSync(file).size;
  store.set('k', 'v');
  assert.ok(statSync(file).size > before, 'written synchronously');
  const status = store.persistenceStatus()!;
  assert.is(status.aof_unsynced_bytes, 0, 'and fsynced');
  await store.close();
});

test("everysec writes at the end of the turn, fsyncs within about a second; flush() does both now", async () => {
  const dir = freshDir();
  const store = await open(dir);
  const file = join(dir, 'appendonly.1.aof');
  const before = statSync(file).size;
  store.set('k', 'v');
  assert.is(statSync(file).size, before, 'nothing written inside the command');
  assert.ok(store.persistenceStatus()!.aof_pending_bytes! > 0);
  await new Promise((resolve) => setImmediate(resolve));
  assert.ok(statSync(file).size > before, 'written at the end of the turn');
  await new Promise((resolve) => setTimeout(resolve, 1200));
  assert.is(store.persistenceStatus()!.aof_unsynced_bytes, 0, 'fsynced within about a second');
  store.set('k2', 'v');
  await store.flush();
  const status = store.persistenceStatus()!;
  assert.is(status.aof_pending_bytes, 0);
  assert.is(status.aof_unsynced_bytes, 0);
  await store.close();
});

test('a large burst in one turn is written as the buffer fills, not all at the end', async () => {
  const dir = freshDir();
  const store = await open(dir);
  const file = join(dir, 'appendonly.1.aof');
  const value = 'x'.repeat(1000);
  for (let i = 0; i < 10_000; i++) store.set(`k${i}`, value);
  assert.ok(statSync(file).size > 4 * 1024 * 1024, 'written early once the buffer passed its bound');
  await store.close();
  const reopened = await open(dir);
  assert.is(reopened.dbsize(), 10_000);
  await reopened.close();
});

test('everysec fsyncs before the second is up once AOF_UNSYNCED_BYTES_MAX bytes wait, not for less', async () => {
  const dir = freshDir();
  const fs = new FaultyFs();
  const store = await open(dir, { fs, activeExpiry: false });
  const fsyncs = () => fs.calls.filter((call) => call.operation === 'fsync' && call.path.endsWith('.aof')).length;
  const value = 'x'.repeat(64 * 1024);
  const perTurn = AOF_UNSYNCED_BYTES_MAX / value.length;
  store.set('first', 'v');
  const flushed = Date.now();
  await store.flush(); // an fsync has just run: the next one is a second away by the clock

  let before = fsyncs();
  for (let i = 0; i < perTurn / 2; i++) store.set(`small${i}`, value);
  await new Promise((resolve) => setImmediate(resolve));
  // Only the once-a-second timer may start one now, and only if a slow disk made a second pass.
  assert.ok(fsyncs() === before || Date.now() - flushed >= 1000, 'half the bound waits for the second');
  await store.flush();

  before = fsyncs();
  for (let i = 0; i < perTurn; i++) store.set(`big${i}`, value);
  await new Promise((resolve) => setImmediate(resolve));
  assert.is(fsyncs(), before + 1, 'the bound starts one at the end of the turn');
  for (let waited = 0; store.persistenceStatus()!.aof_unsynced_bytes !== 0 && waited < 3000; waited += 20) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  assert.is(store.persistenceStatus()!.aof_unsynced_bytes, 0, 'and it covered the turn');
  await store.close();
  const reopened = await open(dir, { activeExpiry: false });
  assert.is(reopened.dbsize(), 1 + perTurn * 1.5);
  await reopened.close();
});

test('appendonly: false leaves the AOF alone: it loads and saves snapshots only, as Redis', async () => {
  const dir = freshDir();
  const store = await open(dir);
  store.set('k', 'v');
  await store.close();
  const snapshots = await open(dir, { appendonly: false });
  assert.is(snapshots.get('k'), null, 'the AOF is not read without appendonly');
  snapshots.set('k2', 'v');
  await snapshots.close();
  assert.equal(readdirSync(dir).sort(), ['appendonly.1.aof', 'dump.rdb', 'manifest']);
  const again = await open(dir);
  assert.is(again.get('k'), 'v', 'the AOF is the truth when it is on');
  assert.is(again.get('k2'), null);
  await again.close();
});

test('a closed store refuses commands; close is idempotent', async () => {
  const store = await open(freshDir());
  await store.close();
  await store.close();
  assert.throws(() => store.get('k'), (e: Error & { code?: string }) => e.code === 'ECLOSED');
  assert.throws(() => store.call('SET', 'k', 'v'), /store is closed/);
});

test.after(() => rmSync(root, { recursive: true, force: true }));
test.run();
