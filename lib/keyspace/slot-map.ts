// SlotMap: a string-keyed map whose elements live in numbered slots. Hash fields and sorted-set
// members are kept in one, because three Redis commands need more than a JS Map gives:
//   - HSCAN/ZSCAN: a cursor is a slot number. An element keeps its slot for as long as it exists
//     (deletes leave a hole that a later insert may fill), so a scan that walks slots upward returns
//     every element present for the whole scan, whatever was inserted or deleted between calls.
//   - HRANDFIELD/ZRANDMEMBER: a random live slot is O(1) expected, not O(n) iteration.
//   - Snapshots: a frozen view of the map as it was when a snapshot began, kept per element. While a
//     view is open, the first change to an element the snapshot has not written yet (its slot is at
//     or past `viewFrom`, the snapshot's position in its walk) records the element's old value, or
//     ABSENT if it did not exist, in `undo`. The snapshot writes live slots not in `undo`, then the
//     old values in `undo`: the map as it was, for the cost of one entry per element changed.
// Invariant: keys[s] === k for exactly one slot s per live element (and, once the map has an index,
// the index holds the pair [hashKey(k), s]); holes hold undefined keys and the map's `hole` value, and
// their numbers are on `free`.
// Holes are reused before the arrays grow; when the map empties, everything is released.
//
// Small maps (most hashes and sorted sets) have no index: a lookup scans at most SMALL_SLOTS keys,
// as Redis scans a small listpack. That saves an index on each small value; the index (a SlotTable,
// slot-table.ts) is built once the slots outgrow SMALL_SLOTS. (Measured when the index was a JS
// Map: HGET over 10-field hashes 12.5 M/s scanning, 9.4-10.7 M/s through the Map.)

import { ReplyError } from '../errors.ts';
import { ELEMENTS_MAX, ELEMENTS_MAX_MESSAGE } from '../limits.ts';
import { SLOT_MAP_INDEX_BYTES } from './memory.ts';
import { SlotTable, hashKey } from './slot-table.ts';

/** In a view's undo log: the element did not exist when the view began. */
export const ABSENT: unique symbol = Symbol('absent');

/** Elements held in undo logs, summed over the views one snapshot opened: its memory in O(1). */
export interface UndoTally {
  elements: number;
}

/** A view's undo log, counting its growth into the snapshot's tally. */
export class UndoLog<V> extends Map<string, V | typeof ABSENT> {
  constructor(readonly tally: UndoTally) {
    super();
  }
}

/** Slots up to which a lookup scans the keys instead of keeping an index. */
export const SMALL_SLOTS = 16;

export class SlotMap<V> {
  /** key -> slot; null while the map has at most SMALL_SLOTS slots. */
  private index: SlotTable | null = null;
  private count = 0;
  private keys: Array<string | undefined> = [];
  private values: Array<V | undefined> = [];
  private free: number[] = [];
  /** Old values of elements changed since the view began (see top); null when no view is open. */
  undo: UndoLog<V> | null = null;
  /** Slots below this were already written by the snapshot: their changes need no undo. */
  viewFrom = 0;

  /**
   * `hole` is what a deleted element's value slot holds. The default, undefined, lets the value be
   * collected. A sorted set's scores pass 0: one undefined turns V8's unboxed double array into
   * one of pointers to boxed numbers for good, an extra cache miss on every ZSCORE and ZRANK.
   */
  constructor(private readonly hole: V | undefined = undefined) {}

  /**
   * Opens a frozen view (a snapshot is about to walk this map from slot `from`). The undo log's
   * elements count into `tally` until the view closes.
   */
  beginView(tally: UndoTally, from = 0): void {
    this.undo = new UndoLog(tally);
    this.viewFrom = from;
  }

  /** Closes the view, returning its undo log. */
  endView(): UndoLog<V> | null {
    const undo = this.undo;
    if (undo !== null) undo.tally.elements -= undo.size;
    this.undo = null;
    this.viewFrom = 0;
    return undo;
  }

  /** Records an element's state before its first change in the view, if the view still needs it. */
  private remember(key: string, slot: number, old: V | typeof ABSENT): void {
    const undo = this.undo as UndoLog<V>;
    if (slot >= this.viewFrom && !undo.has(key)) {
      undo.set(key, old);
      undo.tally.elements++;
    }
  }

  get size(): number {
    return this.count;
  }

  /**
   * Estimated bytes of the index, 0 while there is none. Callers that keep a size estimate add its
   * change around each set/delete: the index appears when the slots outgrow SMALL_SLOTS, and its
   * table doubles and halves with the element count.
   */
  get indexBytes(): number {
    return this.index === null ? 0 : SLOT_MAP_INDEX_BYTES + this.index.bytes;
  }

  /** hashKey(key) when the map has an index (a small map scans, and takes 0). */
  private hashOf(key: string): number {
    return this.index === null ? 0 : hashKey(key);
  }

  /** The key's slot, or -1. Requires: h === this.hashOf(key). */
  private slotOf(key: string, h: number): number {
    const keys = this.keys;
    const index = this.index;
    if (index !== null) {
      for (let at = index.first(h); at !== -1; at = index.next(at, h)) {
        const slot = index.slotAt(at);
        if (keys[slot] === key) return slot;
      }
      return -1;
    }
    for (let slot = 0; slot < keys.length; slot++) if (keys[slot] === key) return slot;
    return -1;
  }

  /** Number of slots, live or holes: the end of a scan. */
  get slotCount(): number {
    return this.keys.length;
  }

  get(key: string): V | undefined {
    const slot = this.find(key);
    return slot === -1 ? undefined : this.values[slot];
  }

  /** The key's slot, or -1: for callers that keep data beside the slots. */
  find(key: string): number {
    return this.slotOf(key, this.hashOf(key));
  }

  has(key: string): boolean {
    return this.find(key) !== -1;
  }

  /** Sets key to value; returns true when the key is new. */
  set(key: string, value: V): boolean {
    const h = this.hashOf(key);
    const slot = this.slotOf(key, h);
    if (slot !== -1) {
      if (this.undo !== null) this.remember(key, slot, this.values[slot] as V);
      this.values[slot] = value;
      return false;
    }
    if (this.count >= ELEMENTS_MAX) throw new ReplyError(ELEMENTS_MAX_MESSAGE);
    const free = this.free.pop();
    if (free === undefined) {
      if (this.undo !== null) this.remember(key, this.keys.length, ABSENT);
      if (this.index !== null) this.index.insert(h, this.keys.length);
      this.keys.push(key);
      this.values.push(value);
      if (this.index === null && this.keys.length > SMALL_SLOTS) this.buildIndex();
    } else {
      if (this.undo !== null) this.remember(key, free, ABSENT);
      if (this.index !== null) this.index.insert(h, free);
      this.keys[free] = key;
      this.values[free] = value;
    }
    this.count++;
    return true;
  }

  private buildIndex(): void {
    const index = new SlotTable(this.count);
    const keys = this.keys;
    for (let slot = 0; slot < keys.length; slot++) {
      const key = keys[slot];
      if (key !== undefined) index.insert(hashKey(key), slot);
    }
    this.index = index;
  }

  delete(key: string): boolean {
    const h = this.hashOf(key);
    const slot = this.slotOf(key, h);
    if (slot === -1) return false;
    if (this.undo !== null) this.remember(key, slot, this.values[slot] as V);
    if (this.index !== null) this.index.remove(h, slot);
    this.count--;
    if (this.count === 0) {
      this.release();
      return true;
    }
    this.keys[slot] = undefined;
    this.values[slot] = this.hole;
    this.free.push(slot);
    return true;
  }

  /** Deletes everything (an open view first remembers what it still needs). */
  clear(): void {
    if (this.undo !== null) {
      for (let slot = this.viewFrom; slot < this.keys.length; slot++) {
        const key = this.keys[slot];
        if (key !== undefined) this.remember(key, slot, this.values[slot] as V);
      }
    }
    this.release();
  }

  private release(): void {
    this.index = null;
    this.count = 0;
    this.keys = [];
    this.values = [];
    this.free = [];
  }

  /** The key in a slot, or undefined for a hole. */
  keyAt(slot: number): string | undefined {
    return this.keys[slot];
  }

  /** The value in a slot; meaningless for a hole (check keyAt). */
  valueAt(slot: number): V | undefined {
    return this.values[slot];
  }

  /** A uniformly random live slot. Requires: size > 0. */
  randomSlot(): number {
    const slots = this.keys.length;
    // Holes are at most the peak size minus the current size; retry a few times, then walk.
    for (let attempt = 0; attempt < 16; attempt++) {
      const slot = Math.floor(Math.random() * slots);
      if (this.keys[slot] !== undefined) return slot;
    }
    const start = Math.floor(Math.random() * slots);
    for (let i = 0; i < slots; i++) {
      const slot = (start + i) % slots;
      if (this.keys[slot] !== undefined) return slot;
    }
    throw new RangeError('randomSlot() on an empty SlotMap');
  }

  /** Visits live elements in slot order. */
  forEach(visit: (value: V, key: string) => void): void {
    const { keys, values } = this;
    for (let slot = 0; slot < keys.length; slot++) {
      const key = keys[slot];
      if (key !== undefined) visit(values[slot] as V, key);
    }
  }

  *entries(): IterableIterator<[string, V]> {
    for (let slot = 0; slot < this.keys.length; slot++) {
      const key = this.keys[slot];
      if (key !== undefined) yield [key, this.values[slot] as V];
    }
  }
}
