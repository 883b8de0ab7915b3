// Smoke test of the redis-server oracle client: every RESP2 reply shape decodes as documented,
// pipelined replies keep their order, large replies survive being split across reads, and stop()
// leaves no server process or temp dir behind.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync } from 'node:fs';
import { redisAvailable, startRedis } from './redis-oracle.ts';

const oracle = await startRedis();
assert.is(oracle !== null, redisAvailable);

if (oracle === null) {
  console.log('SKIP redis-oracle: redis-server not installed');
  test('redis-server not installed: startRedis returns null', () => {
    assert.is(redisAvailable, false);
  });
} else {
  const redis = oracle;

  test('reply shapes', async () => {
    assert.is(await redis.call('PING'), 'PONG');
    assert.is(await redis.call('SET', 'text', 'héllo \uFEFF'), 'OK');
    // A leading BOM must survive decoding: TextDecoder drops it unless told not to.
    assert.is(await redis.call('SET', 'bom', '\uFEFFx'), 'OK');
    assert.is(await redis.call('GET', 'bom'), '\uFEFFx');
    assert.is(await redis.call('GET', 'text'), 'héllo \uFEFF');
    assert.is(await redis.call('SET', 'bytes', new Uint8Array([0xff, 0x00, 0x41])), 'OK');
    assert.equal(await redis.call('GET', 'bytes'), new Uint8Array([0xff, 0x00, 0x41]));
    assert.is(await redis.call('GET', 'missing'), null);
    assert.is(await redis.call('INCRBY', 'n', 41), 41);
    assert.is(await redis.call('INCR', 'n'), 42);
    assert.is(await redis.call('GET', 'n'), '42');
    assert.equal(await redis.call('INCR', 'text'), { error: 'ERR value is not an integer or out of range' });
    assert.equal(await redis.call('RPUSH', 'list', 'a', '', 'c'), 3);
    assert.equal(await redis.call('LRANGE', 'list', 0, -1), ['a', '', 'c']);
    assert.equal(await redis.call('LRANGE', 'nolist', 0, -1), []);
    assert.equal(await redis.call('EVAL', "return {1, {'x', {2}}, false}", 0), [1, ['x', [2]], null]);
  });

  test('pipelined calls resolve in order', async () => {
    const replies = await Promise.all(Array.from({ length: 2000 }, () => redis.call('INCR', 'counter')));
    assert.equal(replies, Array.from({ length: 2000 }, (_, i) => i + 1));
  });

  test('large bulk replies arrive whole', async () => {
    const big = 'x'.repeat(3_000_000);
    await redis.call('SET', 'big', big);
    const [value, length] = await Promise.all([redis.call('GET', 'big'), redis.call('STRLEN', 'big')]);
    assert.is(value, big);
    assert.is(length, big.length);
  });

  test('stop() kills the server and removes its directory', async () => {
    const config = await redis.call('CONFIG', 'GET', 'dir');
    const dir = Array.isArray(config) ? config[1] : null;
    const info = await redis.call('INFO', 'server');
    const pid = Number(/process_id:(\d+)/.exec(typeof info === 'string' ? info : '')?.[1]);
    assert.type(dir, 'string');
    assert.ok(existsSync(dir as string));
    await redis.stop();
    assert.not.ok(existsSync(dir as string));
    assert.throws(() => process.kill(pid, 0));
    await redis.stop(); // twice is fine
    try {
      await redis.call('PING');
      assert.unreachable('a call after stop() should reject');
    } catch (error) {
      assert.instance(error, Error);
    }
  });
}

test.run();
