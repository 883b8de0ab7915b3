// Hashes and sorted sets loaded packed (lib/keyspace/packed.ts, lib/persistence/packed-codec.ts):
// every command sees the same values as on the store that saved them; a snapshot taken while they
// are still packed holds them as they were; forged frames are refused exactly as before.

import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CorruptFileError, open, type Store } from '../../lib/index.ts';
import { PackedValue } from '../../lib/keyspace/packed.ts';
import { encodeFileHeader } from '../../lib/persistence/format.ts';
import { FrameEncoder, PayloadDecoder } from '../../lib/persistence/record-codec.ts';
import { decodeSnapshotFrame } from '../../lib/persistence/snapshot-stream.ts';
import type { Arg, Value } from '../../lib/types.ts';
import { tempRoot } from '../support/data-dir.ts';
import { dumpStore } from '../support/model.ts';

const temp = tempRoot('packed');
const snapshotOnly = { activeExpiry: false, appendonly: false, save: [] as Array<[number, number]> };

const HASHES = ['h0', 'h1', 'h2'];
const ZSETS = ['z0', 'z1', 'z2'];
const KEYS = [...HASHES, ...ZSETS, 's', 'missing'];
// Multi-byte and astral names order by bytes; a lone surrogate takes the building path.
const name = fc.constantFrom('a', 'b', 'ab', 'b\u00e9', '\u00e9', '\u{1F600}', '\uFFFD', '\uD800', 'm1', 'm2', '');
const text = fc.oneof(fc.constantFrom('1', '-7', '2.5', 'x', ''), fc.string({ maxLength: 6 }));
const value = fc.oneof(text, fc.uint8Array({ maxLength: 4 }));
const score = fc.oneof(fc.constantFrom(0, 1, -1, 2.5, Infinity, -Infinity), fc.double({ noNaN: true }));

const hashContent = fc.array(fc.tuple(name, value), { minLength: 1, maxLength: 12 });
const zsetContent = fc.array(fc.tuple(score, name), { minLength: 1, maxLength: 12 });

const key = fc.constantFrom(...KEYS);
const command: fc.Arbitrary<Arg[]> = fc.oneof(
  fc.tuple(key, name).map(([k, f]) => ['HGET', k, f]),
  fc.tuple(key, name, value).map(([k, f, v]) => ['HSET', k, f, v]),
  fc.tuple(key, name).map(([k, f]) => ['HDEL', k, f]),
  fc.tuple(key, name).map(([k, f]) => ['HINCRBY', k, f, 3]),
  fc.tuple(key, name).map(([k, f]) => ['HSTRLEN', k, f]),
  key.map((k) => ['HLEN', k]),
  key.map((k) => ['HGETALL', k]),
  fc.tuple(key, name).map(([k, m]) => ['ZSCORE', k, m]),
  fc.tuple(key, score, name).map(([k, s, m]) => ['ZADD', k, s, m]),
  fc.tuple(key, name).map(([k, m]) => ['ZREM', k, m]),
  fc.tuple(key, name).map(([k, m]) => ['ZRANK', k, m]),
  fc.tuple(key, name).map(([k, m]) => ['ZREVRANK', k, m]),
  fc.tuple(key, name).map(([k, m]) => ['ZINCRBY', k, 1.5, m]),
  key.map((k) => ['ZRANGE', k, 0, -1, 'WITHSCORES']),
  key.map((k) => ['ZRANGEBYLEX', k, '-', '+']),
  key.map((k) => ['ZCOUNT', k, '-inf', '+inf']),
  key.map((k) => ['ZCARD', k]),
  key.map((k) => ['ZPOPMIN', k]),
  fc.tuple(key, key).map(([a, b]) => ['COPY', a, b]),
  fc.tuple(key, key).map(([a, b]) => ['RENAME', a, b]),
  fc.tuple(key, key).map(([a, b]) => ['ZUNIONSTORE', 'dest', 2, a, b]),
  key.map((k) => ['DEL', k]),
  key.map((k) => ['TYPE', k]),
);

/** A reply as plain comparable data: bytes as hex, errors as their text, HGETALL's pairs sorted. */
function normalize(name: Arg, reply: unknown): unknown {
  const plain = (x: unknown): unknown =>
    x instanceof Uint8Array ? `bytes:${Buffer.from(x).toString('hex')}` : Array.isArray(x) ? x.map(plain) : x;
  const result = plain(reply);
  if (name === 'HGETALL' && Array.isArray(result)) {
    const pairs: string[] = [];
    for (let i = 0; i < result.length; i += 2) pairs.push(JSON.stringify([result[i], result[i + 1]]));
    return pairs.sort();
  }
  return result;
}

function run(store: Store, args: Arg[]): unknown {
  try {
    return normalize(args[0], store.call(args[0] as string, ...args.slice(1)));
  } catch (error) {
    return `error: ${(error as Error).message}`;
  }
}

function fill(store: Store, hashes: Array<Array<[string, string | Uint8Array]>>, zsets: Array<Array<[number, string]>>): void {
  hashes.forEach((pairs, i) => store.hset(HASHES[i], Object.fromEntries(pairs.map(([f, v]) => [f, v]))));
  zsets.forEach((pairs, i) => store.zadd(ZSETS[i], pairs));
  store.set('s', 'a string');
}

function packedCount(store: Store): number {
  let count = 0;
  for (const entry of store.ks.allEntries()) if (entry.value instanceof PackedValue) count++;
  return count;
}

let round = 0;

test('commands on values loaded packed reply as on the store that saved them', async () => {
  let sawPacked = 0;
  await fc.assert(
    fc.asyncProperty(
      fc.array(hashContent, { minLength: 3, maxLength: 3 }),
      fc.array(zsetContent, { minLength: 3, maxLength: 3 }),
      fc.array(command, { maxLength: 25 }),
      async (hashes, zsets, commands) => {
        const dir = temp.path(`differential-${round++}`);
        const saving = await open(dir, snapshotOnly);
        fill(saving, hashes, zsets);
        await saving.close();
        const reference = await open(undefined, { activeExpiry: false });
        fill(reference, hashes, zsets);
        const loaded = await open(dir, snapshotOnly);
        sawPacked += packedCount(loaded);
        for (const args of commands) assert.equal(run(loaded, args), run(reference, args), JSON.stringify(args));
        assert.equal(dumpStore(loaded), dumpStore(reference));
        await loaded.close();
        await reference.close();
      },
    ),
    { numRuns: 60 },
  );
  assert.ok(sawPacked > 100, `values were loaded packed (${sawPacked})`);
});

test('a snapshot taken while values are packed holds them as they were at the call', async () => {
  const dir = temp.path('cow');
  const saving = await open(dir, snapshotOnly);
  for (let i = 0; i < 20_000; i++) saving.set(`k${i}`, `v${i}`);
  for (let i = 0; i < 2_000; i++) {
    saving.hset(`h${i}`, { a: `${i}`, b: 'two', [`f${i}`]: new Uint8Array([i & 255]) });
    saving.zadd(`z${i}`, [[i, 'one'], [i, 'uno'], [-i, '\u{1F600}']]);
  }
  const expected = dumpStore(saving);
  await saving.close();

  const store = await open(dir, snapshotOnly);
  assert.is(packedCount(store), 4_000);
  let slices = 0;
  store.persistenceLayer!.betweenSlices = () => {
    // Keys far ahead of the walk, so most changes hit values the snapshot has not written yet.
    slices++;
    const i = 2_000 - slices;
    store.hset(`h${i}`, { a: 'changed', c: 'new' });
    store.zadd(`z${i}`, [[1e9, 'one'], [0, 'new']]);
    store.del(`h${i - 1}`, `z${i - 1}`);
    store.rename(`z${i - 2}`, `moved${i}`);
    store.copy(`h${i - 3}`, `copied${i}`);
  };
  const result = await store.bgsave();
  store.persistenceLayer!.betweenSlices = undefined;
  assert.ok(slices > 3, `the snapshot ran in slices with writes between them (${slices})`);
  assert.is(result.keys, 24_000);
  const copy = temp.path('cow-copy');
  cpSync(join(dir, 'dump.rdb'), join(copy, 'dump.rdb'));
  const loaded = await open(copy, snapshotOnly);
  assert.equal(dumpStore(loaded), expected);
  await loaded.close();
  await store.close();
});

/** A snapshot file built frame by frame (each frame with a valid checksum), as no writer makes. */
function forgedSnapshot(dir: string, value: (e: FrameEncoder) => void): number {
  const encoder = new FrameEncoder();
  const frame = (kind: number, body: (e: FrameEncoder) => void) => {
    const start = encoder.open(kind);
    body(encoder);
    encoder.close(start);
  };
  frame(0x10, (e) => (e.writeFloat64(Date.now()), e.writeArg('test'), e.writeVarint(2)));
  frame(0x11, (e) => (e.writeByte(0), e.writeArg('s'), e.writeFloat64(0), e.writeArg('v')));
  const header = encodeFileHeader('snapshot');
  const valueAt = header.byteLength + encoder.length;
  frame(0x11, value);
  frame(0x1f, (e) => e.writeVarint(2));
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'dump.rdb'), Buffer.concat([header, encoder.take()]));
  return valueAt;
}

test('forged hashes and sorted sets are refused at open as before, or loaded right when only unordered', async () => {
  const refused: Array<[string, string, (e: FrameEncoder) => void]> = [
    ['a field twice', 'field "f" of "h" appears twice', (e) => (e.writeByte(1), e.writeArg('h'), e.writeFloat64(0), e.writeVarint(3), e.writeArg('f'), e.writeArg('1'), e.writeArg('g'), e.writeArg('2'), e.writeArg('f'), e.writeArg('3'))],
    ['a member twice, apart', 'a member is listed twice', (e) => (e.writeByte(2), e.writeArg('z'), e.writeFloat64(0), e.writeVarint(3), e.writeArg('m'), e.writeFloat64(1), e.writeArg('n'), e.writeFloat64(2), e.writeArg('m'), e.writeFloat64(3))],
    ['a NaN score', 'has a NaN score', (e) => (e.writeByte(2), e.writeArg('z'), e.writeFloat64(0), e.writeVarint(1), e.writeArg('m'), e.writeFloat64(Number.NaN))],
    ['a number for a field', 'expected a string', (e) => (e.writeByte(1), e.writeArg('h'), e.writeFloat64(0), e.writeVarint(1), e.writeArg(7), e.writeArg('1'))],
  ];
  for (const [name, message, value] of refused) {
    const dir = temp.path(`forged-${name.replaceAll(' ', '-')}`);
    const valueAt = forgedSnapshot(dir, value);
    let error: unknown = null;
    await open(dir, snapshotOnly).then((s) => s.close(), (e) => (error = e));
    assert.instance(error, CorruptFileError, name);
    assert.ok((error as Error).message.includes(message), `${name}: ${(error as Error).message}`);
    assert.is((error as CorruptFileError).offset, valueAt, name);
  }
  // Big elements load built, and right.
  const big = temp.path('forged-big');
  const large = 'x'.repeat(700 * 1024);
  forgedSnapshot(big, (e) => (e.writeByte(1), e.writeArg('h'), e.writeFloat64(0), e.writeVarint(2), e.writeArg('a'), e.writeArg(large), e.writeArg('b'), e.writeArg(large)));
  const bigStore = await open(big, snapshotOnly);
  assert.is(packedCount(bigStore), 0);
  assert.is(bigStore.hstrlen('h', 'b'), large.length);
  await bigStore.close();
  // Out of index order (by score, then by bytes among equal scores), with a -0: loads built, right.
  const dir = temp.path('forged-unordered');
  forgedSnapshot(dir, (e) => (e.writeByte(2), e.writeArg('z'), e.writeFloat64(0), e.writeVarint(4), e.writeArg('c'), e.writeFloat64(2), e.writeArg('\u00e9'), e.writeFloat64(1), e.writeArg('b'), e.writeFloat64(1), e.writeArg('a'), e.writeFloat64(-0)));
  const store = await open(dir, snapshotOnly);
  assert.equal(store.zrange('z', 0, -1, { withScores: true }), [['a', 0], ['b', 1], ['\u00e9', 1], ['c', 2]]);
  assert.ok(Object.is(store.zscore('z', 'a'), 0), '-0 is stored as 0');
  await store.close();
});

/** A score as a reply gives it (Redis's text: `inf`, `-inf`, 17 significant digits). */
const scoreOf = (text: string): number => (text === 'inf' ? Infinity : text === '-inf' ? -Infinity : Number(text));

/** A forged value: mostly well-formed elements, sometimes a wrong tag, count or stray byte. */
interface Forged {
  type: 1 | 2;
  elements: Array<[Arg, Arg | number]>;
  countDelta: number;
  stray: { at: number; byte: number } | null;
}

test('random frames: open() refuses exactly what the inspector decoder finds wrong, and loads the rest as it reads them', async () => {
  const rarely = <T>(common: fc.Arbitrary<T>, odd: fc.Arbitrary<T>) => fc.oneof({ weight: 12, arbitrary: common }, { weight: 1, arbitrary: odd });
  const forged: fc.Arbitrary<Forged> = fc.constantFrom<1 | 2>(1, 2).chain((type) =>
    fc.record({
      type: fc.constant(type),
      elements: fc.array(
        fc.tuple(
          rarely<Arg>(name, fc.oneof(fc.uint8Array({ maxLength: 2 }), fc.constant(7))),
          type === 1 ? rarely<Arg | number>(value, fc.constant(2.5)) : rarely<Arg | number>(score, fc.constantFrom(Number.NaN, -0)),
        ),
        { minLength: 1, maxLength: 8 },
      ),
      countDelta: rarely(fc.constant(0), fc.constantFrom(-1, 1)),
      stray: rarely(fc.constant(null), fc.record({ at: fc.nat(40), byte: fc.integer({ min: 0, max: 255 }) })),
    }),
  );
  let loadedPacked = 0;
  let refused = 0;
  await fc.assert(
    fc.asyncProperty(forged, async ({ type, elements, countDelta, stray }) => {
      const dir = temp.path(`fuzz-${round++}`);
      const write = (e: FrameEncoder) => {
        e.writeByte(type);
        e.writeArg('v');
        e.writeFloat64(0);
        e.writeVarint(Math.max(0, elements.length + countDelta));
        const from = e.length;
        for (const [n, v] of elements) {
          e.writeArg(n);
          if (type === 2 && typeof v === 'number') e.writeFloat64(v);
          else e.writeArg(v);
        }
        if (stray !== null) {
          const at = from + Math.min(stray.at, e.length - from);
          e.reserve(1);
          e.buffer.copyWithin(at + 1, at, e.length);
          e.buffer[at] = stray.byte;
          e.length++;
        }
      };
      forgedSnapshot(dir, write);
      // The oracle: the inspector's own frame decoder, then the loader's rules (FORMAT.md §8).
      const encoder = new FrameEncoder();
      const start = encoder.open(0x11);
      write(encoder);
      encoder.close(start);
      const bytes = encoder.take();
      let expected: Array<[string, string]> | null;
      try {
        const frame = decodeSnapshotFrame(new PayloadDecoder(), bytes, 8, bytes.length) as { elements: { names: string[]; values: Array<Value | number> } };
        const { names, values } = frame.elements;
        if (names.length === 0 || new Set(names).size !== names.length) throw new Error('empty or repeated');
        if (values.some((v) => typeof v === 'number' && Number.isNaN(v))) throw new Error('NaN');
        expected = names.map((n, i) => [n, typeof values[i] === 'number' ? String(values[i] === 0 ? 0 : values[i]) : String(normalize('GET', values[i]))]);
        expected.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
      } catch {
        expected = null;
      }
      const outcome = await open(dir, snapshotOnly).then(
        async (store) => {
          const packed = packedCount(store);
          const reply = type === 1 ? store.call('HGETALL', 'v') : store.call('ZRANGE', 'v', 0, -1, 'WITHSCORES');
          const flat = normalize('GET', reply) as unknown[];
          const pairs: Array<[string, string]> = [];
          for (let i = 0; i < flat.length; i += 2) pairs.push([String(flat[i]), type === 1 ? String(flat[i + 1]) : String(scoreOf(String(flat[i + 1])))]);
          pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
          await store.close();
          return { pairs, packed };
        },
        (error: unknown) => {
          assert.instance(error, CorruptFileError);
          return null;
        },
      );
      if (expected === null) {
        refused++;
        assert.is(outcome, null, 'refused');
      } else {
        assert.ok(outcome !== null, 'loaded');
        loadedPacked += outcome.packed;
        assert.equal(outcome.pairs, expected);
      }
    }),
    { numRuns: 300 },
  );
  assert.ok(refused > 20 && loadedPacked > 30, `both outcomes were exercised (${refused} refused, ${loadedPacked} loaded packed)`);
});

test.run();
