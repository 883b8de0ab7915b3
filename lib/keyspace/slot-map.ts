// SlotMap: a string-keyed map whose elements live in numbered slots. Hash fields and sorted-set
// members are kept in one, because three Redis commands need more than a JS Map gives:
//   - HSCAN/ZSCAN: a cursor is a slot number. An element keeps its slot for as long as it exists
//     (deletes leave a hole that a later insert may fill), so a scan that walks slots upward returns
//     every element present for the whole scan, whatever was inserted or deleted between calls.
//   - HRANDFIELD/ZRANDMEMBER: a random live slot is O(1) expected, not O(n) iteration.
// Invariant: index.get(k) === s  <=>  keys[s] === k, for every live element; holes hold undefined
// and their numbers are on `free`. Holes are reused before the arrays grow; when the map empties,
// everything is released.

export class SlotMap<V> {
  private index = new Map<string, number>();
  private keys: Array<string | undefined> = [];
  private values: Array<V | undefined> = [];
  private free: number[] = [];

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
      this.values[slot] = value;
      return false;
    }
    const free = this.free.pop();
    if (free === undefined) {
      this.index.set(key, this.keys.length);
      this.keys.push(key);
      this.values.push(value);
    } else {
      this.index.set(key, free);
      this.keys[free] = key;
      this.values[free] = value;
    }
    return true;
  }

  delete(key: string): boolean {
    const slot = this.index.get(key);
    if (slot === undefined) return false;
    this.index.delete(key);
    if (this.index.size === 0) {
      this.clear();
      return true;
    }
    this.keys[slot] = undefined;
    this.values[slot] = undefined;
    this.free.push(slot);
    return true;
  }

  clear(): void {
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
