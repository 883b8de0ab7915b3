// The keyspace: every key, its value, its TTL, and the one seam through which writes leave it.
//
// Structure
//   entries   KeyIndex (key-index.ts): key -> Entry, the lookup every command starts with, and
//             each Entry by slot number, holes for deleted keys (reused by later inserts). SCAN's
//             cursor is a slot number: a key keeps its slot for its whole life, so walking slots
//             upward returns every key present for the whole scan (Redis's SCAN guarantee) and
//             RANDOMKEY and eviction sampling get O(1) random access. Emptying the keyspace resets
//             it.
//   volatile  dense array of the entries that have a TTL (swap-remove), for the active expiry
//             cycle's cursor and for volatile-* eviction sampling.
//
// The write path (read by the AOF): each mutating command, after it succeeds, calls propagate()
// with a record that reproduces its effect deterministically (absolute expiry times, results of
// float increments). Lazy and active expiry propagate a DEL. Records inside a batch (MULTI) are
// handed to the sink together, so a log can write them as one unit.
//
// Mutation discipline (for snapshots and memory accounting): code that changes an entry's value in
// place gets it from lookupWrite(), which calls beforeMutate(); whole-key changes go through
// add/overwrite/remove/setExpire/persist/flush here. Nothing else touches entries' fields.
//
// While `loading` (replaying a log) nothing expires: the log holds the DELs for keys that expired
// when it was written, and replay must see keys exactly as the writer did.

import type { Arg, Value } from '../types.ts';
import { lfuInitial, lfuTouched } from './evict.ts';
import { ReplyError } from '../errors.ts';
import { KEYS_MAX, KEYS_MAX_MESSAGE } from '../limits.ts';
import { KeyIndex } from './key-index.ts';
import { ENTRY_BYTES, VOLATILE_BYTES, textBytes } from './memory.ts';
import { PackedValue, packedBytes } from './packed.ts';
import type { SlotMap } from './slot-map.ts';
import type { ZSet } from './zset.ts';
import type { ServerHost } from '../server/commands.ts';

export const TYPE_STRING = 0;
export const TYPE_HASH = 1;
export const TYPE_ZSET = 2;
export type ValueType = typeof TYPE_STRING | typeof TYPE_HASH | typeof TYPE_ZSET;

/** Redis's names for the types, as TYPE and SCAN TYPE use them. */
export const TYPE_NAMES = ['string', 'hash', 'zset'] as const;
export type TypeName = (typeof TYPE_NAMES)[number];

export type HashValue = SlotMap<Value>;
/** A hash or sorted set is a PackedValue from a snapshot load until first use (packed.ts). */
export type EntryValue = Value | HashValue | ZSet | PackedValue;

/**
 * One key. Made by Keyspace.add as an object literal, not a class instance, on purpose: V8
 * allocates a literal site's objects straight into the old generation once it sees that they
 * survive (allocation-site pretenuring), and entries do, so young-generation collections stop
 * copying them (measured: 3 x 1M inserts, scavenges 0.8 s -> 0.3 s).
 */
export interface Entry {
  readonly key: string;
  type: ValueType;
  value: EntryValue;
  /** Absolute expiry, ms since the epoch; 0 when the key has no TTL. */
  expiresAt: number;
  /** Its slot number in the keyspace's index (key-index.ts): SCAN's cursor. */
  slot: number;
  /** Index in Keyspace.volatile, -1 when the key has no TTL. */
  volatileSlot: number;
  /** Snapshot epoch of the last change (copy-on-write). */
  version: number;
  /** Access order stamp for LRU eviction (a logical clock: larger is more recent). */
  access: number;
  /** LFU eviction: last-decay minute (high bits) and 8-bit logarithmic counter (see evict.ts). */
  lfu: number;
  /** Estimated heap bytes held by this key, its value and its TTL. */
  bytes: number;
}

/** A write-path record: the command name in upper case, then its arguments. */
export type LogRecord = Arg[];

/** Where records go: the AOF, or a test. */
export interface RecordSink {
  /** One record that stands alone. */
  append(record: LogRecord): void;
  /** Records that replay must apply all together or not at all. */
  appendBatch(records: LogRecord[]): void;
  /** append(['SET', key, value]), without building the record: the most common write's path. */
  appendSet(key: string, value: Value): void;
}

/** Sees every change to the keyspace before it happens (the snapshot's copy-on-write view). */
export interface MutationObserver {
  /** Called before an existing entry's value, TTL or existence changes. */
  beforeMutate(entry: Entry): void;
  /** Called before every entry is dropped at once. */
  beforeFlush(): void;
}

export interface KeyspaceStats {
  hits: number;
  misses: number;
  expiredKeys: number;
  evictedKeys: number;
}

export class Keyspace {
  entries = new KeyIndex<Entry>();
  /** Entries with a TTL, dense; order is arbitrary. */
  volatile: Entry[] = [];

  /** Where records go; null when nobody listens (a pure in-memory store), so none are built. */
  sink: RecordSink | null = null;
  private batch: LogRecord[] | null = null;
  /** True while replaying a log: no expiry, no records. */
  loading = false;

  /** Bumped by every snapshot; entries changed since carry a newer version. */
  epoch = 1;
  observer: MutationObserver | null = null;
  /** Logical clock for access order (LRU). */
  accessTick = 0;
  /** LFU mode: accesses update the frequency counter instead of the access order. */
  lfuMode = false;
  /** The LFU decay clock (minutes, 16 bits), refreshed by the store's timer. */
  lfuClock = 0;
  lfuDecayMinutes = 1;
  lfuLogFactor = 10;
  /** Sum of Entry.bytes. */
  usedMemory = 0;
  /** The store around this keyspace, for INFO, CONFIG and friends (null for a bare keyspace). */
  host: ServerHost | null = null;
  /** Writes since the last successful save (Redis's `dirty`). */
  dirty = 0;

  readonly stats: KeyspaceStats = { hits: 0, misses: 0, expiredKeys: 0, evictedKeys: 0 };

  constructor(readonly clock: () => number = Date.now) {}

  get size(): number {
    return this.entries.size;
  }

  /** Milliseconds since the epoch, from the store's clock. */
  now(): number {
    return this.clock();
  }

  // ---------------------------------------------------------------------------------------------
  // Lookups

  /**
   * The live entry for key, expiring it first if its time has come; no statistics. For commands
   * that look at a key without reading it as such (EXISTS counts, TYPE, TTL).
   */
  find(key: string): Entry | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt !== 0 && !this.loading && entry.expiresAt <= this.clock()) {
      this.expire(entry);
      return undefined;
    }
    return entry;
  }

  /** find() for a read: counts a hit or a miss and stamps the access order. */
  lookupRead(key: string): Entry | undefined {
    const entry = this.find(key);
    if (entry === undefined) {
      this.stats.misses++;
      return undefined;
    }
    this.stats.hits++;
    this.touch(entry);
    return entry;
  }

  /** Records an access for eviction: the LRU order, or the LFU counter. */
  private touch(entry: Entry): void {
    if (this.lfuMode) entry.lfu = lfuTouched(entry.lfu, this.lfuClock, this.lfuDecayMinutes, this.lfuLogFactor);
    else entry.access = ++this.accessTick;
  }

  /**
   * find() for a command that may change the entry in place: the snapshot copies the old value
   * first if it still needs it. Counts as an access for eviction.
   */
  lookupWrite(key: string): Entry | undefined {
    const entry = this.find(key);
    if (entry === undefined) return undefined;
    this.beforeMutate(entry);
    this.touch(entry);
    return entry;
  }

  /**
   * Builds a packed value (packed.ts) in place, on its first use: hash.ts and zset.ts call it when
   * they take the value from an entry (after lookupWrite, so a running snapshot has kept the packed
   * value itself). Not a change of content: no version, no record. Its size estimate becomes the
   * built value's. (Not in lookupRead/lookupWrite, which GET and SET share: with the check there,
   * typed GET ran at 1.64-1.88 M/s, without it 1.68-2.08 M/s, in interleaved runs.)
   */
  unpack(entry: Entry): void {
    const packed = entry.value;
    if (!(packed instanceof PackedValue)) return;
    const { value, bytes } = packed.unpack();
    entry.value = value;
    this.resize(entry, bytes - packedBytes(packed));
  }

  /** Must precede every in-place change of an existing entry. */
  beforeMutate(entry: Entry): void {
    if (this.observer !== null) this.observer.beforeMutate(entry);
    entry.version = this.epoch;
  }

  // ---------------------------------------------------------------------------------------------
  // Whole-key changes

  /**
   * Creates key. Requires: key is absent (find() returned undefined). Throws, changing nothing,
   * when it is not: commands never get there, and the snapshot reader relies on it to refuse a
   * file that holds a key twice.
   */
  add(key: string, type: ValueType, value: EntryValue, valueBytes: number): Entry {
    if (this.entries.size >= KEYS_MAX) throw new ReplyError(KEYS_MAX_MESSAGE);
    const entry: Entry = {
      key,
      type,
      value,
      expiresAt: 0,
      slot: -1,
      volatileSlot: -1,
      version: this.epoch,
      access: 0,
      lfu: 0,
      bytes: 0,
    };
    if (!this.entries.insert(entry)) throw new Error(`key ${JSON.stringify(key)} appears twice`);
    entry.access = ++this.accessTick;
    entry.lfu = lfuInitial(this.lfuClock);
    entry.bytes = ENTRY_BYTES + textBytes(key) + valueBytes;
    this.usedMemory += entry.bytes;
    return entry;
  }

  /**
   * Replaces an existing key's value (and type) in place, keeping its slot; the TTL is cleared
   * unless keepTtl, as Redis's SET does. Requires: entry from lookupWrite() (the snapshot has seen
   * the change coming).
   */
  overwrite(entry: Entry, type: ValueType, value: EntryValue, valueBytes: number, keepTtl: boolean): void {
    if (!keepTtl && entry.expiresAt !== 0) this.clearExpiry(entry);
    entry.type = type;
    entry.value = value;
    const bytes = ENTRY_BYTES + textBytes(entry.key) + valueBytes + (entry.volatileSlot === -1 ? 0 : VOLATILE_BYTES);
    this.usedMemory += bytes - entry.bytes;
    entry.bytes = bytes;
  }

  /** Adds delta to an entry's size estimate after an in-place change. */
  resize(entry: Entry, delta: number): void {
    entry.bytes += delta;
    this.usedMemory += delta;
  }

  /** Deletes an entry. Requires: it is live (from find/lookup). */
  remove(entry: Entry): void {
    this.beforeMutate(entry);
    if (entry.volatileSlot !== -1) this.unlinkVolatile(entry);
    this.entries.delete(entry);
    this.usedMemory -= entry.bytes;
  }

  /** Deletes key if it is live; returns whether it was. */
  delete(key: string): boolean {
    const entry = this.find(key);
    if (entry === undefined) return false;
    this.remove(entry);
    return true;
  }

  /**
   * Drops every key at once (FLUSHALL), in O(1): a new index replaces the old one, whose slots a
   * running walk (allEntries) goes on reading.
   */
  flush(): void {
    if (this.observer !== null) this.observer.beforeFlush();
    this.entries = new KeyIndex();
    this.volatile = [];
    this.usedMemory = 0;
  }

  // ---------------------------------------------------------------------------------------------
  // TTLs

  /** Sets an absolute expiry time (ms). Requires: entry is live. */
  setExpiry(entry: Entry, expiresAt: number): void {
    this.beforeMutate(entry);
    if (entry.volatileSlot === -1) {
      entry.volatileSlot = this.volatile.length;
      this.volatile.push(entry);
      this.resize(entry, VOLATILE_BYTES);
    }
    entry.expiresAt = expiresAt;
  }

  /** Removes the TTL; returns whether there was one. */
  clearExpiry(entry: Entry): boolean {
    if (entry.volatileSlot === -1) return false;
    this.beforeMutate(entry);
    this.unlinkVolatile(entry);
    entry.expiresAt = 0;
    this.resize(entry, -VOLATILE_BYTES);
    return true;
  }

  private unlinkVolatile(entry: Entry): void {
    const last = this.volatile.pop() as Entry;
    if (last !== entry) {
      this.volatile[entry.volatileSlot] = last;
      last.volatileSlot = entry.volatileSlot;
    }
    entry.volatileSlot = -1;
  }

  /** Deletes an entry to free memory (evict.ts) and logs the DEL that replays it. */
  evict(entry: Entry): void {
    this.remove(entry);
    this.stats.evictedKeys++;
    this.propagate(['DEL', entry.key]);
  }

  /** Deletes an entry whose time has come and logs the DEL that replays it. */
  expire(entry: Entry): void {
    this.remove(entry);
    this.stats.expiredKeys++;
    this.propagate(['DEL', entry.key]);
  }

  // ---------------------------------------------------------------------------------------------
  // The write path

  /** Whether anyone wants records now; when not, hot commands skip building them (see changed()). */
  get logging(): boolean {
    return this.sink !== null && !this.loading;
  }

  /** Counts a change whose record nobody wants (logging is false). */
  changed(): void {
    this.dirty++;
  }

  /**
   * Every successful change ends here: counts it toward the save rules and hands its record to the
   * sink (or to the open batch).
   */
  propagate(record: LogRecord): void {
    this.dirty++;
    if (this.sink === null || this.loading) return;
    if (this.batch !== null) this.batch.push(record);
    else this.sink.append(record);
  }

  /** propagate(['SET', key, value]); outside a batch, the sink gets it without the array. */
  propagateSet(key: string, value: Value): void {
    const sink = this.sink;
    if (sink === null || this.batch !== null || this.loading) {
      this.propagate(['SET', key, value]);
      return;
    }
    this.dirty++;
    sink.appendSet(key, value);
  }

  /** Starts collecting records for one all-or-nothing unit. */
  beginBatch(): void {
    this.batch = [];
  }

  /** Ends the unit and hands its records over (nothing when it wrote nothing). */
  endBatch(): void {
    const records = this.batch;
    this.batch = null;
    if (records === null || records.length === 0 || this.sink === null) return;
    if (records.length === 1) this.sink.append(records[0]);
    else this.sink.appendBatch(records);
  }

  // ---------------------------------------------------------------------------------------------
  // Iteration

  /** Number of slots, live or holes: where a scan ends. */
  get slotCount(): number {
    return this.entries.slotCount;
  }

  /**
   * Every entry in slot order, expired or not. The walk may outlive changes (the snapshot's does):
   * it keeps the slot array it started on, so entries created later may or may not be seen, a
   * deleted entry's slot reads as a hole, and after FLUSHALL or the last delete it finishes the
   * old array.
   */
  allEntries(): Generator<Entry, void, undefined> {
    // Taken now, not at the first next(): a FLUSHALL in between must not switch the walk over.
    return entriesOf(this.entries.slots);
  }

  /** The entry in a slot, or null for a hole. Does not expire anything. */
  entryAt(slot: number): Entry | null {
    return this.entries.at(slot);
  }

  /** A uniformly random live entry (it may be past its expiry), or undefined when empty. */
  randomEntry(): Entry | undefined {
    if (this.entries.size === 0) return undefined;
    const slots = this.entries.slots;
    for (let attempt = 0; attempt < 16; attempt++) {
      const entry = slots[Math.floor(Math.random() * slots.length)];
      if (entry !== null) return entry;
    }
    const start = Math.floor(Math.random() * slots.length);
    for (let i = 0; i < slots.length; i++) {
      const entry = slots[(start + i) % slots.length];
      if (entry !== null) return entry;
    }
    return undefined;
  }
}

function* entriesOf(slots: ReadonlyArray<Entry | null>): Generator<Entry, void, undefined> {
  for (let slot = 0; slot < slots.length; slot++) {
    const entry = slots[slot];
    if (entry !== null) yield entry;
  }
}
