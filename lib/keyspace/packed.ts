// A hash or sorted set loaded from a snapshot and not used since: kept as the bytes its snapshot
// frame held, and built into its SlotMap / ZSet on first use (Keyspace.unpack, called by hash.ts's
// hashOf and zset.ts's zsetOf, and by COPY). Loading a 1M-key mix this way creates one string per value instead of a string per
// field or member plus the slot arrays and indexes around them, so a restart costs little more than reading
// the keys, and values nobody touches stay compact (docs/SNAPSHOTS.md, "Loading").
//
// A packed value never changes: a write unpacks it first. So a snapshot that meets it writes its
// bytes back unchanged, and one that must keep it as it was keeps the reference.

import type { Value } from '../types.ts';
import { STRING_HEADER_BYTES } from './memory.ts';
import type { SlotMap } from './slot-map.ts';
import type { ZSet } from './zset.ts';

/** The object and its string's header. */
export const PACKED_BYTES = 48 + STRING_HEADER_BYTES;

/** A built value and its size estimate (what memory.ts would count for it). */
export interface Unpacked {
  value: SlotMap<Value> | ZSet;
  bytes: number;
}

export class PackedValue {
  constructor(
    /** TYPE_HASH or TYPE_ZSET. */
    readonly type: number,
    /** Fields or members. */
    readonly count: number,
    /** The elements as a snapshot frame encodes them after the count, one byte per char (latin1). */
    readonly text: string,
    /** Builds the value from `text`; the persistence layer, which owns the encoding, supplies it. */
    private readonly build: (packed: PackedValue) => Unpacked,
  ) {}

  unpack(): Unpacked {
    return this.build(this);
  }
}

export function packedBytes(packed: PackedValue): number {
  return PACKED_BYTES + packed.text.length;
}
