// Loading hashes and sorted sets packed (keyspace/packed.ts). packElements walks a snapshot frame's
// elements without creating a string per element and accepts them only when building them later
// cannot fail: well-formed tags and lengths, no field or member twice, a sorted set in strict index
// order with no NaN or -0 score, at most PACKED_BYTES_MAX bytes. Anything else (damage, a forgery,
// a hand-written file, big elements) is left to the snapshot reader's building path, which reports
// any problem exactly as before, so a damaged snapshot still refuses to open.

import { TYPE_HASH, TYPE_ZSET } from '../keyspace/keyspace.ts';
import { fieldBytes } from '../keyspace/hash.ts';
import { HASH_BYTES } from '../keyspace/memory.ts';
import { PackedValue, type Unpacked } from '../keyspace/packed.ts';
import { SlotMap } from '../keyspace/slot-map.ts';
import { zsetBytes, zsetFromPairs, zsetFromSorted } from '../keyspace/zset.ts';
import type { Value } from '../types.ts';
import { ARG_BYTES, ARG_STRING, SNAPSHOT_TYPE_HASH } from './format.ts';
import { MalformedPayloadError, PayloadDecoder } from './record-codec.ts';

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

const nameContent = new Int32Array(PACKED_ELEMENTS_MAX);

/** Walks the elements; its reads throw MalformedPayloadError on bytes that run short. */
const walker = new PayloadDecoder();

/**
 * Skips one UTF-8 string (or, with allowBytes, bytes) argument; false when the tag is another.
 * Sets `contentAt` to where its content starts.
 */
let contentAt = 0;
function skipText(allowBytes: boolean): boolean {
  const tag = walker.byte();
  // Strings holding lone surrogates (the UTF-16 tag) load built: rare, and kept out of the
  // byte comparisons below.
  if (tag !== ARG_STRING && !(allowBytes && tag === ARG_BYTES)) return false;
  const length = walker.varint();
  contentAt = walker.offset;
  walker.seek(contentAt + length);
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

/** Byte order of names i and j (UTF-8 content): code point order, as members sort. */
function compareNames(bytes: Buffer, i: number, j: number): number {
  let a = nameContent[i];
  let b = nameContent[j];
  const aEnd = nameEnd[i];
  const bEnd = nameEnd[j];
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
  walker.reset(bytes, start, end);
  let inserted = 0;
  let ok = true;
  try {
    let previousScore = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < count && ok; i++) {
      nameStart[i] = walker.offset;
      ok = skipText(false);
      if (!ok) break;
      nameContent[i] = contentAt;
      nameEnd[i] = walker.offset;
      if (hash) {
        ok = skipText(true);
      } else {
        const score = walker.float64();
        // NaN and -0 load built (which reports NaN and turns -0 into 0); so does any order but
        // strictly increasing (score, member), which also rules out a member listed twice in a row.
        if (Number.isNaN(score) || Object.is(score, -0) || score < previousScore) ok = false;
        else if (i > 0 && score === previousScore) ok = compareNames(bytes, i - 1, i) < 0;
        previousScore = score;
      }
      if (ok && !insertName(bytes, i)) ok = false;
      if (ok) inserted = i + 1;
    }
  } catch (error) {
    if (!(error instanceof MalformedPayloadError)) throw error;
    ok = false;
  }
  for (let i = 0; i < inserted; i++) table[tableSlot[i]] = 0;
  const after = walker.offset;
  if (!ok || after - start > PACKED_BYTES_MAX) return null;
  const inMemoryType = hash ? TYPE_HASH : TYPE_ZSET;
  return { value: new PackedValue(inMemoryType, count, bytes.toString('latin1', start, after), build), end: after };
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
      size += fieldBytes(field, value);
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
