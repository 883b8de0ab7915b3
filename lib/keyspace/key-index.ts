// KeyIndex: the keyspace's entries by slot number, and an open-addressing hash table from a key to
// its entry.
//
// Slots: each entry keeps one slot number for its whole life; a delete leaves a hole that a later
// insert fills (SCAN's cursor and RANDOMKEY rely on this, see keyspace.ts). When the last entry
// goes, the arrays are dropped, so a big delete gives its memory back.
//
// The table is SlotTable's design (slot-table.ts says why not a JS Map: a miss reads one cache line
// instead of walking a bucket chain) with one change: a pair holds [hash, entry] rather than
// [hash, slot number], so a hit reads the pair, then the entry (and the stored key, unless the
// caller passes that very string): one cache miss fewer than going through the slot array. Measured in the keyspace bench, alternating: typed GET 1.34-1.61 M/s through slots,
// 2.13-2.22 M/s direct; SET overwrite 1.21-1.31 vs 1.55-1.58 M/s. A table of references costs the
// garbage collector only while they point at young objects, and entries are pretenured
// (keyspace.ts), so this table stays out of young-generation collections.
//
// Layout: pairs [hash, entry] at 2i and 2i+1; hash 0 marks an empty pair. Hashes are 30 bits so
// they stay small integers under pointer compression (Electron). Linear probing from hash & mask;
// a delete shifts the following pairs back (emptyPair, shared with SlotTable).
//
// Invariants: each live item is in items[item.slot] and in exactly one pair, reachable from its
// home pair (hash & mask) without crossing an empty pair; size <= capacity * LOAD_MAX.

import { assert } from '../assert.ts';
import { CAPACITY_MIN, LOAD_MAX, LOAD_MIN, emptyPair, hashKey, movePairs } from './slot-table.ts';

export interface Keyed {
  readonly key: string;
  /** Set by KeyIndex.insert. */
  slot: number;
}

/** hashKey cut to 30 bits, never 0: a small integer in every V8 configuration. */
function hash30(key: string): number {
  const h = hashKey(key) & 0x3fffffff;
  return h === 0 ? 1 : h;
}

export class KeyIndex<T extends Keyed> {
  private table: Array<number | T> = new Array<number | T>(CAPACITY_MIN * 2).fill(0);
  private mask = CAPACITY_MIN - 1;
  /** Item per slot, null for a hole. */
  private items: Array<T | null> = [];
  private free: number[] = [];
  size = 0;

  get(key: string): T | undefined {
    const h = hash30(key);
    const table = this.table;
    const mask = this.mask;
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const stored = table[2 * i];
      if (stored === h) {
        const item = table[2 * i + 1] as T;
        if (item.key === key) return item;
      } else if (stored === 0) {
        return undefined;
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
    const h = hash30(key);
    const table = this.table;
    const mask = this.mask;
    let i = h & mask;
    for (; ; i = (i + 1) & mask) {
      const stored = table[2 * i];
      if (stored === 0) break;
      if (stored === h && (table[2 * i + 1] as T).key === key) return false;
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
    table[2 * i + 1] = item;
    this.size++;
    return true;
  }

  /** Removes item; its slot becomes a hole. Requires: item is in the index. */
  delete(item: T): void {
    const table = this.table;
    const mask = this.mask;
    let hole = hash30(item.key) & mask;
    while (table[2 * hole + 1] !== item) {
      // (The message is built only on failure: this runs once per probe step.)
      if (table[2 * hole] === 0) assert(false, `KeyIndex.delete of a key not in the index: ${JSON.stringify(item.key)}`);
      hole = (hole + 1) & mask;
    }
    emptyPair(table, mask, hole);
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

  /**
   * Grows the table now to hold `count` more items: a load that knows its key count skips the
   * doublings (and their rehashing) that inserting one by one would go through.
   */
  reserve(count: number): void {
    let capacity = this.mask + 1;
    while (this.size + count > capacity * LOAD_MAX) capacity *= 2;
    if (capacity > this.mask + 1) this.resize(capacity);
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

  /** Pairs in the hash table, used or not (two array cells each). */
  get capacity(): number {
    return this.mask + 1;
  }

  private resize(capacity: number): void {
    const table = new Array<number | T>(capacity * 2).fill(0);
    movePairs(this.table, table, capacity - 1);
    this.table = table;
    this.mask = capacity - 1;
  }
}
