// Loading hashes and sorted sets packed (keyspace/packed.ts). packElements walks a snapshot frame's
// elements without creating a string per element and accepts them only when building them later
// cannot fail: well-formed tags and lengths, no field or member twice, a sorted set in strict index
// order with no NaN or -0 score, at most PACKED_BYTES_MAX bytes. Anything else (damage, a forgery,
// a hand-written file, big elements) is left to the snapshot reader's building path, which reports
// any problem exactly as before, so a damaged snapshot still refuses to open.

import { TYPE_HASH, TYPE_ZSET } from '../keyspace/keyspace.ts';
import { HASH_BYTES, HASH_FIELD_BYTES, textBytes, valueBytes } from '../keyspace/memory.ts';
import { PackedValue, type Unpacked } from '../keyspace/packed.ts';
import { SlotMap } from '../keyspace/slot-map.ts';
import { zsetBytes, zsetFromPairs, zsetFromSorted } from '../keyspace/zset.ts';
import type { Value } from '../types.ts';
import { ARG_BYTES, ARG_STRING, SNAPSHOT_TYPE_HASH } from './format.ts';
import { PayloadDecoder } from './record-codec.ts';

/** Values with more elements load built (the duplicate check's table is sized for this many). */
export const PACKED_ELEMENTS_MAX = 512;
/**
 * Values whose elements take more bytes load built: packing saves objects, which matter for many
 * small elements, and one latin1 string cannot hold more than ~512M chars (a frame may hold 1 GiB).
 */
export const PACKED_BYTES_MAX = 1024 * 1024;

// The duplicate check: open addressing over FNV-1a hashes of each name's encoded bytes (tag,
// length and content: one string has one encoding). Reused by every call, cleared after each.
const TABLE_SIZE = 2048;
const table = new Int32Array(TABLE_SIZE); // element index + 1; 0 = empty
const tableSlot = new Int32Array(PACKED_ELEMENTS_MAX);
const nameHash = new Int32Array(PACKED_ELEMENTS_MAX);
const nameStart = new Int32Array(PACKED_ELEMENTS_MAX);
const nameEnd = new Int32Array(PACKED_ELEMENTS_MAX);

// A score's little-endian bytes read through a scratch double (readDoubleLE is not inlined here).
const scoreScratch = new Float64Array(1);
const scoreBytes = new Uint8Array(scoreScratch.buffer);
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** The walk's position in the bytes (module state: the walk allocates nothing). */
let at = 0;

/** Reads a varint at `at`; -1 when it is malformed or runs past end. */
function varint(bytes: Buffer, end: number): number {
  let value = 0;
  let scale = 1;
  for (let i = 0; i < 5 && at < end; i++) {
    const byte = bytes[at++];
    value += (byte & 0x7f) * scale;
    if (byte < 0x80) return value;
    scale *= 128;
  }
  return -1;
}

/** Skips one UTF-8 string (or, with allowBytes, bytes) argument at `at`; false when it is not one. */
function skipText(bytes: Buffer, end: number, allowBytes: boolean): boolean {
  if (at >= end) return false;
  const tag = bytes[at++];
  // Strings holding lone surrogates (the UTF-16 tag) load built: rare, and kept out of the
  // byte comparisons below.
  if (tag !== ARG_STRING && !(allowBytes && tag === ARG_BYTES)) return false;
  const length = varint(bytes, end);
  if (length < 0 || at + length > end) return false;
  at += length;
  return true;
}

function bytesHash(bytes: Buffer, start: number, end: number): number {
  let hash = 0x811c9dc5 | 0;
  for (let i = start; i < end; i++) hash = Math.imul(hash ^ bytes[i], 0x01000193);
  return hash;
}

function sameBytes(bytes: Buffer, a: number, aEnd: number, b: number, bEnd: number): boolean {
  if (aEnd - a !== bEnd - b) return false;
  for (; a < aEnd; a++, b++) if (bytes[a] !== bytes[b]) return false;
  return true;
}

/** Byte order of two encoded UTF-8 strings (tag, varint length, content): code point order. */
function compareEncoded(bytes: Buffer, a: number, aEnd: number, b: number, bEnd: number): number {
  at = a + 1;
  varint(bytes, aEnd);
  a = at;
  at = b + 1;
  varint(bytes, bEnd);
  b = at;
  for (; a < aEnd && b < bEnd; a++, b++) if (bytes[a] !== bytes[b]) return bytes[a] - bytes[b];
  return aEnd - a - (bEnd - b);
}

/** Records name i in the duplicate table; false when an equal name is already there. */
function insertName(bytes: Buffer, i: number): boolean {
  const hash = bytesHash(bytes, nameStart[i], nameEnd[i]);
  nameHash[i] = hash;
  let slot = hash & (TABLE_SIZE - 1);
  for (;;) {
    const other = table[slot] - 1;
    if (other < 0) break;
    if (nameHash[other] === hash && sameBytes(bytes, nameStart[i], nameEnd[i], nameStart[other], nameEnd[other])) return false;
    slot = (slot + 1) & (TABLE_SIZE - 1);
  }
  table[slot] = i + 1;
  tableSlot[i] = slot;
  return true;
}

/**
 * The `count` elements of a hash or sorted set (snapshot type `type`, §8) at bytes[start..end),
 * packed, with the offset just after them; null when they must load built (see the top).
 */
export function packElements(bytes: Buffer, start: number, end: number, type: number, count: number): { value: PackedValue; end: number } | null {
  if (count < 1 || count > PACKED_ELEMENTS_MAX) return null;
  const hash = type === SNAPSHOT_TYPE_HASH;
  at = start;
  let inserted = 0;
  let ok = true;
  let previousScore = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < count && ok; i++) {
    nameStart[i] = at;
    if (!skipText(bytes, end, false)) {
      ok = false;
      break;
    }
    nameEnd[i] = at;
    if (hash) {
      ok = skipText(bytes, end, true);
    } else {
      if (at + 8 > end) {
        ok = false;
        break;
      }
      for (let b = 0; b < 8; b++) scoreBytes[LITTLE_ENDIAN ? b : 7 - b] = bytes[at + b];
      const score = scoreScratch[0];
      at += 8;
      // NaN and -0 load built (which reports NaN and turns -0 into 0); so does any order but
      // strictly increasing (score, member), which also rules out a member listed twice in a row.
      if (Number.isNaN(score) || Object.is(score, -0) || score < previousScore) ok = false;
      else if (i > 0 && score === previousScore) {
        const after = at;
        ok = compareEncoded(bytes, nameStart[i - 1], nameEnd[i - 1], nameStart[i], nameEnd[i]) < 0;
        at = after;
      }
      previousScore = score;
    }
    if (ok && !insertName(bytes, i)) ok = false;
    if (ok) inserted = i + 1;
  }
  for (let i = 0; i < inserted; i++) table[tableSlot[i]] = 0;
  if (!ok || at - start > PACKED_BYTES_MAX) return null;
  const inMemoryType = hash ? TYPE_HASH : TYPE_ZSET;
  return { value: new PackedValue(inMemoryType, count, bytes.toString('latin1', start, at), build), end: at };
}

const decoder = new PayloadDecoder();

/** Builds a packed value (the checks in packElements hold, so this cannot fail). */
function build(packed: PackedValue): Unpacked {
  const bytes = Buffer.from(packed.text, 'latin1');
  decoder.reset(bytes, 0, bytes.length);
  if (packed.type === TYPE_HASH) {
    const hash = new SlotMap<Value>();
    let size = HASH_BYTES;
    for (let i = 0; i < packed.count; i++) {
      const field = decoder.string();
      const value = decoder.value();
      hash.set(field, value);
      size += HASH_FIELD_BYTES + textBytes(field) + valueBytes(value);
    }
    return { value: hash, bytes: size + hash.indexBytes };
  }
  const members: string[] = new Array(packed.count);
  const scores: number[] = new Array(packed.count);
  for (let i = 0; i < packed.count; i++) {
    members[i] = decoder.string();
    scores[i] = decoder.float64();
  }
  let zset = zsetFromSorted(scores, members);
  // Distinct bytes that decode to one string (invalid UTF-8 in a forged file): build it safely.
  if (zset.size !== members.length) zset = zsetFromPairs(members, scores);
  return { value: zset, bytes: zsetBytes(zset, members) };
}
