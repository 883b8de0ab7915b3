// SlotTable: a hash table from a string's hash to slot numbers, for structures that keep their
// elements in numbered slots (the keyspace's KeyIndex, a hash's or sorted set's SlotMap). The
// owner holds the keys; a lookup walks the pairs whose hash matches and compares the key in the
// slot itself:
//
//   for (let at = table.first(h); at !== -1; at = table.next(at, h)) if (keys[table.slotAt(at)] === key) ...
//
// Why not a JS Map from key to slot: a Map lookup that misses walks a bucket chain and reads each
// stored key string to compare hashes (~600 ns of cache misses on a million keys here,
// bench/RESULTS.md), and every new key misses once. Here a key's hash sits beside its slot number
// in one Int32Array, so a miss reads one cache line and usually stops at the first empty pair. The
// table holds numbers, not references, so the garbage collector never scans it: a table of
// references, written in random order, doubled the time of every young-generation collection
// (measured: 1.4 s against 0.7 s over 3M inserts).
//
// Layout: pairs [hash, slot] at 2i and 2i+1; hash 0 marks an empty pair. Linear probing from
// hash & mask; remove() shifts the following pairs back (no tombstones), so a probe stops at the
// first empty pair. Invariants: each pair is reachable from its home (hash & mask) without
// crossing an empty pair; size <= capacity * LOAD_MAX.

import { assert } from '../assert.ts';

/** Fullest a table gets before it doubles (this one and KeyIndex's). */
export const LOAD_MAX = 0.7;
/** Emptier than this (and above the initial capacity) and a table halves, giving memory back. */
export const LOAD_MIN = 0.1;
export const CAPACITY_MIN = 16;

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

export class SlotTable {
  private table: Int32Array;
  private mask: number;
  size = 0;

  /** A table sized for `expected` pairs without growing. */
  constructor(expected = 0) {
    let capacity = CAPACITY_MIN;
    while (expected > capacity * LOAD_MAX) capacity *= 2;
    this.table = new Int32Array(capacity * 2);
    this.mask = capacity - 1;
  }

  /** Position of the first pair holding hash h, or -1 when none does. */
  first(h: number): number {
    return this.scan(h & this.mask, h);
  }

  /** Position of the next pair after `at` holding hash h, or -1. */
  next(at: number, h: number): number {
    return this.scan((at + 1) & this.mask, h);
  }

  private scan(from: number, h: number): number {
    const table = this.table;
    const mask = this.mask;
    for (let i = from; ; i = (i + 1) & mask) {
      const stored = table[2 * i];
      if (stored === h) return i;
      if (stored === 0) return -1;
    }
  }

  /** The slot number in the pair at `at` (from first/next). */
  slotAt(at: number): number {
    return this.table[2 * at + 1];
  }

  /** Adds the pair [h, slot]. Requires: the owner found no element with this key. */
  insert(h: number, slot: number): void {
    if (this.size + 1 > (this.mask + 1) * LOAD_MAX) this.resize((this.mask + 1) * 2);
    const table = this.table;
    const mask = this.mask;
    let i = h & mask;
    while (table[2 * i] !== 0) i = (i + 1) & mask;
    table[2 * i] = h;
    table[2 * i + 1] = slot;
    this.size++;
  }

  /** Removes the pair [h, slot]. Requires: it is in the table. */
  remove(h: number, slot: number): void {
    const table = this.table;
    const mask = this.mask;
    let hole = h & mask;
    while (table[2 * hole] !== h || table[2 * hole + 1] !== slot) {
      // (The message is built only on failure: this runs once per probe step.)
      if (table[2 * hole] === 0) assert(false, `SlotTable.remove of a pair not in the table (slot ${slot})`);
      hole = (hole + 1) & mask;
    }
    emptyPair(table, mask, hole);
    this.size--;
    if (this.size < (mask + 1) * LOAD_MIN && mask + 1 > CAPACITY_MIN) this.resize((mask + 1) / 2);
  }

  /** Pairs in the table, used or not. */
  get capacity(): number {
    return this.mask + 1;
  }

  /** Bytes of the table's buffer (outside the JS heap). */
  get bytes(): number {
    return this.table.byteLength;
  }

  private resize(capacity: number): void {
    const table = new Int32Array(capacity * 2);
    movePairs(this.table, table, capacity - 1);
    this.table = table;
    this.mask = capacity - 1;
  }
}

// -----------------------------------------------------------------------------------------------
// Pair arrays: shared with KeyIndex, whose pairs hold an entry where these hold a slot number.

/** Pairs [hash, value] at 2i and 2i+1, hash 0 for an empty pair: an Int32Array or a JS array. */
export interface PairArray {
  [index: number]: unknown;
  readonly length: number;
}

/**
 * Empties the pair at `hole`, first shifting back every following pair of its cluster whose home is
 * not between the hole and its position, so each stays reachable from its home without crossing an
 * empty pair (linear probing's delete, no tombstones).
 */
export function emptyPair(table: PairArray, mask: number, hole: number): void {
  for (let i = (hole + 1) & mask; table[2 * i] !== 0; i = (i + 1) & mask) {
    const home = (table[2 * i] as number) & mask;
    const stays = hole <= i ? hole < home && home <= i : hole < home || home <= i;
    if (stays) continue;
    table[2 * hole] = table[2 * i];
    table[2 * hole + 1] = table[2 * i + 1];
    hole = i;
  }
  table[2 * hole] = 0;
  table[2 * hole + 1] = 0;
}

/** Inserts every pair of `from` into the empty `to` of capacity mask + 1 (a resize). */
export function movePairs(from: PairArray, to: PairArray, mask: number): void {
  for (let j = 0; j < from.length; j += 2) {
    const h = from[j] as number;
    if (h === 0) continue;
    let i = h & mask;
    while (to[2 * i] !== 0) i = (i + 1) & mask;
    to[2 * i] = h;
    to[2 * i + 1] = from[j + 1];
  }
}
