// Byte views of string values. Redis strings are bytes; emberkv values are JS strings or
// Uint8Arrays, so the byte-oriented commands (STRLEN, APPEND, GETRANGE, SETRANGE) work on the
// UTF-8 encoding of a JS string and hand back a string whenever the resulting bytes are valid UTF-8
// and the inputs were strings, bytes otherwise.

import type { Value } from '../types.ts';

const encoder = new TextEncoder();
const strictDecoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const latin1Decoder = new TextDecoder('latin1');

export function byteLength(value: Value): number {
  return typeof value === 'string' ? Buffer.byteLength(value, 'utf8') : value.byteLength;
}

/** The value's bytes; a fresh array for strings, the stored array itself for bytes. */
export function toBytes(value: Value): Uint8Array {
  return typeof value === 'string' ? encoder.encode(value) : value;
}

/** Bytes as a string when they are valid UTF-8, else null. */
export function decodeUtf8(bytes: Uint8Array): string | null {
  try {
    return strictDecoder.decode(bytes);
  } catch {
    return null;
  }
}

/** The text of a value for number parsing: digits and signs are ASCII, so bytes decode 1:1. */
export function valueText(value: Value): string {
  return typeof value === 'string' ? value : latin1Decoder.decode(value);
}

/** A private copy of bytes, so callers cannot change a stored value behind the store's back. */
export function copyValue(value: Value): Value {
  return typeof value === 'string' ? value : value.slice();
}

export function concatBytes(left: Uint8Array, right: Uint8Array): Uint8Array {
  const joined = new Uint8Array(left.byteLength + right.byteLength);
  joined.set(left, 0);
  joined.set(right, left.byteLength);
  return joined;
}
