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
// Invariant: index.get(k) === s  <=>  keys[s] === k, for every live element; holes hold undefined
// and their numbers are on `free`. Holes are reused before the arrays grow; when the map empties,
// everything is released.

import { ReplyError } from '../errors.ts';
import { ELEMENTS_MAX, ELEMENTS_MAX_MESSAGE } from '../limits.ts';

/** In a view's undo log: the element did not exist when the view began. */
export const ABSENT: unique symbol = Symbol('absent');

export class SlotMap<V> {
  private index = new Map<string, number>();
  private keys: Array<string | undefined> = [];
  private values: Array<V | undefined> = [];
  private free: number[] = [];
  /** Old values of elements changed since the view began (see top); null when no view is open. */
  undo: Map<string, V | typeof ABSENT> | null = null;
  /** Slots below this were already written by the snapshot: their changes need no undo. */
  viewFrom = 0;

  /** Opens a frozen view (a snapshot is about to walk this map from slot `from`). */
  beginView(from = 0): void {
    this.undo = new Map();
    this.viewFrom = from;
  }

  /** Closes the view, returning its undo log. */
  endView(): Map<string, V | typeof ABSENT> | null {
    const undo = this.undo;
    this.undo = null;
    this.viewFrom = 0;
    return undo;
  }

  /** Records an element's state before its first change in the view, if the view still needs it. */
  private remember(key: string, slot: number, old: V | typeof ABSENT): void {
    const undo = this.undo as Map<string, V | typeof ABSENT>;
    if (slot >= this.viewFrom && !undo.has(key)) undo.set(key, old);
  }

  get size(): number {
    return this.index.size;
  }

  /** Number of slots, live or holes: the end of a scan. */
  get slotCount(): number {
    return this.keys.length;
  }

  get(key: string): V | undefined {
    const slot = this.index.get(key);
    return slot === undefined ? undefined : this.values[slot];
  }

  has(key: string): boolean {
    return this.index.has(key);
  }

  /** Sets key to value; returns true when the key is new. */
  set(key: string, value: V): boolean {
    const slot = this.index.get(key);
    if (slot !== undefined) {
      if (this.undo !== null) this.remember(key, slot, this.values[slot] as V);
      this.values[slot] = value;
      return false;
    }
    if (this.index.size >= ELEMENTS_MAX) throw new ReplyError(ELEMENTS_MAX_MESSAGE);
    const free = this.free.pop();
    if (free === undefined) {
      if (this.undo !== null) this.remember(key, this.keys.length, ABSENT);
      this.index.set(key, this.keys.length);
      this.keys.push(key);
      this.values.push(value);
    } else {
      if (this.undo !== null) this.remember(key, free, ABSENT);
      this.index.set(key, free);
      this.keys[free] = key;
      this.values[free] = value;
    }
    return true;
  }

  delete(key: string): boolean {
    const slot = this.index.get(key);
    if (slot === undefined) return false;
    if (this.undo !== null) this.remember(key, slot, this.values[slot] as V);
    this.index.delete(key);
    if (this.index.size === 0) {
      this.release();
      return true;
    }
    this.keys[slot] = undefined;
    this.values[slot] = undefined;
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
    this.index = new Map();
    this.keys = [];
    this.values = [];
    this.free = [];
  }

  /** The key in a slot, or undefined for a hole. */
  keyAt(slot: number): string | undefined {
    return this.keys[slot];
  }

  /** The value in a slot, or undefined for a hole. */
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
