// The background AOF rewrite: a new base plus a fresh incremental file replace the old files while
// writes go on; a crash at any step loses nothing acknowledged and applies nothing twice; a failed
// rewrite leaves the old files in charge; the automatic trigger fires at the right sizes.

import fc from 'fast-check';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { open, type Store } from '../../lib/index.ts';
import type { RewriteStep } from '../../lib/persistence/rewrite.ts';
import { runStep, step as stepArbitrary } from '../support/command-arbitrary.ts';
import { tempRoot } from '../support/data-dir.ts';
import { FaultyFs } from '../support/faulty-fs.ts';
import { dumpStore, FakeClock } from '../support/model.ts';

const temp = tempRoot('rewrite');
const quiet = { activeExpiry: false, save: [] as Array<[number, number]>, onWarning: () => {} };

function dataFiles(dir: string): string[] {
  return readdirSync(dir).filter((name) => !name.startsWith('LOCK')).sort();
}

test('a rewrite replaces the files with a base and one incremental file; writes during it survive', async () => {
  const dir = temp.path('basic');
  const store = await open(dir, quiet);
  for (let round = 0; round < 5; round++) for (let i = 0; i < 2000; i++) store.set(`k${i}`, `round ${round}`);
  store.hset('h', { a: '1' });
  store.zadd('z', [[1, 'a']]);
  await store.flush();
  const before = store.persistenceStatus()!.aof_current_size;
  let slices = 0;
  store.persistenceLayer!.betweenSlices = () => {
    slices++;
    store.incr('during');
    store.hincrby('h', 'n', 1);
  };
  const result = await store.bgrewriteaof();
  store.persistenceLayer!.betweenSlices = undefined;
  store.set('after', 'yes');
  assert.ok(slices > 0);
  assert.ok(result.baseBytes < before / 3, `base ${result.baseBytes} bytes vs ${before} before`);
  assert.equal(dataFiles(dir), ['appendonly.2.aof', 'base.2.rdb', 'manifest']);
  assert.match(readFileSync(join(dir, 'manifest'), 'utf8'), /^emberkv-manifest 1\nbase base\.2\.rdb\nincr appendonly\.2\.aof\n/);
  const status = store.persistenceStatus()!;
  assert.is(status.aof_rewrites, 1);
  assert.is(status.aof_last_bgrewrite_status, 'ok');
  const expected = dumpStore(store);
  await store.close();
  const reopened = await open(dir, quiet);
  assert.equal(dumpStore(reopened), expected);
  assert.is(reopened.get('during'), String(slices), 'each INCR applied exactly once');
  await reopened.close();
});

test('random writes interleaved with the rewrite: reopen gives the same keyspace', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(stepArbitrary, { minLength: 5, maxLength: 60 }),
      fc.array(fc.array(stepArbitrary, { maxLength: 4 }), { minLength: 1, maxLength: 30 }),
      fc.constantFrom<'everysec' | 'always'>('everysec', 'always'),
      async (setup, during, appendfsync) => {
        const clock = new FakeClock();
        const dir = temp.path('prop');
        const store = await open(dir, { ...quiet, clock: clock.now, appendfsync });
        const reference = await open(undefined, { activeExpiry: false, clock: clock.now });
        const both = (current: (typeof setup)[number]) => {
          runStep(store, current, (ms) => clock.advance(ms));
          runStep(reference, current, () => {});
        };
        setup.forEach(both);
        let slice = 0;
        store.persistenceLayer!.betweenSlices = () => {
          (during[slice++] ?? []).forEach(both);
        };
        const rewriting = store.bgrewriteaof();
        (during[slice++] ?? []).forEach(both);
        await rewriting;
        for (; slice < during.length; slice++) during[slice].forEach(both);
        await store.close();
        const reopened = await open(dir, { ...quiet, clock: clock.now });
        assert.equal(dumpStore(reopened), dumpStore(reference));
        await reopened.close();
        await reference.close();
      },
    ),
    { numRuns: 40 },
  );
});

const steps: RewriteStep[] = [
  'before-create-incr',
  'after-create-incr',
  'before-manifest-1',
  'after-manifest-1',
  'after-switch',
  'after-retire',
  'before-base-rename',
  'after-base',
  'before-manifest-2',
  'after-manifest-2',
  'after-delete',
];

/** Writes numbered INCR/HINCRBY/SET operations; returns how many were acknowledged. */
function work(store: Store, from: number, count: number): number {
  for (let i = from; i < from + count; i++) {
    store.incr('counter');
    store.hincrby('hash', 'counter', 2);
    store.set(`key:${i % 50}`, `value ${i}`);
  }
  return from + count;
}

test('a crash at every step of a rewrite: nothing lost, nothing applied twice, temp files gone', async () => {
  for (const step of steps) {
    for (const mode of ['drop', 'garble'] as const) {
      const dir = temp.path(`crash-${step}`);
      const fs = new FaultyFs();
      const store = await open(dir, { ...quiet, fs, appendfsync: 'always' });
      let done = work(store, 0, 300);
      let dying = false;
      let crashed = false;
      store.persistenceLayer!.rewriteFaultPoint = async (at) => {
        if (dying) return new Promise(() => {});
        done = work(store, done, 20);
        if (at !== step) return;
        // The process dies here: nothing after this point runs, unsynced bytes are lost.
        dying = true;
        fs.kill();
        await store.abandonForTests();
        fs.crash(mode);
        crashed = true;
        await new Promise(() => {});
      };
      store.persistenceLayer!.betweenSlices = () => {
        if (!dying) done = work(store, done, 5);
      };
      void store.bgrewriteaof().catch(() => {});
      for (let i = 0; i < 500 && !crashed; i++) await new Promise((resolve) => setTimeout(resolve, 5));
      assert.ok(crashed, `reached ${step}`);
      const reopened = await open(dir, quiet);
      assert.is(reopened.get('counter'), String(done), `${step} (${mode}): every INCR once`);
      assert.is(reopened.hget('hash', 'counter'), String(done * 2), `${step} (${mode}): every HINCRBY once`);
      assert.is(reopened.get(`key:${(done - 1) % 50}`), `value ${done - 1}`);
      assert.equal(readdirSync(dir).filter((name) => name.endsWith('.tmp')), [], `${step}: temp files removed`);
      const names = dataFiles(dir);
      const manifest = readFileSync(join(dir, 'manifest'), 'utf8');
      for (const name of names) if (name !== 'manifest') assert.ok(manifest.includes(name), `${step}: ${name} is named by the manifest`);
      reopened.incr('counter');
      await reopened.close();
    }
  }
});

test('a failed rewrite leaves the old files in charge, loses nothing, and backs off', async () => {
  const dir = temp.path('fail');
  const fs = new FaultyFs();
  const store = await open(dir, { ...quiet, fs });
  work(store, 0, 100);
  fs.fail('write', { code: 'ENOSPC', path: /temp-.*base\.\d+\.rdb\.tmp$/, times: 100 });
  for (let attempt = 0; attempt < 3; attempt++) {
    let error: unknown = null;
    store.incr('counter');
    await store.bgrewriteaof().catch((e) => (error = e));
    assert.ok(error instanceof Error && /ENOSPC/.test(error.message), `attempt ${attempt}`);
  }
  const status = store.persistenceStatus()!;
  assert.is(status.aof_last_bgrewrite_status, 'err');
  assert.equal(readdirSync(dir).filter((name) => name.endsWith('.tmp') || name.startsWith('base.')), []);
  // Three failures in a row: automatic rewrites wait (manual ones are still allowed).
  assert.ok((store.persistenceLayer as unknown as { rewriteRetryAtMs: number }).rewriteRetryAtMs > Date.now());
  fs.heal();
  await store.bgrewriteaof();
  store.incr('counter');
  await store.close();
  const reopened = await open(dir, quiet);
  assert.is(reopened.get('counter'), '104');
  await reopened.close();
});

test('the automatic rewrite fires once the AOF doubled past the minimum size, not before', async () => {
  const dir = temp.path('auto');
  const store = await open(dir, { ...quiet, autoAofRewriteMinSize: '64kb', autoAofRewritePercentage: 100 });
  const layer = store.persistenceLayer!;
  const value = 'x'.repeat(100);
  for (let i = 0; i < 400; i++) store.set(`k${i % 10}`, value);
  await store.flush();
  layer.checkRewrite();
  assert.is(store.persistenceStatus()!.aof_rewrite_in_progress, 0, 'under the minimum size');
  for (let i = 0; i < 400; i++) store.set(`k${i % 10}`, value);
  await store.flush();
  assert.ok(store.persistenceStatus()!.aof_current_size > 64 * 1024);
  layer.checkRewrite();
  assert.is(store.persistenceStatus()!.aof_rewrite_in_progress, 1, 'over the minimum and grown 100% since open');
  while (store.persistenceStatus()!.aof_rewrite_in_progress === 1) await new Promise((r) => setTimeout(r, 5));
  const base = store.persistenceStatus()!.aof_base_size;
  assert.ok(base < 10_000, `the base after the rewrite is small (${base})`);
  for (let i = 0; i < 300; i++) store.set(`k${i % 10}`, value);
  await store.flush();
  layer.checkRewrite();
  assert.is(store.persistenceStatus()!.aof_rewrite_in_progress, 0, 'grown, but under the minimum again');
  await store.close();
});

test.after(() => temp.remove());
test.run();
