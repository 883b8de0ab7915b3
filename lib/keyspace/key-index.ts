// KeyIndex: the keyspace's entries by slot number, and an open-addressing hash table from a key to
// its slot.
//
// Slots: each entry keeps one slot number for its whole life; a delete leaves a hole that a later
// insert fills (SCAN's cursor and RANDOMKEY rely on this, see keyspace.ts). When the last entry
// goes, the arrays are dropped, so a big delete gives its memory back.
//
// Why not a JS Map: a lookup that misses (every new key: each SET of a new key, each record of a
// log replay, each key of a snapshot load) walks the Map's bucket chain and reads each stored key
// string to compare hashes: ~600 ns of cache misses on a million keys here (bench/RESULTS.md). This
// table keeps each key's hash beside its slot number in one Int32Array, so a miss reads one cache
// line and usually stops at the first empty pair. Holding numbers, not references, the table is
// invisible to the garbage collector: a table of references, written in random order, doubled the
// time of every young-generation collection (measured: 1.4 s against 0.7 s over 3M inserts).
//
// Layout: pairs [hash, slot] at 2i and 2i+1; hash 0 marks an empty pair. Linear probing from
// hash & mask; a delete shifts the following pairs back (no tombstones), so every probe stops at
// the first empty pair.
//
// Invariants: each live item is in slots[item.slot] and in exactly one pair, reachable from its
// home pair (hash & mask) without crossing an empty pair; size <= capacity * LOAD_MAX.

/** Fullest the table gets before it doubles. */
const LOAD_MAX = 0.7;
/** Emptier than this (and above the initial capacity) and the table halves, giving memory back. */
const LOAD_MIN = 0.1;
const CAPACITY_MIN = 16;

/** Per process, so keys chosen to collide in one build do not collide in every store. */
const SEED = (Math.random() * 0x7fffffff) | 0;

/** A 32-bit FNV-1a-style hash of key, never 0. */
export function hashKey(key: string): number {
  let h = SEED ^ 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  // Mix the high bits into the low ones: the home pair is taken from the low bits.
  h ^= h >>> 16;
  h = Math.imul(h, 0x45d9f3b);
  h ^= h >>> 16;
  return h === 0 ? 1 : h;
}

export interface Keyed {
  readonly key: string;
  /** Set by KeyIndex.insert. */
  slot: number;
}

export class KeyIndex<T extends Keyed> {
  private table = new Int32Array(CAPACITY_MIN * 2);
  private mask = CAPACITY_MIN - 1;
  /** Item per slot, null for a hole. */
  private items: Array<T | null> = [];
  private free: number[] = [];
  size = 0;

  get(key: string): T | undefined {
    const h = hashKey(key);
    const table = this.table;
    const mask = this.mask;
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const stored = table[2 * i];
      if (stored === 0) return undefined;
      if (stored === h) {
        const item = this.items[table[2 * i + 1]] as T;
        if (item.key === key) return item;
      }
    }
  }

  /**
   * Adds item and gives it a slot (a hole if there is one); returns false, changing nothing, when
   * an item with its key is already here.
   */
  insert(item: T): boolean {
    if (this.size + 1 > (this.mask + 1) * LOAD_MAX) this.resize((this.mask + 1) * 2);
    const key = item.key;
    const h = hashKey(key);
    const table = this.table;
    const mask = this.mask;
    let i = h & mask;
    for (; ; i = (i + 1) & mask) {
      const stored = table[2 * i];
      if (stored === 0) break;
      if (stored === h && (this.items[table[2 * i + 1]] as T).key === key) return false;
    }
    const slot = this.free.pop();
    if (slot === undefined) {
      item.slot = this.items.length;
      this.items.push(item);
    } else {
      item.slot = slot;
      this.items[slot] = item;
    }
    table[2 * i] = h;
    table[2 * i + 1] = item.slot;
    this.size++;
    return true;
  }

  /** Removes item; its slot becomes a hole. Requires: item is in the index. */
  delete(item: T): void {
    const h = hashKey(item.key);
    const table = this.table;
    const mask = this.mask;
    let hole = h & mask;
    while (table[2 * hole + 1] !== item.slot || table[2 * hole] !== h) hole = (hole + 1) & mask;
    // Shift back every following pair whose home is not between the hole and its position, so each
    // stays reachable from its home without crossing the emptied pair.
    for (let i = (hole + 1) & mask; table[2 * i] !== 0; i = (i + 1) & mask) {
      const home = table[2 * i] & mask;
      const stays = hole <= i ? hole < home && home <= i : hole < home || home <= i;
      if (stays) continue;
      table[2 * hole] = table[2 * i];
      table[2 * hole + 1] = table[2 * i + 1];
      hole = i;
    }
    table[2 * hole] = 0;
    table[2 * hole + 1] = 0;
    this.size--;
    this.items[item.slot] = null;
    if (this.size === 0) {
      // Replaced, not cleared: a walk over the old slots may still be running.
      this.items = [];
      this.free = [];
    } else {
      this.free.push(item.slot);
    }
    if (this.size < (mask + 1) * LOAD_MIN && mask + 1 > CAPACITY_MIN) this.resize((mask + 1) / 2);
  }

  /** Number of slots, live or holes. */
  get slotCount(): number {
    return this.items.length;
  }

  /** The item in a slot, or null for a hole. */
  at(slot: number): T | null {
    return this.items[slot] ?? null;
  }

  /**
   * The slot array as it is now, for a walk that may outlive changes: a delete turns its slot into
   * a hole, an insert may fill one, and emptying the index leaves the walk on the old array.
   */
  get slots(): ReadonlyArray<T | null> {
    return this.items;
  }

  /** Pairs in the table, used or not (8 bytes each). */
  get capacity(): number {
    return this.mask + 1;
  }

  private resize(capacity: number): void {
    const old = this.table;
    const table = new Int32Array(capacity * 2);
    const mask = capacity - 1;
    for (let j = 0; j < old.length; j += 2) {
      const h = old[j];
      if (h === 0) continue;
      let i = h & mask;
      while (table[2 * i] !== 0) i = (i + 1) & mask;
      table[2 * i] = h;
      table[2 * i + 1] = old[j + 1];
    }
    this.table = table;
    this.mask = mask;
  }
}
