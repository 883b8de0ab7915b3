// Estimates of the heap bytes each piece of the keyspace holds. The eviction policy and INFO read
// the running total, so it is kept incrementally (O(1) per write) rather than measured: each Entry
// carries its own estimate, and every change to a value adjusts both by the same delta.
// The constants approximate V8's layout on 64-bit with pointer compression off; the memory spec
// checks the total against measured heap growth.

import type { Value } from '../types.ts';

/**
 * Entry object (~104 B), its slot-array cell (8 B) and its share of the index table (key-index.ts:
 * 16 B a pair, 23-46 B a key as the table fills and doubles).
 */
export const ENTRY_BYTES = 156;
/** A JS string's header; its characters are counted separately. */
export const STRING_HEADER_BYTES = 16;
/** A Uint8Array's objects (view + buffer) beside its bytes. */
export const BYTES_HEADER_BYTES = 96;
/** One hash field: its two slot-array cells (the index's share is in SlotMap.indexBytes). */
export const HASH_FIELD_BYTES = 20;
/** A hash's own objects and slot arrays (its index, once it has one: SlotMap.indexBytes). */
export const HASH_BYTES = 384;
/** A SlotMap's index objects (a SlotTable and its Int32Array), beside the table's own bytes. */
export const SLOT_MAP_INDEX_BYTES = 200;
/** One sorted-set member in the dict: its slot-array cells (the index's share apart, as for hashes; its string apart). */
export const ZSET_MEMBER_BYTES = 20;
/**
 * One slot of the ordered index's pools (ZSetIndex.memorySlots): a score and a member reference, 16
 * bytes, plus V8's slack in arrays grown by push (measured 24-29 bytes a slot for sets of 100).
 */
export const ZSET_INDEX_SLOT_BYTES = 24;
/** A sorted set's own objects, the dict's slot arrays, the index's pools (the dict's Map apart, see HASH_BYTES). */
export const ZSET_BYTES = 754;
/** One key in the TTL index. */
export const VOLATILE_BYTES = 32;

export function textBytes(text: string): number {
  return STRING_HEADER_BYTES + text.length;
}

export function valueBytes(value: Value): number {
  return typeof value === 'string' ? STRING_HEADER_BYTES + value.length : BYTES_HEADER_BYTES + value.byteLength;
}
