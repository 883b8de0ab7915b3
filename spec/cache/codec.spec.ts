// Codecs (lib/cache/codec.ts): each round-trips what it promises, refuses the other kind of payload,
// and the msgpack codec loads msgpackr's pure-JS build only (no native addon: Electron).

import fc from 'fast-check';
import { readdirSync, readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as msgpackrPack from 'msgpackr/pack';
import { bytesCodec, jsonCodec, msgpackCodec, stringCodec } from '../../lib/cache/codec.ts';

if (process.env.SEED !== undefined) fc.configureGlobal({ seed: Number(process.env.SEED) });

const throwsOn = (run: () => unknown): boolean => {
  try {
    run();
    return false;
  } catch {
    return true;
  }
};

test('string and bytes codecs store values as they are, and refuse the other kind', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'grapheme' }), fc.uint8Array(), (text, bytes) => {
      assert.is(stringCodec().decode(stringCodec().encode(text)), text);
      assert.equal(bytesCodec().decode(bytesCodec().encode(bytes)), bytes);
    }),
  );
  assert.ok(throwsOn(() => stringCodec().decode(new Uint8Array(1))));
  assert.ok(throwsOn(() => bytesCodec().decode('text')));
  assert.ok(throwsOn(() => stringCodec().encode(1 as unknown as string)));
  assert.ok(throwsOn(() => bytesCodec().encode('x' as unknown as Uint8Array)));
});

test('json round-trips JSON values into a string payload', () => {
  const codec = jsonCodec<unknown>();
  fc.assert(
    fc.property(fc.jsonValue(), (value) => {
      const payload = codec.encode(value);
      assert.type(payload, 'string');
      assert.equal(codec.decode(payload), JSON.parse(JSON.stringify(value)));
    }),
  );
  assert.ok(throwsOn(() => codec.encode(undefined)));
  assert.ok(throwsOn(() => codec.decode(new Uint8Array([0x7b]))));
});

test('msgpack round-trips JSON values, Dates, bytes and 64-bit bigints into a bytes payload', () => {
  const codec = msgpackCodec<unknown>();
  fc.assert(
    fc.property(fc.jsonValue(), (value) => {
      const payload = codec.encode(value);
      assert.instance(payload, Uint8Array);
      assert.equal(codec.decode(payload), JSON.parse(JSON.stringify(value)));
    }),
  );
  const rich = { when: new Date(1_700_000_000_000), data: new Uint8Array([1, 2, 3]), big: 2n ** 60n, missing: undefined };
  const back = codec.decode(codec.encode(rich)) as typeof rich;
  assert.is(back.when.getTime(), rich.when.getTime());
  assert.equal(new Uint8Array(back.data), rich.data);
  assert.is(back.big, rich.big);
  assert.ok('missing' in back);
  assert.ok(throwsOn(() => codec.encode(undefined)));
  assert.ok(throwsOn(() => codec.decode('text')));
});

test('msgpack keeps an own "__proto__" key a key (msgpackr alone renames it), and sets no prototype', () => {
  const codec = msgpackCodec<unknown>();
  const value = JSON.parse('{"__proto__":{"polluted":true},"list":[{"__proto__":1}],"when":0}') as Record<string, unknown>;
  const back = codec.decode(codec.encode(value)) as Record<string, unknown>;
  assert.equal(Object.keys(back), ['__proto__', 'list', 'when']);
  assert.equal(Object.getOwnPropertyDescriptor(back, '__proto__')?.value, { polluted: true });
  assert.is(Object.getPrototypeOf(back), Object.prototype);
  assert.is((back as { polluted?: boolean }).polluted, undefined);
  assert.is(({} as { polluted?: boolean }).polluted, undefined);
  assert.equal(back, value);
  // The string alone (not as a key) takes the same path and comes back unchanged.
  assert.equal(codec.decode(codec.encode({ note: 'a __proto__ in text', big: 2n ** 60n })), { note: 'a __proto__ in text', big: 2n ** 60n });
});

test('msgpack payloads are independent copies: a later encode does not change an earlier payload', () => {
  const codec = msgpackCodec<unknown>();
  const first = codec.encode({ a: 'first' }) as Uint8Array;
  const copy = first.slice();
  for (let i = 0; i < 1000; i++) codec.encode({ a: `later ${i}`, pad: 'x'.repeat(100) });
  assert.equal(first, copy);
  assert.is(first.byteOffset, 0);
  assert.is(first.buffer.byteLength, first.byteLength);
});

test("msgpackr is used through 'msgpackr/pack' only, its pure-JS build (no native addon)", () => {
  assert.ok(import.meta.resolve('msgpackr/pack').endsWith('/msgpackr/index.js'));
  // Not in pack.d.ts, but exported: true once msgpackr's main entry has loaded msgpackr-extract.
  assert.is((msgpackrPack as unknown as { isNativeAccelerationEnabled: boolean }).isNativeAccelerationEnabled, false);
  const dir = new URL('../../lib/cache/', import.meta.url);
  for (const name of readdirSync(dir)) {
    const source = readFileSync(new URL(name, dir), 'utf8');
    for (const match of source.matchAll(/from '(msgpackr[^']*)'/g)) assert.is(match[1], 'msgpackr/pack', name);
  }
});

test.run();
