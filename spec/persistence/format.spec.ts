// The on-disk encodings, byte for byte: the worked example of docs/FORMAT.md, file headers, the
// record codec's round trip for every argument kind, malformed payloads, and the manifest.

import fc from 'fast-check';
import { crc32 } from 'node:zlib';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { AOF_VERSION, checkFileHeader, encodeFileHeader, FILE_HEADER_BYTES, FRAME_BATCH, FRAME_CLOCK, FRAME_HEADER_BYTES, FRAME_RECORDS } from '../../lib/persistence/format.ts';
import { encodeManifest, parseManifest } from '../../lib/persistence/manifest.ts';
import { FrameEncoder, MalformedPayloadError, PayloadDecoder } from '../../lib/persistence/record-codec.ts';
import type { Arg } from '../../lib/types.ts';
import { framesIn } from '../support/frames.ts';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex').match(/../g)!.join(' ');

test('SET k v (and DEL k after it) encode exactly as docs/FORMAT.md §4 shows', () => {
  const encoder = new FrameEncoder();
  encoder.record(['SET', 'k', 'v']);
  assert.is(hex(encoder.take()), '0d 00 00 00 c2 50 59 c9 01 03 01 03 53 45 54 01 01 6b 01 01 76');
  encoder.runSet('k', 'v');
  assert.is(hex(encoder.take()), '0d 00 00 00 d1 e3 76 d4 04 03 01 03 53 45 54 01 01 6b 01 01 76');
  encoder.runSet('k', 'v');
  encoder.runRecord(['DEL', 'k']);
  assert.is(hex(encoder.take()), '16 00 00 00 9b 71 28 2a 04 03 01 03 53 45 54 01 01 6b 01 01 76 02 01 03 44 45 4c 01 01 6b');
});

test('file headers: 16 bytes, checked magic, checksum and version', () => {
  const header = encodeFileHeader('aof');
  assert.is(header.length, FILE_HEADER_BYTES);
  assert.is(header.toString('latin1', 0, 8), 'EMBERAOF');
  assert.equal(checkFileHeader(header), { ok: true, kind: 'aof', version: 2 });
  assert.equal(checkFileHeader(encodeFileHeader('snapshot')), { ok: true, kind: 'snapshot', version: 1 });
  for (let i = 0; i < FILE_HEADER_BYTES; i++) {
    const damaged = Buffer.from(header);
    damaged[i] ^= 0x10;
    assert.is(checkFileHeader(damaged).ok, false, `byte ${i}`);
  }
  const newer = Buffer.from(header);
  newer.writeUInt16LE(AOF_VERSION + 1, 8);
  newer.writeUInt32LE(crc32(newer.subarray(0, 12)), 12);
  const check = checkFileHeader(newer);
  assert.ok(!check.ok && /newer/.test(check.problem));
  assert.is(checkFileHeader(header.subarray(0, 5)).ok, false);
});

const argArbitrary: fc.Arbitrary<Arg> = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 60 }),
  fc.string({ unit: 'grapheme', maxLength: 200 }),
  fc.string({ unit: fc.constantFrom('a', '\uD800', '\uDFFF', 'é'), maxLength: 8 }),
  fc.uint8Array({ maxLength: 300 }),
  fc.integer(),
  fc.double(),
  fc.constantFrom(-0, Number.MAX_SAFE_INTEGER, 2 ** 31, -(2 ** 31), Infinity, -Infinity),
);

test('records round-trip: strings (any), bytes and numbers come back equal and the same kind', () => {
  fc.assert(
    fc.property(fc.array(fc.array(argArbitrary, { minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 5 }), fc.constantFrom('record', 'batch', 'run'), (records, how) => {
      const encoder = new FrameEncoder(16);
      if (how === 'batch') encoder.batch(records);
      else if (how === 'record') for (const record of records) encoder.record(record);
      else for (const record of records) encoder.runRecord(record);
      const bytes = encoder.take();
      const decoder = new PayloadDecoder();
      const decoded: Arg[][] = [];
      const frames = framesIn(bytes);
      for (const frame of frames) {
        assert.is(frame.checksum, crc32(bytes.subarray(frame.start, frame.end)));
        decoder.reset(bytes, frame.start + 1, frame.end);
        if (frame.kind === FRAME_BATCH) {
          const count = decoder.varint();
          for (let i = 0; i < count; i++) decoded.push(decoder.record());
        } else if (frame.kind === FRAME_RECORDS) {
          do decoded.push(decoder.record());
          while (!decoder.done);
        } else decoded.push(decoder.record());
        assert.ok(decoder.done);
      }
      if (how === 'run') assert.is(frames.length, 1, 'a run is one frame');
      assert.is(decoded.length, records.length);
      records.forEach((record, i) =>
        record.forEach((arg, j) => {
          const got = decoded[i][j];
          if (arg instanceof Uint8Array) {
            assert.ok(got instanceof Uint8Array && !Buffer.isBuffer(got));
            assert.equal([...(got as Uint8Array)], [...arg]);
          } else assert.ok(Object.is(got, arg), `${String(arg)} vs ${String(got)}`);
        }),
      );
    }),
    { numRuns: 500 },
  );
});

test("the SET fast path writes runRecord(['SET', key, value])'s bytes exactly", () => {
  // Plain ASCII of every length class too: the short loop, the native copy (24-127 units) and the
  // two-byte length (128 and up).
  const ascii = fc.string({ unit: fc.constantFrom('a', 'z', '0', ':'), maxLength: 200 });
  const valueArbitrary = fc.oneof(ascii, argArbitrary.filter((arg): arg is string | Uint8Array => typeof arg !== 'number'));
  const keyArbitrary = fc.oneof(ascii, argArbitrary.filter((arg): arg is string => typeof arg === 'string'));
  fc.assert(
    fc.property(fc.array(fc.tuple(keyArbitrary, valueArbitrary), { minLength: 1, maxLength: 8 }), (pairs) => {
      const fast = new FrameEncoder(16);
      const generic = new FrameEncoder(16);
      for (const [key, value] of pairs) {
        fast.runSet(key, value);
        generic.runRecord(['SET', key, value]);
      }
      assert.equal([...fast.take()], [...generic.take()]);
    }),
    { numRuns: 500 },
  );
});

test('a records frame closes before any other frame starts and when its bytes are taken', () => {
  const encoder = new FrameEncoder(16);
  encoder.runRecord(['DEL', 'a']);
  encoder.runSet('k', 'v');
  encoder.clock(1);
  encoder.runRecord(['DEL', 'b']);
  encoder.batch([['DEL', 'c']]);
  encoder.runSet('k2', 'v2');
  const bytes = encoder.view();
  const frames = framesIn(bytes);
  for (const frame of frames) assert.is(frame.checksum, crc32(bytes.subarray(frame.start, frame.end)));
  assert.equal(frames.map((frame) => frame.kind), [FRAME_RECORDS, FRAME_CLOCK, FRAME_RECORDS, FRAME_BATCH, FRAME_RECORDS]);
  encoder.clear();
  encoder.runSet('k3', 'v3');
  assert.is(encoder.view().readUInt32LE(0), encoder.length - FRAME_HEADER_BYTES, 'clear() forgot the frame it had open');
});

test('a float64 is written as IEEE 754 little-endian (docs/FORMAT.md) and read back the same number', () => {
  fc.assert(
    // No NaN: no score or expiry is ever NaN, and NaN's bits are not one pattern.
    fc.property(fc.double({ noNaN: true }), (value) => {
      const encoder = new FrameEncoder(16);
      encoder.writeFloat64(value);
      const expected = Buffer.alloc(8);
      expected.writeDoubleLE(value);
      const bytes = encoder.take();
      assert.equal([...bytes], [...expected]);
      const decoder = new PayloadDecoder();
      decoder.reset(bytes, 0, 8);
      assert.ok(Object.is(decoder.float64(), value));
    }),
    { numRuns: 500 },
  );
});

test('a run of sorted-set pairs writes writeArg(member) + writeFloat64(score) per pair, exactly', () => {
  // Members of every length class and kind (short ASCII, native copy, non-ASCII, lone surrogates);
  // scores of any double, infinities and -0 included; runs that start and end anywhere.
  const ascii = fc.string({ unit: fc.constantFrom('a', 'z', '0', ':'), maxLength: 200 });
  const member = fc.oneof(ascii, argArbitrary.filter((arg): arg is string => typeof arg === 'string'));
  const pairs = fc.array(fc.tuple(member, fc.double({ noNaN: true })), { maxLength: 40 });
  fc.assert(
    fc.property(pairs, fc.nat(), fc.nat(), (list, a, b) => {
      const members = list.map(([m]) => m);
      const scores = list.map(([, score]) => score);
      const start = list.length === 0 ? 0 : a % (list.length + 1);
      const end = start + (list.length === 0 ? 0 : b % (list.length - start + 1));
      const run = new FrameEncoder(16);
      const pairwise = new FrameEncoder(16);
      run.writeByte(7);
      pairwise.writeByte(7);
      run.writeScoredRun(scores, members, start, end);
      for (let i = start; i < end; i++) {
        pairwise.writeArg(members[i]);
        pairwise.writeFloat64(scores[i]);
      }
      assert.equal([...run.take()], [...pairwise.take()]);
    }),
    { numRuns: 500 },
  );
});

test('malformed payloads throw MalformedPayloadError, never anything else', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 40 }), (bytes) => {
      const decoder = new PayloadDecoder();
      decoder.reset(Buffer.from(bytes), 0, bytes.length);
      try {
        while (!decoder.done) decoder.record();
      } catch (error) {
        assert.instance(error, MalformedPayloadError);
      }
    }),
    { numRuns: 2000 },
  );
});

test('manifest: encode/parse round trip; any change to a byte is caught', () => {
  const manifest = { base: 'base.3.rdb', incrs: ['appendonly.3.aof', 'appendonly.4.aof'] };
  const text = encodeManifest(manifest);
  assert.equal(parseManifest(text), { ok: true, manifest });
  for (let i = 0; i < text.length - 1; i++) {
    const changed = text.slice(0, i) + String.fromCharCode(text.charCodeAt(i) ^ 1) + text.slice(i + 1);
    assert.is(parseManifest(changed).ok, false, `byte ${i}`);
  }
  assert.is(parseManifest(text.slice(0, -12)).ok, false, 'a cut manifest');
  assert.is(parseManifest('').ok, false);
});

test.run();
