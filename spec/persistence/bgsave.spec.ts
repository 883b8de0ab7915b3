// Snapshots through the store: bgsave while commands go on, one job at a time, save rules,
// stopWritesOnBgsaveError, snapshot-only stores (close saves, open loads), damaged snapshots, and
// a snapshot-only store turning on the AOF.

import { existsSync, readdirSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CorruptFileError, open, ReplyError, type StoreWarning } from '../../lib/index.ts';
import { FaultyFs } from '../support/faulty-fs.ts';
import { tempRoot } from '../support/data-dir.ts';
import { dumpStore, FakeClock } from '../support/model.ts';

const temp = tempRoot('bgsave');

test('bgsave writes the keyspace as it was at the call while writes go on', async () => {
  const dir = temp.path('live');
  const store = await open(dir, { activeExpiry: false, appendonly: false, save: [] });
  for (let i = 0; i < 20_000; i++) store.set(`k${i}`, `v${i}`);
  store.hset('h', { a: '1', b: '2' });
  store.zadd('z', [[1, 'one'], [2, 'two']]);
  const expected = dumpStore(store);
  let slices = 0;
  store.persistenceLayer!.betweenSlices = () => {
    slices++;
    store.set(`k${slices}`, 'changed');
    store.del(`k${slices + 10_000}`);
    store.set(`new${slices}`, 'x');
    store.hset('h', { a: 'changed', c: 'new' });
    store.zadd('z', [[slices, 'one']]);
  };
  const result = await store.bgsave();
  assert.ok(slices > 0, 'the snapshot ran in slices with writes between them');
  assert.is(result.keys, 20_002);
  assert.ok(existsSync(join(dir, 'dump.rdb')));
  store.persistenceLayer!.betweenSlices = undefined;
  const copy = temp.path('copy');
  const { cpSync } = await import('node:fs');
  cpSync(join(dir, 'dump.rdb'), join(copy, 'dump.rdb'), { recursive: true });
  const loaded = await open(copy, { activeExpiry: false, appendonly: false, save: [] });
  assert.equal(dumpStore(loaded), expected);
  await loaded.close();
  await store.close();
});

test('one background job at a time: a second bgsave gets Redis\'s error at once', async () => {
  const dir = temp.path('busy');
  const store = await open(dir, { activeExpiry: false, save: [] });
  for (let i = 0; i < 50_000; i++) store.set(`k${i}`, 'v');
  const first = store.bgsave();
  let error: unknown = null;
  await store.bgsave().catch((e) => (error = e));
  assert.instance(error, ReplyError);
  assert.is((error as Error).message, 'ERR Background save already in progress');
  assert.is(store.persistenceStatus()!.rdb_bgsave_in_progress, 1);
  await first;
  assert.is(store.persistenceStatus()!.rdb_bgsave_in_progress, 0);
  await store.bgsave();
  await store.close();
});

test('a snapshot-only store saves on close and loads at open, leaving expired keys out', async () => {
  const dir = temp.path('rdbonly');
  const clock = new FakeClock();
  const store = await open(dir, { clock: clock.now, activeExpiry: false, appendonly: false, save: [] });
  store.set('keep', 'v');
  store.set('short', 'v', { px: 100 });
  store.set('long', 'v', { ex: 100 });
  store.call('HSET', 'h', 'f', new Uint8Array([1, 2]));
  await store.close();
  assert.equal(readdirSync(dir).filter((n) => !n.startsWith('LOCK')).sort(), ['dump.rdb']);
  clock.advance(200);
  const reopened = await open(dir, { clock: clock.now, activeExpiry: false, appendonly: false, save: [] });
  assert.is(reopened.get('keep'), 'v');
  assert.is(reopened.ks.entries.get('short') !== undefined, false, 'an expired key is not loaded at all');
  assert.is(reopened.ttl('long'), 100);
  assert.equal(reopened.call('HGET', 'h', 'f'), new Uint8Array([1, 2]));
  assert.is(reopened.persistenceStatus()!.rdb_changes_since_last_save, 0);
  await reopened.close();
});

test('save rules start a snapshot after enough changes and time; lastsave and the counters follow', async () => {
  const dir = temp.path('rules');
  const clock = new FakeClock();
  const store = await open(dir, { clock: clock.now, activeExpiry: false, save: [[10, 3]] });
  const before = store.lastsave!;
  store.set('a', '1');
  store.set('b', '2');
  clock.advance(11_000);
  store.persistenceLayer!.checkSaveRules();
  assert.is(store.persistenceStatus()!.rdb_bgsave_in_progress, 0, 'two changes: not yet');
  store.set('c', '3');
  assert.is(store.persistenceStatus()!.rdb_changes_since_last_save, 3);
  store.persistenceLayer!.checkSaveRules();
  assert.is(store.persistenceStatus()!.rdb_bgsave_in_progress, 1, 'three changes and 11 s: a snapshot starts');
  for (let i = 0; i < 100 && store.persistenceStatus()!.rdb_bgsave_in_progress === 1; i++) await new Promise((r) => setTimeout(r, 10));
  const status = store.persistenceStatus()!;
  assert.is(status.rdb_last_bgsave_status, 'ok');
  assert.is(status.rdb_changes_since_last_save, 0);
  assert.ok(store.lastsave! > before);
  await store.close();
});

test('a failed snapshot refuses writes (MISCONF) until one succeeds; reads go on', async () => {
  const dir = temp.path('fail');
  const fs = new FaultyFs();
  const warnings: StoreWarning[] = [];
  const store = await open(dir, { fs, activeExpiry: false, onWarning: (w) => warnings.push(w) });
  store.set('k', 'v');
  fs.fail('rename', { code: 'EIO', path: /dump\.rdb/ });
  let error: unknown = null;
  await store.bgsave().catch((e) => (error = e));
  assert.ok(error instanceof Error && /EIO/.test(error.message));
  assert.is(store.persistenceStatus()!.rdb_last_bgsave_status, 'err');
  assert.is(warnings.at(-1)!.code, 'bgsave-error');
  assert.throws(() => store.set('k2', 'v'), (e: Error) => e instanceof ReplyError && e.message.startsWith('MISCONF'));
  assert.is(store.get('k'), 'v');
  assert.equal(readdirSync(dir).filter((n) => n.endsWith('.tmp')), [], 'the temp file was removed');
  await store.bgsave();
  store.set('k2', 'v');
  await store.close();

  const relaxed = temp.path('relaxed');
  const fs2 = new FaultyFs();
  const cache = await open(relaxed, { fs: fs2, activeExpiry: false, stopWritesOnBgsaveError: false, onWarning: () => {} });
  fs2.fail('rename', { code: 'EIO', path: /dump\.rdb/ });
  await cache.bgsave().catch(() => {});
  cache.set('still', 'writable');
  await cache.close();
});

test('a damaged snapshot refuses to open, naming file and offset; nothing is loaded', async () => {
  const dir = temp.path('damaged');
  const store = await open(dir, { activeExpiry: false, appendonly: false, save: [] });
  for (let i = 0; i < 1000; i++) store.set(`k${i}`, `value ${i}`);
  await store.close();
  const file = join(dir, 'dump.rdb');
  const original = readFileSync(file);
  const cases: Array<[string, () => void]> = [
    ['truncated', () => truncateSync(file, original.length - 10)],
    ['flipped byte', () => writeFileSync(file, Buffer.from(original.map((b, i) => (i === 3000 ? b ^ 4 : b))))],
    ['bad header', () => writeFileSync(file, Buffer.concat([Buffer.from('NOTEMBER'), original.subarray(8)]))],
    ['empty', () => writeFileSync(file, '')],
  ];
  for (const [name, damage] of cases) {
    writeFileSync(file, original);
    damage();
    let error: unknown = null;
    await open(dir, { activeExpiry: false, appendonly: false, save: [] }).then((s) => s.close(), (e) => (error = e));
    assert.instance(error, CorruptFileError, name);
    assert.is((error as CorruptFileError).file, file, name);
    assert.ok((error as Error).message.includes('emberkv-inspect'), name);
  }
});

test('turning the AOF on in a snapshot-only directory adopts the snapshot as its base', async () => {
  const dir = temp.path('adopt');
  const store = await open(dir, { activeExpiry: false, appendonly: false, save: [] });
  store.set('from-snapshot', 'yes');
  await store.close();
  const warnings: StoreWarning[] = [];
  const aof = await open(dir, { activeExpiry: false, onWarning: (w) => warnings.push(w) });
  assert.is(aof.get('from-snapshot'), 'yes');
  assert.is(warnings[0]?.code, 'snapshot-adopted');
  aof.set('from-aof', 'yes');
  await aof.close();
  const again = await open(dir, { activeExpiry: false });
  assert.equal(again.mget('from-snapshot', 'from-aof'), ['yes', 'yes']);
  await again.close();
  assert.match(readFileSync(join(dir, 'manifest'), 'utf8'), /base base\.1\.rdb\nincr appendonly\.1\.aof/);
});

test.after(() => temp.remove());
test.run();
