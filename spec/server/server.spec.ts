// INFO, CONFIG GET/SET and SLOWLOG: fields present and consistent with the store's state, Redis's
// text formats and error texts (checked against redis-server where it has the same parameter).

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { open, ReplyError } from '../../lib/index.ts';
import { startRedis } from '../support/redis-oracle.ts';
import { tempRoot } from '../support/data-dir.ts';
import { FakeClock } from '../support/model.ts';

const temp = tempRoot('server');

test('INFO fields are present and agree with the store', async () => {
  const clock = new FakeClock();
  const store = await open(undefined, { clock: clock.now, activeExpiry: false, maxmemory: '64mb', maxmemoryPolicy: 'allkeys-lru' });
  store.set('a', '1');
  store.set('b', '2', { px: 10 });
  store.set('c', '3', { ex: 100 });
  store.hset('h', { f: 'v' });
  store.get('a');
  store.get('missing');
  clock.advance(20);
  store.get('b');
  const info = store.info();
  assert.equal(Object.keys(info), ['server', 'memory', 'persistence', 'stats', 'keyspace']);
  assert.is(info.server.process_id, process.pid);
  assert.type(info.server.uptime_in_seconds, 'number');
  assert.ok((info.memory.used_memory as number) > 0);
  assert.is(info.memory.used_memory, store.ks.usedMemory);
  assert.match(String(info.memory.used_memory_human), /^\d+(\.\d\d[KMG])?B?$/);
  assert.ok((info.memory.used_memory_rss as number) > 0);
  assert.is(info.memory.maxmemory, 64 * 1024 * 1024);
  assert.is(info.memory.maxmemory_policy, 'allkeys-lru');
  assert.is(info.persistence.aof_enabled, 0);
  assert.is(info.stats.keyspace_hits, 1);
  assert.is(info.stats.keyspace_misses, 2);
  assert.is(info.stats.expired_keys, 1);
  assert.is(info.stats.evicted_keys, 0);
  assert.ok((info.stats.total_commands_processed as number) >= 7);
  assert.is(info.keyspace.db0, 'keys=3,expires=1,avg_ttl=99980');
  assert.equal(Object.keys(store.info('memory', 'STATS')), ['memory', 'stats']);
  await store.close();
});

test("call('INFO') is Redis's text format; sections by name", async () => {
  const store = await open(undefined, { activeExpiry: false });
  store.set('k', 'v');
  const text = store.call('INFO') as string;
  assert.match(text, /^# Server\r\nemberkv_version:[\d.]+\r\n/);
  assert.match(text, /\r\n\r\n# Memory\r\nused_memory:\d+\r\n/);
  assert.match(text, /# Keyspace\r\ndb0:keys=1,expires=0,avg_ttl=0\r\n$/);
  const memory = store.call('INFO', 'memory') as string;
  assert.ok(memory.startsWith('# Memory\r\n') && !memory.includes('# Stats'));
  assert.is(store.call('INFO', 'nosuchsection'), '');
  await store.close();
});

test('INFO persistence carries the AOF and snapshot fields of a durable store', async () => {
  const store = await open(temp.path('durable'), { activeExpiry: false, save: [] });
  store.set('k', 'v');
  await store.bgsave();
  const persistence = store.info('persistence').persistence;
  for (const field of ['aof_enabled', 'aof_last_write_status', 'aof_current_size', 'aof_pending_bytes', 'aof_delayed_fsync',
    'rdb_changes_since_last_save', 'rdb_bgsave_in_progress', 'rdb_last_bgsave_status', 'rdb_last_cow_size', 'rdb_last_save_time',
    'aof_rewrite_in_progress', 'aof_rewrites', 'aof_last_bgrewrite_status', 'aof_base_size', 'aof_last_cow_size']) {
    assert.ok(field in persistence, field);
  }
  assert.is(persistence.aof_enabled, 1);
  assert.is(persistence.rdb_last_bgsave_status, 'ok');
  assert.is(store.call('LASTSAVE'), store.lastsave);
  await store.close();
});

test('CONFIG GET by name and glob; CONFIG SET changes the store and is all-or-nothing', async () => {
  const store = await open(undefined, { activeExpiry: false });
  assert.equal(store.call('CONFIG', 'GET', 'maxmemory'), ['maxmemory', '0']);
  const all = store.configGet('maxmemory*');
  assert.equal(Object.keys(all).sort(), ['maxmemory', 'maxmemory-policy', 'maxmemory-samples']);
  assert.is(store.call('CONFIG', 'SET', 'maxmemory', '10mb', 'maxmemory-policy', 'allkeys-lfu'), 'OK');
  assert.equal(store.configGet('maxmemory', 'maxmemory-policy'), { maxmemory: String(10 * 1024 * 1024), 'maxmemory-policy': 'allkeys-lfu' });
  assert.is(store.ks.lfuMode, true);
  assert.throws(() => store.call('CONFIG', 'SET', 'maxmemory', '1mb', 'maxmemory-policy', 'nope'), /maxmemory-policy/);
  assert.is(store.configGet('maxmemory').maxmemory, String(10 * 1024 * 1024), 'nothing applied');
  store.configSet({ 'slowlog-log-slower-than': 0, 'slowlog-max-len': 3 });
  assert.is(store.configGet('slowlog-*')['slowlog-max-len'], '3');
  assert.throws(() => store.configSet({ dbfilename: 'x.rdb' }), /can't set immutable config/);
  await store.close();
});

test("CONFIG errors are Redis's texts", async () => {
  const store = await open(undefined, { activeExpiry: false });
  const cases: Array<[string[], string]> = [
    [['CONFIG', 'SET', 'nosuch', '1'], "ERR Unknown option or number of arguments for CONFIG SET - 'nosuch'"],
    [['CONFIG', 'SET', 'maxmemory-samples', '0'], "ERR CONFIG SET failed (possibly related to argument 'maxmemory-samples') - argument must be between 1 and 2147483647 inclusive"],
    [['CONFIG', 'SET', 'maxmemory-samples', 'x'], "ERR CONFIG SET failed (possibly related to argument 'maxmemory-samples') - argument couldn't be parsed into an integer"],
    [['CONFIG', 'SET', 'maxmemory', '12 parsecs'], "ERR CONFIG SET failed (possibly related to argument 'maxmemory') - argument must be a memory value"],
    [['CONFIG', 'SET', 'maxmemory-policy', 'lru'], "ERR CONFIG SET failed (possibly related to argument 'maxmemory-policy') - argument(s) must be one of the following: volatile-lru, volatile-lfu, volatile-random, volatile-ttl, allkeys-lru, allkeys-lfu, allkeys-random, noeviction"],
    [['CONFIG', 'SET', 'maxmemory'], "ERR wrong number of arguments for 'config|set' command"],
    [['CONFIG', 'GET'], "ERR wrong number of arguments for 'config|get' command"],
    [['CONFIG', 'FROB'], "ERR unknown subcommand 'FROB'. Try CONFIG HELP."],
    [['SLOWLOG', 'GET', '-2'], 'ERR count should be greater than or equal to -1'],
  ];
  const redis = await startRedis();
  if (redis === null) console.log('SKIP server oracle tests: redis-server not installed');
  try {
    for (const [command, message] of cases) {
      const [name, ...args] = command;
      assert.throws(() => store.call(name, ...args), (e: Error) => e instanceof ReplyError && e.message === message, command.join(' '));
      if (redis !== null) assert.equal(await redis.call(...command), { error: message }, `redis-server agrees: ${command.join(' ')}`);
    }
  } finally {
    await redis?.stop();
    await store.close();
  }
});

test('SLOWLOG keeps commands over the threshold, newest first, arguments shortened', async () => {
  const store = await open(undefined, { activeExpiry: false, slowlogLogSlowerThan: 0, slowlogMaxLen: 4 });
  for (let i = 0; i < 1000; i++) store.set(`k${i}`, 'v');
  store.get('k1');
  store.keys('k*');
  store.call('KEYS', '*');
  store.call('MSET', ...Array.from({ length: 40 }, (_, i) => `arg${i}`));
  store.call('SET', 'long', 'x'.repeat(300));
  const entries = store.slowlogGet(-1);
  assert.is(store.slowlogLen(), 3, 'fast commands (GET, SET) are never timed');
  assert.equal(entries.map((e) => e.args[0]), ['mset', 'keys', 'keys']);
  assert.ok(entries[0].id > entries[1].id);
  assert.is(entries[0].args.length, 32);
  assert.is(entries[0].args[31], '... (10 more arguments)', 'as Redis counts: 41 arguments, 31 kept');
  assert.equal(entries[1].args, ['keys', '*']);
  const reply = store.call('SLOWLOG', 'GET', 1) as unknown[][];
  assert.is(reply.length, 1);
  assert.is(reply[0].length, 6);
  assert.type(reply[0][2], 'number');
  const logged = store.slowlogLen();
  store.configSet({ 'slowlog-log-slower-than': -1 });
  store.keys('*');
  assert.is(store.slowlogLen(), logged, 'a negative threshold turns the log off');
  store.slowlogReset();
  assert.is(store.call('SLOWLOG', 'LEN'), 0);
  await store.close();
});

test('the slow log catches a genuinely slow command at the default threshold', async () => {
  const store = await open(undefined, { activeExpiry: false });
  for (let i = 0; i < 300_000; i++) store.set(`key:${i}`, 'v');
  store.keys('*:1*');
  const [entry] = store.slowlogGet(1);
  assert.ok(entry !== undefined && entry.durationMicros >= 10_000, 'KEYS over 300k keys took over 10 ms');
  assert.equal(entry.args, ['keys', '*:1*']);
  await store.close();
});

test.after(() => temp.remove());
test.run();
