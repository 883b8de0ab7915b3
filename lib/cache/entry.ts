// One cache entry = one emberkv string value: a fixed 43-character ASCII header, then the codec's
// payload, in the payload's kind (a string payload makes a string value, a bytes payload a
// Uint8Array whose first 43 bytes are the header). Specified in docs/CACHE.md, "Storage layout".
//
//   offset  length  field
//   0       2       magic "ec"
//   2       1       entry version "1"
//   3       1       kind: "v" a value, "n" negative (the loader found nothing; no payload)
//   4       15      expiresAtMs   logical expiry, Unix ms, decimal, zero-padded
//   19      15      staleUntilMs  stale deadline, Unix ms; the key's emberkv TTL is the same instant
//   34      9       loadMs        how long the load took ("delta" in XFetch), decimal, zero-padded
//   43      ...     payload
//
// Why one string and not a hash per key: a hit is one GET and a scan of fixed offsets with no
// allocation, a write is one SET ... PX (one AOF record, atomic without MULTI), and the TTL lives on
// the same key. Measured against HMGET of value/expiry/delta fields, reading the metadata is about
// 2x faster (1.2x once JSON.parse is counted) and writing an entry 6-7x (docs/CACHE.md, "Why
// one string and not a hash").
//
// Fixed-width decimal instead of binary: readable in an AOF dump, the same grammar for string and
// bytes values, and a 15-digit millisecond time reaches the year 33658.
//
// Checked twice, as STYLE.md asks: every field is asserted in range before it is written, and the
// magic, version, kind and every digit read are checked after it is read back.

import { assert } from '../assert.ts';
import type { Value } from '../types.ts';

export const ENTRY_HEADER_LENGTH = 43;
const MAGIC_0 = 0x65; // 'e'
const MAGIC_1 = 0x63; // 'c'
const VERSION = 0x31; // '1'
export const KIND_VALUE = 0x76; // 'v'
export const KIND_NEGATIVE = 0x6e; // 'n'
const OFFSET_KIND = 3;
const OFFSET_EXPIRES = 4;
const OFFSET_STALE = 19;
const OFFSET_LOAD = 34;
const TIME_DIGITS = 15;
const LOAD_DIGITS = 9;
/** The largest time a header can hold: 15 decimal digits of Unix ms. */
export const ENTRY_TIME_MAX_MS = 999_999_999_999_999;
/** Load durations are clamped here (about 11.5 days): 9 digits. */
export const ENTRY_LOAD_MAX_MS = 999_999_999;

export type EntryKind = typeof KIND_VALUE | typeof KIND_NEGATIVE;

const ZEROS = '000000000000000';

function digits(value: number, width: number): string {
  const text = String(value);
  return ZEROS.slice(0, width - text.length) + text;
}

/** The header text; `Requires:` times within [0, ENTRY_TIME_MAX_MS], expiresAt <= staleUntil. */
function header(kind: EntryKind, expiresAtMs: number, staleUntilMs: number, loadMs: number): string {
  assert(Number.isSafeInteger(expiresAtMs) && expiresAtMs >= 0 && expiresAtMs <= ENTRY_TIME_MAX_MS, 'entry expiry in range');
  assert(Number.isSafeInteger(staleUntilMs) && staleUntilMs <= ENTRY_TIME_MAX_MS, 'entry stale deadline in range');
  assert(staleUntilMs >= expiresAtMs, 'stale deadline not before expiry');
  assert(Number.isSafeInteger(loadMs) && loadMs >= 0 && loadMs <= ENTRY_LOAD_MAX_MS, 'load duration in range');
  const text =
    'ec1' + String.fromCharCode(kind) + digits(expiresAtMs, TIME_DIGITS) + digits(staleUntilMs, TIME_DIGITS) + digits(loadMs, LOAD_DIGITS);
  assert(text.length === ENTRY_HEADER_LENGTH, 'header length');
  return text;
}

/** The stored value for an entry: header then payload, in the payload's kind. */
export function encodeEntry(
  kind: EntryKind,
  expiresAtMs: number,
  staleUntilMs: number,
  loadMs: number,
  payload: string | Uint8Array,
): Value {
  const text = header(kind, expiresAtMs, staleUntilMs, loadMs);
  if (typeof payload === 'string') return text + payload;
  const bytes = new Uint8Array(ENTRY_HEADER_LENGTH + payload.byteLength);
  for (let i = 0; i < ENTRY_HEADER_LENGTH; i++) bytes[i] = text.charCodeAt(i);
  bytes.set(payload, ENTRY_HEADER_LENGTH);
  return bytes;
}

// -----------------------------------------------------------------------------------------------
// Reading. Field readers take the stored value as it came from the store and never allocate. A
// reader returns -1 for a header that fails its check; checkEntry() says which check.

function unitAt(stored: Value, index: number): number {
  return typeof stored === 'string' ? stored.charCodeAt(index) : stored[index];
}

function readDigits(stored: Value, from: number, count: number): number {
  let value = 0;
  if (typeof stored === 'string') {
    for (let i = from; i < from + count; i++) {
      const digit = stored.charCodeAt(i) - 0x30;
      if (!(digit >= 0 && digit <= 9)) return -1;
      value = value * 10 + digit;
    }
  } else {
    for (let i = from; i < from + count; i++) {
      const digit = stored[i] - 0x30;
      if (!(digit >= 0 && digit <= 9)) return -1;
      value = value * 10 + digit;
    }
  }
  return value;
}

/** Why `stored` is not an entry this version reads, or null when its fixed fields are sound. */
export function checkEntry(stored: Value): string | null {
  const length = typeof stored === 'string' ? stored.length : stored.byteLength;
  if (length < ENTRY_HEADER_LENGTH) return `too short for an entry header (${length} < ${ENTRY_HEADER_LENGTH})`;
  if (unitAt(stored, 0) !== MAGIC_0 || unitAt(stored, 1) !== MAGIC_1) return 'no "ec" magic: the cache did not write this value';
  if (unitAt(stored, 2) !== VERSION) return `entry version ${String.fromCharCode(unitAt(stored, 2))} is not 1`;
  const kind = unitAt(stored, OFFSET_KIND);
  if (kind !== KIND_VALUE && kind !== KIND_NEGATIVE) return `unknown entry kind ${JSON.stringify(String.fromCharCode(kind))}`;
  if (kind === KIND_NEGATIVE && length !== ENTRY_HEADER_LENGTH) return 'a negative entry with a payload';
  if (readDigits(stored, OFFSET_EXPIRES, TIME_DIGITS) < 0) return 'expiry is not 15 decimal digits';
  if (readDigits(stored, OFFSET_STALE, TIME_DIGITS) < 0) return 'stale deadline is not 15 decimal digits';
  if (readDigits(stored, OFFSET_LOAD, LOAD_DIGITS) < 0) return 'load duration is not 9 decimal digits';
  return null;
}

/** The kind byte; check with checkEntry() before trusting it. */
export function entryKind(stored: Value): number {
  return unitAt(stored, OFFSET_KIND);
}

export function entryExpiresAtMs(stored: Value): number {
  return readDigits(stored, OFFSET_EXPIRES, TIME_DIGITS);
}

export function entryStaleUntilMs(stored: Value): number {
  return readDigits(stored, OFFSET_STALE, TIME_DIGITS);
}

export function entryLoadMs(stored: Value): number {
  return readDigits(stored, OFFSET_LOAD, LOAD_DIGITS);
}

/**
 * The payload: a slice of a string value, a view into a bytes value (the store hands out a private
 * copy of bytes on every read, so the view is the caller's own).
 */
export function entryPayload(stored: Value): string | Uint8Array {
  return typeof stored === 'string' ? stored.slice(ENTRY_HEADER_LENGTH) : stored.subarray(ENTRY_HEADER_LENGTH);
}

/**
 * True when the fields a hit reads are sound: magic, version, a known kind and digits in the
 * expiry. The hot path checks this much on every read; checkEntry() is the full check.
 */
export function isEntry(stored: Value): boolean {
  const length = typeof stored === 'string' ? stored.length : stored.byteLength;
  if (length < ENTRY_HEADER_LENGTH) return false;
  if (unitAt(stored, 0) !== MAGIC_0 || unitAt(stored, 1) !== MAGIC_1 || unitAt(stored, 2) !== VERSION) return false;
  const kind = unitAt(stored, OFFSET_KIND);
  return kind === KIND_VALUE || kind === KIND_NEGATIVE;
}
