// Reading a snapshot file back into a keyspace (docs/FORMAT.md §8). Keys are built directly, not
// replayed through commands: a snapshot holds values, not operations, and loading is the time an
// app waits at startup.
//
// A snapshot is all or nothing: any damage (a bad frame anywhere, a missing END frame, a count that
// does not match, a value continued without its key) refuses with CorruptFileError naming file and
// offset. There is no torn-tail rule: a snapshot is complete before it is renamed into place, so a
// short one is damage, not a crash.

import { CorruptFileError } from '../errors.ts';
import type { FileSystem } from '../fs/fs.ts';
import { type Entry, type HashValue, type Keyspace, TYPE_HASH, TYPE_STRING, TYPE_ZSET } from '../keyspace/keyspace.ts';
import { fieldBytes } from '../keyspace/hash.ts';
import { HASH_BYTES, ZSET_BYTES, valueBytes } from '../keyspace/memory.ts';
import { packedBytes } from '../keyspace/packed.ts';
import { SlotMap } from '../keyspace/slot-map.ts';
import { type ZSet, zsetBytes, zsetFromPairs, zsetFromSorted } from '../keyspace/zset.ts';
import { compareMembers } from '../keyspace/zset-index.ts';
import type { Value } from '../types.ts';
import { BadHeaderError, scanFrames } from './check.ts';
import {
  FRAME_HEADER_BYTES,
  FRAME_SNAPSHOT_END,
  FRAME_SNAPSHOT_KEY,
  FRAME_SNAPSHOT_META,
  FRAME_SNAPSHOT_MORE,
  SNAPSHOT_TYPE_HASH,
  SNAPSHOT_TYPE_STRING,
  SNAPSHOT_TYPE_ZSET,
} from './format.ts';
import { packElements } from './packed-codec.ts';
import { PayloadDecoder } from './record-codec.ts';

export interface SnapshotInfo {
  createdMs: number;
  version: string;
  keys: number;
  /** Keys skipped because they had expired. */
  expired: number;
}

class SnapshotFormatError extends Error {
  constructor(
    readonly offset: number,
    message: string,
  ) {
    super(message);
  }
}

const IN_MEMORY_TYPE = [TYPE_STRING, TYPE_HASH, TYPE_ZSET] as const;

/** The smallest KEY frame: header, kind, type, an empty key (tag, length), expiry, a zero count. */
const KEY_FRAME_BYTES_MIN = FRAME_HEADER_BYTES + 1 + 1 + 2 + 8 + 1;

/**
 * Loads the snapshot at path into ks (which must not hold its keys). With skipExpired, keys whose
 * time has passed are left out (a snapshot loaded on its own); without, they load with their expiry
 * (a base that a log replays on top of: it may still change them before they expire).
 */
export async function loadSnapshotFile(
  fs: FileSystem,
  path: string,
  ks: Keyspace,
  options: { skipExpired: boolean; remedy: string },
): Promise<SnapshotInfo> {
  const decoder = new PayloadDecoder();
  const now = ks.now();
  let meta: { createdMs: number; version: string } | null = null;
  let ended = false;
  let keys = 0;
  let expired = 0;
  const skipped = new Set<string>();
  // Hashes and sorted sets whose KEY frame carried no elements: MORE frames continue them (only
  // them: a KEY frame with elements holds its value whole). Value: the KEY frame's offset.
  const open = new Map<string, number>();
  // Sorted sets are gathered and built at the end in one sorted pass (faster than inserting).
  const zsets = new Map<string, { entry: Entry; members: string[]; scores: number[] }>();

  let scan;
  try {
    scan = await scanFrames(fs, path, (bytes, start, end, offset, fileBytes) => {
      const kind = bytes[start];
      decoder.reset(bytes, start + 1, end);
      try {
        if (ended) throw new Error('a frame after the END frame');
        if (meta === null && kind !== FRAME_SNAPSHOT_META) throw new Error('the first frame is not the metadata frame');
        if (kind === FRAME_SNAPSHOT_META) {
          if (meta !== null) throw new Error('a second metadata frame');
          meta = { createdMs: decoder.float64(), version: String(decoder.arg()) };
          // The key count sizes the index once. Bounded by what the file can hold, so a damaged
          // count cannot ask for a huge table.
          ks.entries.reserve(Math.min(decoder.varint(), Math.floor(fileBytes / KEY_FRAME_BYTES_MIN)));
        } else if (kind === FRAME_SNAPSHOT_KEY) {
          keys++;
          const type = decoder.byte();
          const key = decoder.string();
          const expiresAt = decoder.float64();
          if (type > SNAPSHOT_TYPE_ZSET) throw new Error(`unknown value type ${type}`);
          if (skipped.size > 0 && skipped.has(key)) throw new Error(`key ${JSON.stringify(key)} appears twice`);
          const gone = options.skipExpired && expiresAt !== 0 && expiresAt <= now;
          // A repeated key is refused by ks.add (one lookup per key, not two).
          if (type === SNAPSHOT_TYPE_STRING) {
            const value = decoder.value();
            if (gone) expired++;
            else {
              const entry = ks.add(key, TYPE_STRING, value, valueBytes(value));
              if (expiresAt !== 0) ks.setExpiry(entry, expiresAt);
            }
          } else {
            // Most hashes and sorted sets load packed, built on first use (keyspace/packed.ts).
            const elementsAt = decoder.offset;
            const elements = gone ? 0 : decoder.varint();
            const packed = elements > 0 ? packElements(bytes, decoder.offset, end, type, elements) : null;
            if (packed !== null) {
              const entry = ks.add(key, IN_MEMORY_TYPE[type], packed.value, packedBytes(packed.value));
              if (expiresAt !== 0) ks.setExpiry(entry, expiresAt);
              decoder.seek(packed.end);
              if (!decoder.done) throw new Error('bytes left over at the end of the frame');
              return;
            }
            decoder.seek(elementsAt);
            if (gone) {
              expired++;
              skipped.add(key);
            } else {
              const value = type === SNAPSHOT_TYPE_HASH ? new SlotMap<Value>() : zsetFromPairs([], []);
              const entry = ks.add(key, IN_MEMORY_TYPE[type], value, type === SNAPSHOT_TYPE_HASH ? HASH_BYTES : ZSET_BYTES);
              if (expiresAt !== 0) ks.setExpiry(entry, expiresAt);
              if (type === SNAPSHOT_TYPE_ZSET) zsets.set(key, { entry, members: [], scores: [] });
            }
            const count = readPairs(decoder, ks, key, type, skipped.size > 0 && skipped.has(key), zsets);
            if (count === 0) open.set(key, offset);
            else if (type === SNAPSHOT_TYPE_ZSET && !skipped.has(key)) {
              // A KEY frame that carries elements holds the whole value: build it now.
              finishZset(ks, key, zsets.get(key)!);
              zsets.delete(key);
            }
          }
        } else if (kind === FRAME_SNAPSHOT_MORE) {
          const type = decoder.byte();
          const key = decoder.string();
          const entry = ks.entries.get(key);
          const ignored = skipped.has(key);
          if (!open.has(key) || (!ignored && (entry === undefined || entry.type !== IN_MEMORY_TYPE[type]))) {
            throw new Error(`more elements for ${JSON.stringify(key)}, which no earlier KEY frame left open`);
          }
          readPairs(decoder, ks, key, type, ignored, zsets);
        } else if (kind === FRAME_SNAPSHOT_END) {
          const count = decoder.varint();
          if (count !== keys) throw new Error(`the END frame counts ${count} keys, the file holds ${keys}`);
          ended = true;
        } else {
          throw new Error(`frame kind 0x${kind.toString(16)} does not belong in a snapshot`);
        }
        if (!decoder.done) throw new Error('bytes left over at the end of the frame');
      } catch (error) {
        throw new SnapshotFormatError(offset, (error as Error).message);
      }
    });
  } catch (error) {
    if (error instanceof BadHeaderError) throw new CorruptFileError(path, 0, error.message, options.remedy);
    if (error instanceof SnapshotFormatError) throw new CorruptFileError(path, error.offset, error.message, options.remedy);
    throw error;
  }
  if (scan.kind !== 'snapshot') throw new CorruptFileError(path, 0, 'this is an append-only file, not a snapshot', options.remedy);
  if (scan.damage !== null) {
    throw new CorruptFileError(path, scan.damage.offset, scan.damage.reason, options.remedy);
  }
  if (!ended) throw new CorruptFileError(path, scan.fileBytes, 'the snapshot ends without its END frame (incomplete)', options.remedy);

  // Values continued in MORE frames are complete now; errors name their KEY frame.
  for (const [key, keyOffset] of open) {
    if (skipped.has(key)) continue;
    const gathered = zsets.get(key);
    if (gathered !== undefined) {
      if (gathered.members.length === 0) throw new CorruptFileError(path, keyOffset, `sorted set ${JSON.stringify(key)} has no members`, options.remedy);
      try {
        finishZset(ks, key, gathered);
      } catch (error) {
        throw new CorruptFileError(path, keyOffset, (error as Error).message, options.remedy);
      }
    } else if ((ks.entries.get(key)!.value as HashValue).size === 0) {
      throw new CorruptFileError(path, keyOffset, `hash ${JSON.stringify(key)} has no fields`, options.remedy);
    }
  }
  const info = meta as { createdMs: number; version: string } | null;
  return { createdMs: info?.createdMs ?? 0, version: info?.version ?? '', keys, expired };
}

/** Puts a gathered sorted set in its entry and counts its members' bytes. */
function finishZset(ks: Keyspace, key: string, gathered: { entry: Entry; members: string[]; scores: number[] }): void {
  let zset: ZSet;
  try {
    zset = buildZset(gathered.members, gathered.scores);
  } catch (error) {
    throw new Error(`sorted set ${JSON.stringify(key)}: ${(error as Error).message}`);
  }
  gathered.entry.value = zset;
  // The entry was added with an empty set's estimate; now the real one.
  ks.resize(gathered.entry, zsetBytes(zset, gathered.members) - ZSET_BYTES);
}

/** Reads a frame's elements into the value; returns how many there were. */
function readPairs(
  decoder: PayloadDecoder,
  ks: Keyspace,
  key: string,
  type: number,
  ignored: boolean,
  zsets: Map<string, { entry: Entry; members: string[]; scores: number[] }>,
): number {
  const count = decoder.varint();
  if (type === SNAPSHOT_TYPE_HASH) {
    const entry = ks.entries.get(key);
    const hash = entry?.value as HashValue | undefined;
    const indexBefore = hash?.indexBytes ?? 0;
    let bytes = 0;
    for (let i = 0; i < count; i++) {
      const field = decoder.string();
      const value = decoder.value();
      if (ignored) continue;
      if (!hash!.set(field, value)) throw new Error(`field ${JSON.stringify(field)} of ${JSON.stringify(key)} appears twice`);
      bytes += fieldBytes(field, value);
    }
    if (!ignored) ks.resize(entry!, bytes + hash!.indexBytes - indexBefore);
  } else {
    const gathered = zsets.get(key);
    for (let i = 0; i < count; i++) {
      const member = decoder.string();
      const score = decoder.float64();
      if (ignored) continue;
      if (Number.isNaN(score)) throw new Error(`member ${JSON.stringify(member)} of ${JSON.stringify(key)} has a NaN score`);
      gathered!.members.push(member);
      gathered!.scores.push(score);
    }
  }
  return count;
}

/**
 * Builds a gathered sorted set: pairs in strict index order (how a snapshot writes small sets)
 * need no sort; others are sorted. Throws on a member listed twice.
 */
function buildZset(members: string[], scores: number[]): ZSet {
  let sorted = true;
  for (let i = 1; i < members.length && sorted; i++) {
    const order = scores[i - 1] < scores[i] ? -1 : scores[i - 1] > scores[i] ? 1 : compareMembers(members[i - 1], members[i]);
    if (order >= 0) sorted = false;
  }
  const hasNegativeZero = scores.some((score) => Object.is(score, -0));
  const zset = sorted && !hasNegativeZero ? zsetFromSorted(scores, members) : zsetFromPairs(members, scores);
  if (zset.size !== members.length) throw new Error('a member is listed twice');
  return zset;
}
