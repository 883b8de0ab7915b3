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
/** One sorted-set member in the dict: its Map cell and slot-array cells (its string is counted apart). */
export const ZSET_MEMBER_BYTES = 50;
/**
 * One slot of the ordered index's pools (ZSetIndex.memorySlots): a score and a member reference, 16
 * bytes, plus V8's slack in arrays grown by push (measured 24-29 bytes a slot for sets of 100).
 */
export const ZSET_INDEX_SLOT_BYTES = 24;
/** An empty sorted set: its objects, the dict's Map and arrays, the index's pools. */
export const ZSET_BYTES = 850;
/** One key in the TTL index. */
export const VOLATILE_BYTES = 32;

export function textBytes(text: string): number {
  return STRING_HEADER_BYTES + text.length;
}

export function valueBytes(value: Value): number {
  return typeof value === 'string' ? STRING_HEADER_BYTES + value.length : BYTES_HEADER_BYTES + value.byteLength;
}
