// KeyIndex: the keyspace's entries by slot number, found by key through a SlotTable
// (slot-table.ts says why not a JS Map).
//
// Slots: each entry keeps one slot number for its whole life; a delete leaves a hole that a later
// insert fills (SCAN's cursor and RANDOMKEY rely on this, see keyspace.ts). When the last entry
// goes, the arrays are dropped, so a big delete gives its memory back.
//
// Invariants: each live item is in items[item.slot] and in exactly one pair [hashKey(key), slot].

import { SlotTable, hashKey } from './slot-table.ts';

export interface Keyed {
  readonly key: string;
  /** Set by KeyIndex.insert. */
  slot: number;
}

export class KeyIndex<T extends Keyed> {
  private readonly table = new SlotTable();
  /** Item per slot, null for a hole. */
  private items: Array<T | null> = [];
  private free: number[] = [];

  get size(): number {
    return this.table.size;
  }

  get(key: string): T | undefined {
    const h = hashKey(key);
    const table = this.table;
    for (let at = table.first(h); at !== -1; at = table.next(at, h)) {
      const item = this.items[table.slotAt(at)] as T;
      if (item.key === key) return item;
    }
    return undefined;
  }

  /**
   * Adds item and gives it a slot (a hole if there is one); returns false, changing nothing, when
   * an item with its key is already here.
   */
  insert(item: T): boolean {
    const key = item.key;
    const h = hashKey(key);
    const table = this.table;
    for (let at = table.first(h); at !== -1; at = table.next(at, h)) {
      if ((this.items[table.slotAt(at)] as T).key === key) return false;
    }
    const slot = this.free.pop();
    if (slot === undefined) {
      item.slot = this.items.length;
      this.items.push(item);
    } else {
      item.slot = slot;
      this.items[slot] = item;
    }
    table.insert(h, item.slot);
    return true;
  }

  /** Removes item; its slot becomes a hole. Requires: item is in the index. */
  delete(item: T): void {
    this.table.remove(hashKey(item.key), item.slot);
    this.items[item.slot] = null;
    if (this.table.size === 0) {
      // Replaced, not cleared: a walk over the old slots may still be running.
      this.items = [];
      this.free = [];
    } else {
      this.free.push(item.slot);
    }
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

  /** Pairs in the hash table, used or not. */
  get capacity(): number {
    return this.table.capacity;
  }
}
