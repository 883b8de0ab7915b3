// The write path: every change leaves a record, and replaying the records into an empty store gives
// the same keyspace. Random command sequences over all types, with TTLs, batches and errors.

import fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { open } from '../../lib/index.ts';
import type { LogRecord } from '../../lib/keyspace/keyspace.ts';
import { runStep, step } from '../support/command-arbitrary.ts';
import { dumpStore, FakeClock } from '../support/model.ts';
import { recordingSink } from '../support/recording-sink.ts';

test('replaying the emitted records into an empty store yields an equal keyspace', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(step, { minLength: 10, maxLength: 150 }), async (steps) => {
      const clock = new FakeClock();
      const source = await open(undefined, { clock: clock.now, activeExpiry: false });
      const units: LogRecord[][] = [];
      source.ks.sink = recordingSink((unit) => units.push(unit));
      for (const current of steps) runStep(source, current, (ms) => clock.advance(ms));

      const replica = await open(undefined, { clock: clock.now, activeExpiry: false });
      replica.ks.loading = true;
      for (const unit of units) {
        for (const record of unit) replica.call(String(record[0]), ...record.slice(1));
      }
      replica.ks.loading = false;
      assert.equal(dumpStore(replica), dumpStore(source));
      await source.close();
      await replica.close();
    }),
    { numRuns: 300 },
  );
});

test('read-only commands emit nothing; a failed command emits nothing', async () => {
  const store = await open(undefined, { activeExpiry: false });
  const records: LogRecord[] = [];
  store.ks.sink = recordingSink((unit) => records.push(...unit));
  store.set('k', 'v');
  store.set('n', 'x');
  records.length = 0;
  store.call('GET', 'k');
  store.call('EXISTS', 'k');
  store.call('TTL', 'k');
  store.call('SCAN', '0');
  assert.throws(() => store.call('INCR', 'n'));
  assert.throws(() => store.call('SET', 'k', 'v', 'EX', 0));
  assert.equal(records, []);
  await store.close();
});

test('records are deterministic: relative TTLs become absolute, INCRBYFLOAT a SET', async () => {
  const clock = new FakeClock();
  const store = await open(undefined, { clock: clock.now, activeExpiry: false });
  const records: LogRecord[] = [];
  store.ks.sink = recordingSink((unit) => records.push(...unit));
  store.call('SET', 'k', 'v', 'EX', 10);
  store.call('EXPIRE', 'k', 20);
  store.call('INCRBYFLOAT', 'f', '1.5');
  store.call('SET', 'k', 'w', 'KEEPTTL', 'GET');
  store.call('EXPIRE', 'k', -1);
  assert.equal(records, [
    ['SET', 'k', 'v', 'PXAT', clock.ms + 10_000],
    ['PEXPIREAT', 'k', clock.ms + 20_000],
    ['SET', 'f', '1.5', 'KEEPTTL'],
    ['SET', 'k', 'w', 'KEEPTTL'],
    ['DEL', 'k'],
  ]);
  await store.close();
});

test('a batch hands its records over as one unit', async () => {
  const store = await open(undefined, { activeExpiry: false });
  const units: LogRecord[][] = [];
  store.ks.sink = recordingSink((unit) => units.push(unit));
  const results = store.multi().call('SET', 'a', '1').call('INCR', 'a').call('HSET', 'a', 'f', 'v').call('GET', 'a').exec();
  assert.is(results[0], 'OK');
  assert.is(results[1], 2);
  assert.instance(results[2], Error, 'a runtime error fails only its command');
  assert.is(results[3], '2');
  assert.equal(units, [[['SET', 'a', '1'], ['INCRBY', 'a', 1]]]);
  assert.throws(() => store.multi().call('SET', 'a').call('SET', 'b', '1').exec(), /EXECABORT/);
  assert.is(store.get('b'), null, 'an aborted transaction runs nothing');
  await store.close();
});

test('typed commands queue in a transaction too, and every typed command can be queued', async () => {
  const store = await open(undefined, { activeExpiry: false });
  const units: LogRecord[][] = [];
  store.ks.sink = recordingSink((unit) => units.push(unit));
  const results = store.multi().set('a', '1').incr('n').hset('h', { f: 'v' }).zadd('z', [[1, 'm']]).call('GET', 'a').get('n').exec();
  assert.equal(results, ['OK', 1, 1, 1, '1', '1']);
  assert.is(units.length, 1, 'one unit in the log');
  assert.is(units[0].length, 4);
  const { TRANSACTION_METHODS } = await import('../../lib/multi.ts');
  const { findCommand } = await import('../../lib/commands.ts');
  const methods = Object.getOwnPropertyNames(Object.getPrototypeOf(store)).filter(
    (name) => findCommand(name) !== undefined && typeof (store as unknown as Record<string, unknown>)[name] === 'function',
  );
  const queueable = new Set<string>(TRANSACTION_METHODS);
  for (const name of methods) if (!['bgsave', 'bgrewriteaof'].includes(name)) assert.ok(queueable.has(name), `${name} can be queued`);
  await store.close();
});

test.run();
