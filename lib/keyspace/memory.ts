// Estimates of the heap bytes each piece of the keyspace holds. The eviction policy and INFO read
// the running total, so it is kept incrementally (O(1) per write) rather than measured: each Entry
// carries its own estimate, and every change to a value adjusts both by the same delta.
// The constants approximate V8's layout on 64-bit with pointer compression off; the memory spec
// checks the total against measured heap growth.

import type { Value } from '../types.ts';

/** Entry object, its Map slot in the keyspace and its slot-array cell. */
export const ENTRY_BYTES = 120;
/** A JS string's header; its characters are counted separately. */
export const STRING_HEADER_BYTES = 16;
/** A Uint8Array's objects (view + buffer) beside its bytes. */
export const BYTES_HEADER_BYTES = 96;
/** One hash field: Map cell plus two slot-array cells. */
export const HASH_FIELD_BYTES = 50;
/** An empty hash: its Map and arrays. */
export const HASH_BYTES = 480;
/** One sorted-set member: dict cell plus its place in the ordered index. */
export const ZSET_MEMBER_BYTES = 72;
/** An empty sorted set: dict and index. */
export const ZSET_BYTES = 320;
/** One key in the TTL index. */
export const VOLATILE_BYTES = 32;

export function textBytes(text: string): number {
  return STRING_HEADER_BYTES + text.length;
}

export function valueBytes(value: Value): number {
  return typeof value === 'string' ? STRING_HEADER_BYTES + value.length : BYTES_HEADER_BYTES + value.byteLength;
}
