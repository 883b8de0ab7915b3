// The entry layout (lib/cache/entry.ts, docs/CACHE.md "Storage layout"): random entries read back
// field for field in both kinds, the worked example from the docs byte for byte, and every check
// that rejects a value the cache did not write.

import fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { AssertionError } from '../../lib/assert.ts';
import {
  checkEntry,
  encodeEntry,
  ENTRY_HEADER_LENGTH,
  ENTRY_LOAD_MAX_MS,
  ENTRY_TIME_MAX_MS,
  entryExpiresAtMs,
  entryKind,
  entryLoadMs,
  entryPayload,
  entryStaleUntilMs,
  isEntry,
  KIND_NEGATIVE,
  KIND_VALUE,
} from '../../lib/cache/entry.ts';

if (process.env.SEED !== undefined) fc.configureGlobal({ seed: Number(process.env.SEED) });

const timesArb = fc
  .tuple(fc.integer({ min: 0, max: ENTRY_TIME_MAX_MS }), fc.integer({ min: 0, max: ENTRY_TIME_MAX_MS }))
  .map(([a, b]) => [Math.min(a, b), Math.max(a, b)] as const);
const payloadArb = fc.oneof(fc.string({ unit: 'grapheme', maxLength: 40 }), fc.uint8Array({ maxLength: 40 }));

test('random entries read back field for field, in the payload kind', () => {
  fc.assert(
    fc.property(timesArb, fc.integer({ min: 0, max: ENTRY_LOAD_MAX_MS }), payloadArb, ([expiresAtMs, staleUntilMs], loadMs, payload) => {
      const stored = encodeEntry(KIND_VALUE, expiresAtMs, staleUntilMs, loadMs, payload);
      assert.is(typeof stored, typeof payload);
      assert.is(checkEntry(stored), null);
      assert.ok(isEntry(stored));
      assert.is(entryKind(stored), KIND_VALUE);
      assert.is(entryExpiresAtMs(stored), expiresAtMs);
      assert.is(entryStaleUntilMs(stored), staleUntilMs);
      assert.is(entryLoadMs(stored), loadMs);
      assert.equal(entryPayload(stored), payload);
    }),
  );
});

test('the worked example in docs/CACHE.md, string and bytes', () => {
  const text = encodeEntry(KIND_VALUE, 1_700_000_060_000, 1_700_000_120_000, 250, '{"id":1}');
  assert.is(text, 'ec1v001700000060000001700000120000000000250{"id":1}');
  const bytes = encodeEntry(KIND_VALUE, 1_700_000_060_000, 1_700_000_120_000, 250, new Uint8Array([0x81, 0xa2, 0x69, 0x64, 0x01]));
  assert.instance(bytes, Uint8Array);
  assert.is(Buffer.from((bytes as Uint8Array).subarray(0, ENTRY_HEADER_LENGTH)).toString('latin1'), 'ec1v001700000060000001700000120000000000250');
  const negative = encodeEntry(KIND_NEGATIVE, 1_700_000_005_000, 1_700_000_005_000, 12, '');
  assert.is(negative, 'ec1n001700000005000001700000005000000000012');
  assert.is(checkEntry(negative), null);
});

test('checkEntry names what is wrong with a value the cache did not write', () => {
  const good = 'ec1v001700000060000001700000120000000000250payload';
  const at = (offset: number, char: string): string => good.slice(0, offset) + char + good.slice(offset + 1);
  const cases: Array<[string, RegExp]> = [
    ['short', /too short/],
    [at(0, 'x'), /magic/],
    [at(2, '2'), /version 2/],
    [at(3, 'x'), /kind/],
    [at(10, 'a'), /expiry/],
    [at(25, '-'), /stale deadline/],
    [at(42, ' '), /load duration/],
    [at(3, 'n'), /negative entry with a payload/],
  ];
  assert.is(checkEntry(good), null);
  for (const [stored, expected] of cases) {
    assert.match(checkEntry(stored) ?? 'accepted', expected, stored);
    assert.match(checkEntry(new TextEncoder().encode(stored)) ?? 'accepted', expected, stored);
  }
  assert.is(entryExpiresAtMs(at(10, 'a')), -1);
  assert.is(entryLoadMs(at(42, ' ')), -1);
});

const isAssertion = (error: unknown): boolean => error instanceof AssertionError;

test('fields out of range are refused before they are written', () => {
  assert.throws(() => encodeEntry(KIND_VALUE, -1, 0, 0, ''), isAssertion);
  assert.throws(() => encodeEntry(KIND_VALUE, ENTRY_TIME_MAX_MS + 1, ENTRY_TIME_MAX_MS + 1, 0, ''), isAssertion);
  assert.throws(() => encodeEntry(KIND_VALUE, 10, 9, 0, ''), isAssertion);
  assert.throws(() => encodeEntry(KIND_VALUE, 10, 10, ENTRY_LOAD_MAX_MS + 1, ''), isAssertion);
  assert.throws(() => encodeEntry(KIND_VALUE, 10.5, 11, 0, ''), isAssertion);
});

test.run();
