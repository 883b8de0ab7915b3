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
/** One hash field: two slot-array cells, and a Map cell once the hash has an index (slot-map.ts). */
export const HASH_FIELD_BYTES = 50;
/**
 * A hash's own objects and arrays. No index Map while it is small (slot-map.ts: measured 176 bytes
 * less per 3-field hash); a bigger hash's Map is spread over HASH_FIELD_BYTES.
 */
export const HASH_BYTES = 304;
/** One sorted-set member in the dict: its Map cell and slot-array cells (its string is counted apart). */
export const ZSET_MEMBER_BYTES = 50;
/**
 * One slot of the ordered index's pools (ZSetIndex.memorySlots): a score and a member reference, 16
 * bytes, plus V8's slack in arrays grown by push (measured 24-29 bytes a slot for sets of 100).
 */
export const ZSET_INDEX_SLOT_BYTES = 24;
/** A sorted set's own objects, the dict's arrays (its Map only once big: see HASH_BYTES), the index's pools. */
export const ZSET_BYTES = 674;
/** One key in the TTL index. */
export const VOLATILE_BYTES = 32;

export function textBytes(text: string): number {
  return STRING_HEADER_BYTES + text.length;
}

export function valueBytes(value: Value): number {
  return typeof value === 'string' ? STRING_HEADER_BYTES + value.length : BYTES_HEADER_BYTES + value.byteLength;
}
