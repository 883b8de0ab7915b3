// String commands against a plain reference model (a Map of byte arrays), through both faces, with
// a fake clock for TTLs; then exact error texts and edge cases from Redis's own behaviour.

import fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { open, ReplyError, type Store, type Value } from '../../lib/index.ts';
import { describeValue, FakeClock } from '../support/model.ts';

interface ModelValue {
  bytes: Buffer;
  binary: boolean;
  expiresAt: number;
}

/** The reference: bytes per key, whether they are a string or bytes, and the TTL. */
class StringModel {
  data = new Map<string, ModelValue>();
  constructor(readonly clock: FakeClock) {}

  live(key: string): ModelValue | undefined {
    const value = this.data.get(key);
    if (value !== undefined && value.expiresAt !== 0 && value.expiresAt <= this.clock.ms) {
      this.data.delete(key);
      return undefined;
    }
    return value;
  }

  render(value: ModelValue): Value {
    return value.binary ? new Uint8Array(value.bytes) : value.bytes.toString('utf8');
  }
}

function bytesOf(value: Value): Buffer {
  return typeof value === 'string' ? Buffer.from(value, 'utf8') : Buffer.from(value);
}

function isValidUtf8(bytes: Buffer): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
}

const INTEGER = /^(0|-?[1-9][0-9]*)$/;

const keyArb = fc.constantFrom('a', 'b', 'c', 'd');
const textArb = fc.string({ unit: fc.constantFrom('x', 'é', '😀', '\0', '1', '-', '9'), maxLength: 6 });
const bytesArb = fc.uint8Array({ maxLength: 6 });
const valueArb: fc.Arbitrary<Value> = fc.oneof(textArb, bytesArb, fc.integer({ min: -20, max: 20 }).map(String));

type Op =
  | { op: 'set'; key: string; value: Value; nx: boolean; xx: boolean; get: boolean; px: number; keepTtl: boolean }
  | { op: 'get' | 'strlen' | 'getdel' | 'ttl' | 'persist' | 'incr'; key: string }
  | { op: 'append'; key: string; value: Value }
  | { op: 'incrby'; key: string; by: number }
  | { op: 'getrange'; key: string; start: number; end: number }
  | { op: 'setrange'; key: string; offset: number; value: Value }
  | { op: 'getset'; key: string; value: Value }
  | { op: 'mset'; pairs: Array<[string, Value]>; nx: boolean }
  | { op: 'mget'; keys: string[] }
  | { op: 'pexpire'; key: string; ms: number }
  | { op: 'del'; keys: string[] }
  | { op: 'rename'; source: string; target: string }
  | { op: 'tick'; ms: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    op: fc.constant('set' as const),
    key: keyArb,
    value: valueArb,
    nx: fc.boolean(),
    xx: fc.boolean(),
    get: fc.boolean(),
    px: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 50 })),
    keepTtl: fc.boolean(),
  }),
  fc.record({ op: fc.constantFrom('get' as const, 'strlen' as const, 'getdel' as const, 'ttl' as const, 'persist' as const, 'incr' as const), key: keyArb }),
  fc.record({ op: fc.constant('append' as const), key: keyArb, value: valueArb }),
  fc.record({ op: fc.constant('incrby' as const), key: keyArb, by: fc.integer({ min: -5, max: 5 }) }),
  fc.record({ op: fc.constant('getrange' as const), key: keyArb, start: fc.integer({ min: -8, max: 8 }), end: fc.integer({ min: -8, max: 8 }) }),
  fc.record({ op: fc.constant('setrange' as const), key: keyArb, offset: fc.integer({ min: 0, max: 8 }), value: valueArb }),
  fc.record({ op: fc.constant('getset' as const), key: keyArb, value: valueArb }),
  fc.record({ op: fc.constant('mset' as const), pairs: fc.array(fc.tuple(keyArb, valueArb), { minLength: 1, maxLength: 3 }), nx: fc.boolean() }),
  fc.record({ op: fc.constant('mget' as const), keys: fc.array(keyArb, { minLength: 1, maxLength: 3 }) }),
  fc.record({ op: fc.constant('pexpire' as const), key: keyArb, ms: fc.integer({ min: -5, max: 60 }) }),
  fc.record({ op: fc.constant('del' as const), keys: fc.array(keyArb, { minLength: 1, maxLength: 3 }) }),
  fc.record({ op: fc.constant('rename' as const), source: keyArb, target: keyArb }),
  fc.record({ op: fc.constant('tick' as const), ms: fc.integer({ min: 1, max: 30 }) }),
);

/** What the model says an op returns (values as describeValue text, errors as 'ERR...'). */
function expected(model: StringModel, op: Op): unknown {
  const now = model.clock.ms;
  switch (op.op) {
    case 'set': {
      const old = model.live(op.key);
      if (op.nx && op.xx) return 'ERR syntax error';
      if (op.keepTtl && op.px !== 0) return 'ERR syntax error';
      const previous = op.get ? (old === undefined ? 'null' : describeValue(model.render(old))) : undefined;
      if ((op.nx && old !== undefined) || (op.xx && old === undefined)) return op.get ? previous : 'null';
      const expiresAt = op.px !== 0 ? now + op.px : op.keepTtl && old !== undefined ? old.expiresAt : 0;
      model.data.set(op.key, { bytes: bytesOf(op.value), binary: typeof op.value !== 'string', expiresAt });
      return op.get ? previous : 'OK';
    }
    case 'get': {
      const value = model.live(op.key);
      return value === undefined ? 'null' : describeValue(model.render(value));
    }
    case 'strlen':
      return model.live(op.key)?.bytes.length ?? 0;
    case 'getdel': {
      const value = model.live(op.key);
      model.data.delete(op.key);
      return value === undefined ? 'null' : describeValue(model.render(value));
    }
    case 'ttl': {
      const value = model.live(op.key);
      if (value === undefined) return -2;
      return value.expiresAt === 0 ? -1 : value.expiresAt - now;
    }
    case 'persist': {
      const value = model.live(op.key);
      if (value === undefined || value.expiresAt === 0) return 0;
      value.expiresAt = 0;
      return 1;
    }
    case 'incr':
    case 'incrby': {
      const by = op.op === 'incrby' ? op.by : 1;
      const value = model.live(op.key);
      const text = value === undefined ? '0' : value.bytes.toString('latin1');
      if (!INTEGER.test(text) || text.length > 20) return 'ERR value is not an integer or out of range';
      const result = Number(text) + by;
      model.data.set(op.key, { bytes: Buffer.from(String(result)), binary: false, expiresAt: value?.expiresAt ?? 0 });
      return result;
    }
    case 'append': {
      const value = model.live(op.key);
      if (value === undefined) {
        model.data.set(op.key, { bytes: bytesOf(op.value), binary: typeof op.value !== 'string', expiresAt: 0 });
        return bytesOf(op.value).length;
      }
      value.bytes = Buffer.concat([value.bytes, bytesOf(op.value)]);
      value.binary = value.binary || typeof op.value !== 'string';
      return value.bytes.length;
    }
    case 'getrange': {
      const value = model.live(op.key);
      if (value === undefined) return describeValue('');
      const length = value.bytes.length;
      let { start, end } = op;
      if (start < 0 && end < 0 && start > end) return describeValue('');
      if (start < 0) start = Math.max(0, length + start);
      if (end < 0) end = Math.max(0, length + end);
      end = Math.min(end, length - 1);
      if (start > end || length === 0) return describeValue('');
      const slice = value.bytes.subarray(start, end + 1);
      const asString = !value.binary && isValidUtf8(slice);
      return describeValue(asString ? slice.toString('utf8') : new Uint8Array(slice));
    }
    case 'setrange': {
      const value = model.live(op.key);
      const patch = bytesOf(op.value);
      if (patch.length === 0) return value?.bytes.length ?? 0;
      const current = value?.bytes ?? Buffer.alloc(0);
      const bytes = Buffer.alloc(Math.max(current.length, op.offset + patch.length));
      current.copy(bytes);
      patch.copy(bytes, op.offset);
      const binary = (value?.binary ?? false) || typeof op.value !== 'string' || !isValidUtf8(bytes);
      model.data.set(op.key, { bytes, binary, expiresAt: value?.expiresAt ?? 0 });
      return bytes.length;
    }
    case 'getset': {
      const value = model.live(op.key);
      model.data.set(op.key, { bytes: bytesOf(op.value), binary: typeof op.value !== 'string', expiresAt: 0 });
      return value === undefined ? 'null' : describeValue(model.render(value));
    }
    case 'mset': {
      if (op.nx && op.pairs.some(([key]) => model.live(key) !== undefined)) return 0;
      for (const [key, value] of op.pairs) {
        model.data.set(key, { bytes: bytesOf(value), binary: typeof value !== 'string', expiresAt: 0 });
      }
      return op.nx ? 1 : 'OK';
    }
    case 'mget':
      return op.keys.map((key) => {
        const value = model.live(key);
        return value === undefined ? 'null' : describeValue(model.render(value));
      });
    case 'pexpire': {
      const value = model.live(op.key);
      if (value === undefined) return 0;
      if (op.ms <= 0) model.data.delete(op.key);
      else value.expiresAt = now + op.ms;
      return 1;
    }
    case 'del':
      return op.keys.filter((key) => model.live(key) !== undefined && model.data.delete(key)).length;
    case 'rename': {
      const value = model.live(op.source);
      if (value === undefined) return 'ERR no such key';
      model.live(op.target);
      model.data.delete(op.source);
      model.data.set(op.target, value);
      return 'OK';
    }
    case 'tick':
      model.clock.advance(op.ms);
      return null;
  }
}

/** Runs an op through `call` (odd steps) or the typed face (even steps), normalizing the reply. */
function actual(store: Store, op: Op, typed: boolean): unknown {
  const text = (v: unknown) => describeValue(v as Value | null);
  switch (op.op) {
    case 'set': {
      if (typed) {
        const r = store.set(op.key, op.value, {
          nx: op.nx, xx: op.xx, get: op.get, keepTtl: op.keepTtl, px: op.px === 0 ? undefined : op.px,
        });
        return op.get || r === null ? text(r) : r;
      }
      const args: Array<string | number | Uint8Array> = [op.key, op.value];
      if (op.nx) args.push('NX');
      if (op.xx) args.push('xx');
      if (op.get) args.push('GET');
      if (op.keepTtl) args.push('KEEPTTL');
      if (op.px !== 0) args.push('PX', op.px);
      const r = store.call('SET', ...args);
      return op.get || r === null ? text(r) : r;
    }
    case 'get':
      return text(typed ? store.get(op.key) : store.call('GET', op.key));
    case 'strlen':
      return typed ? store.strlen(op.key) : store.call('STRLEN', op.key);
    case 'getdel':
      return text(typed ? store.getdel(op.key) : store.call('GETDEL', op.key));
    case 'ttl':
      return typed ? store.pttl(op.key) : store.call('PTTL', op.key);
    case 'persist':
      return typed ? Number(store.persist(op.key)) : store.call('PERSIST', op.key);
    case 'incr':
      return typed ? store.incr(op.key) : store.call('INCR', op.key);
    case 'incrby':
      return typed ? store.incrby(op.key, op.by) : store.call('INCRBY', op.key, String(op.by));
    case 'append':
      return typed ? store.append(op.key, op.value) : store.call('APPEND', op.key, op.value);
    case 'getrange':
      return text(typed ? store.getrange(op.key, op.start, op.end) : store.call('GETRANGE', op.key, op.start, op.end));
    case 'setrange':
      return typed ? store.setrange(op.key, op.offset, op.value) : store.call('SETRANGE', op.key, op.offset, op.value);
    case 'getset':
      return text(typed ? store.getset(op.key, op.value) : store.call('GETSET', op.key, op.value));
    case 'mset':
      if (typed) return op.nx ? Number(store.msetnx(op.pairs)) : store.mset(op.pairs);
      return store.call(op.nx ? 'MSETNX' : 'MSET', ...op.pairs.flat());
    case 'mget':
      return (typed ? store.mget(...op.keys) : (store.call('MGET', ...op.keys) as Value[])).map(text);
    case 'pexpire':
      return typed ? Number(store.pexpire(op.key, op.ms)) : store.call('PEXPIRE', op.key, op.ms);
    case 'del':
      return typed ? store.del(...op.keys) : store.call('DEL', ...op.keys);
    case 'rename':
      return typed ? store.rename(op.source, op.target) : store.call('RENAME', op.source, op.target);
    case 'tick':
      return null;
  }
}

test('string commands match the reference model through both faces', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(opArb, { maxLength: 60 }), async (ops) => {
      const clock = new FakeClock();
      const store = await open(undefined, { clock: clock.now, activeExpiry: false });
      const model = new StringModel(clock);
      ops.forEach((op, step) => {
        const want = expected(model, op);
        let got: unknown;
        try {
          got = actual(store, op, step % 2 === 0);
        } catch (error) {
          if (!(error instanceof ReplyError)) throw error;
          got = error.message;
        }
        assert.equal(got, want, `step ${step}: ${JSON.stringify(op)}`);
      });
      await store.close();
    }),
    { numRuns: 300 },
  );
});

test('error texts are Redis 7.0 texts', async () => {
  const store = await open(undefined, { activeExpiry: false });
  const cases: Array<[Array<string | number>, string]> = [
    [['GET'], "ERR wrong number of arguments for 'get' command"],
    [['SET', 'k'], "ERR wrong number of arguments for 'set' command"],
    [['SET', 'k', 'v', 'EX'], 'ERR syntax error'],
    [['SET', 'k', 'v', 'EX', 0], "ERR invalid expire time in 'set' command"],
    [['SET', 'k', 'v', 'PX', -1], "ERR invalid expire time in 'set' command"],
    [['SET', 'k', 'v', 'EX', 'x'], 'ERR value is not an integer or out of range'],
    [['SET', 'k', 'v', 'EX', 1, 'PX', 1], 'ERR syntax error'],
    [['SET', 'k', 'v', 'KEEPTTL', 'EX', 1], 'ERR syntax error'],
    [['SETEX', 'k', 0, 'v'], "ERR invalid expire time in 'setex' command"],
    [['INCRBY', 'n', '1.5'], 'ERR value is not an integer or out of range'],
    [['INCRBY', 'n', '9223372036854775808'], 'ERR value is not an integer or out of range'],
    [['INCRBYFLOAT', 'n', 'abc'], 'ERR value is not a valid float'],
    [['MSET', 'a'], "ERR wrong number of arguments for 'mset' command"],
    [['MSET', 'a', 1, 'b'], "ERR wrong number of arguments for 'mset' command"],
    [['SETRANGE', 'k', -1, 'x'], 'ERR offset is out of range'],
    [['NOSUCH', 'a'], "ERR unknown command 'NOSUCH', with args beginning with: 'a' "],
    [['EXPIRE', 'k', 10, 'NX', 'XX'], 'ERR NX and XX, GT or LT options at the same time are not compatible'],
    [['EXPIRE', 'k', 10, 'GT', 'LT'], 'ERR GT and LT options at the same time are not compatible'],
    [['EXPIRE', 'k', 10, 'FOO'], 'ERR Unsupported option FOO'],
    [['RENAME', 'missing', 'x'], 'ERR no such key'],
    [['SCAN', 'abc'], 'ERR invalid cursor'],
    [['SCAN', 0, 'COUNT', 0], 'ERR syntax error'],
  ];
  for (const [args, message] of cases) {
    const [name, ...rest] = args;
    assert.throws(() => store.call(String(name), ...rest), (e: Error) => e.message === message, `${args.join(' ')}`);
  }
  store.call('SET', 'n', 'x');
  assert.throws(() => store.call('INCR', 'n'), (e: Error) => e.message === 'ERR value is not an integer or out of range');
  store.call('SET', 'n', '9223372036854775807');
  assert.throws(() => store.call('INCR', 'n'), (e: Error) => e.message === 'ERR increment or decrement would overflow');
  assert.is(store.call('GET', 'n'), '9223372036854775807', 'a failed INCR changes nothing');
  assert.throws(() => store.call('DECRBY', 'n', '-9223372036854775808'), (e: Error) => e.message === 'ERR decrement would overflow');
  await store.close();
});

test('INCR is exact across the whole 64-bit range', async () => {
  const store = await open(undefined, { activeExpiry: false });
  store.call('SET', 'n', '9007199254740993');
  assert.is(store.call('INCRBY', 'n', '2'), 9007199254740995);
  assert.is(store.call('GET', 'n'), '9007199254740995');
  store.call('SET', 'n', '-9223372036854775807');
  assert.is(store.call('DECR', 'n'), -9223372036854775808);
  assert.is(store.call('GET', 'n'), '-9223372036854775808');
  assert.is(store.incrby('m', 9007199254740993n), 9007199254740992);
  assert.is(store.get('m'), '9007199254740993');
  await store.close();
});

test('INCRBYFLOAT formats as Redis (long double, 17 digits, no trailing zeros)', async () => {
  const store = await open(undefined, { activeExpiry: false });
  store.call('SET', 'f', '10.5');
  assert.is(store.call('INCRBYFLOAT', 'f', '0.1'), '10.6');
  assert.is(store.call('INCRBYFLOAT', 'f', '-5.0e3'), '-4989.39999999999999991', 'as redis-server 7.0 prints it');
  store.call('SET', 'g', '3.0e3');
  assert.is(store.call('INCRBYFLOAT', 'g', 200), '3200');
  assert.is(store.incrbyfloat('h', 1.5), 1.5);
  store.call('SET', 'i', 'inf');
  assert.throws(() => store.call('INCRBYFLOAT', 'i', 1), (e: Error) => e.message === 'ERR increment would produce NaN or Infinity');
  await store.close();
});

test('values come back the kind they were stored, and stored bytes cannot be changed from outside', async () => {
  const store = await open(undefined, { activeExpiry: false });
  const bytes = new Uint8Array([0xff, 0x00, 0x41]);
  store.set('b', bytes);
  bytes[0] = 1;
  const got = store.get('b') as Uint8Array;
  assert.instance(got, Uint8Array);
  assert.equal([...got], [0xff, 0x00, 0x41]);
  got[1] = 7;
  assert.equal([...(store.get('b') as Uint8Array)], [0xff, 0x00, 0x41]);
  store.set('s', 'héllo');
  assert.is(store.get('s'), 'héllo');
  assert.is(store.strlen('s'), 6, 'STRLEN counts UTF-8 bytes');
  assert.is(store.getrange('s', 1, 2), 'é');
  assert.instance(store.getrange('s', 1, 1), Uint8Array, 'half a character comes back as bytes');
  assert.is(store.call('SET', 'n', 42), 'OK');
  assert.is(store.get('n'), '42', 'numbers are stored as their text');
  assert.throws(() => store.set(1 as unknown as string, 'x'), TypeError);
  assert.throws(() => store.set('x', 5 as unknown as string), TypeError);
  await store.close();
});

test('SET options: GET with NX/XX, KEEPTTL, EXAT/PXAT, and GETEX', async () => {
  const clock = new FakeClock();
  const store = await open(undefined, { clock: clock.now, activeExpiry: false });
  assert.is(store.set('k', 'v1', { get: true }), null);
  assert.is(store.set('k', 'v2', { get: true, nx: true }), 'v1');
  assert.is(store.get('k'), 'v1');
  store.set('k', 'v3', { ex: 10 });
  assert.is(store.ttl('k'), 10);
  store.set('k', 'v4', { keepTtl: true });
  assert.is(store.pttl('k'), 10_000);
  store.set('k', 'v5');
  assert.is(store.ttl('k'), -1);
  store.call('SET', 'k', 'v6', 'EXAT', Math.floor(clock.ms / 1000) + 100);
  assert.ok(store.ttl('k') >= 99 && store.ttl('k') <= 100);
  store.call('SET', 'k', 'v7', 'PXAT', clock.ms + 5);
  clock.advance(5);
  assert.is(store.get('k'), null, 'expired exactly at PXAT');
  store.set('g', 'x');
  assert.is(store.getex('g', { px: 50 }), 'x');
  assert.is(store.pttl('g'), 50);
  assert.is(store.getex('g', { persist: true }), 'x');
  assert.is(store.ttl('g'), -1);
  assert.is(store.call('GETEX', 'g', 'PXAT', clock.ms - 1), 'x', 'GETEX returns the value, then a past time deletes');
  assert.is(store.exists('g'), 0);
  assert.is(store.call('GETEX', 'missing', 'EX', -1), null, 'time checked only for an existing string, as Redis');
  await store.close();
});

test.run();
