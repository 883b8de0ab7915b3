// Snapshots from a frozen copy-on-write view of the keyspace, without fork (docs/FORMAT.md §8,
// docs/SNAPSHOTS.md for the design and measurements).
//
// Starting is O(1): take `cut` = the next epoch (every change from now on stamps entries with it),
// keep an iterator over the keyspace's slots, and observe every mutation. Then, a slice at a time:
//   - The walker takes the next entry; if its version is below the cut it has not changed since the
//     start, so it is written as it is now, and stamped with the cut so nothing writes it again.
//   - A change to an entry still below the cut (a write, delete, rename, TTL change, expiry,
//     eviction) first pushes the entry's state: its type, value and expiry by reference. Strings are
//     immutable, so the reference is the old value. A hash or sorted set is changed in place, so its
//     SlotMap opens a view: each element's first change records the old value (slot-map.ts), and
//     the snapshot writes the live elements it has not seen changed plus the recorded old ones.
//   - Keys created after the start carry the cut as their version and are skipped. FLUSHALL swaps in
//     new slot arrays; the walker's iterator keeps the old one, whose entries nobody changes any more.
//   - A big hash or sorted set is written in chunks across slices, with its view open while the
//     walk goes on, so a write into it costs O(1) however far the walk has got.
// Extra memory is one small record per key changed during the snapshot plus one undo entry per
// element changed: reported as the copy-on-write size.

import type { FileSystem } from '../fs/fs.ts';
import { StorageIOError } from '../errors.ts';
import type { Entry, EntryValue, HashValue, Keyspace, MutationObserver } from '../keyspace/keyspace.ts';
import { TYPE_HASH, TYPE_STRING, TYPE_ZSET } from '../keyspace/keyspace.ts';
import { valueBytes } from '../keyspace/memory.ts';
import { PackedValue, packedBytes } from '../keyspace/packed.ts';
import { ABSENT, type SlotMap, type UndoTally } from '../keyspace/slot-map.ts';
import type { ZSet } from '../keyspace/zset.ts';
import type { Value } from '../types.ts';
import {
  FRAME_SNAPSHOT_END,
  FRAME_SNAPSHOT_KEY,
  FRAME_SNAPSHOT_META,
  FRAME_SNAPSHOT_MORE,
  SNAPSHOT_TYPE_HASH,
  SNAPSHOT_TYPE_STRING,
  SNAPSHOT_TYPE_ZSET,
  encodeFileHeader,
} from './format.ts';
import { FrameEncoder } from './record-codec.ts';

/** Hashes and sorted sets up to this size go in one frame; bigger ones are walked in chunks. */
export const SNAPSHOT_SMALL_VALUE_ELEMENTS = 512;
/** Elements per MORE frame of a big value. */
export const SNAPSHOT_CHUNK_ELEMENTS = 1024;
/** A slice of background work while the app keeps the loop busy takes at least this long... */
export const BUSY_SLICE_MS = 1;
/** ...and at most this long, however large the job's share: the longest a request waits on it. */
export const BUSY_SLICE_MS_MAX = 4;
/**
 * A bgsave takes 60% of a saturated loop: the bar is a snapshot done within twice Redis's
 * time while serving traffic. Measured on the 1M-key mix (bench/RESULTS.md): under a client that
 * saturates the loop, 16-18 s at 20%, 2.9-3.6 s at 60% (2.5 s alone), the client's p99 gap still
 * 0.02-0.03 ms. The app gets less of the loop for a fifth of the time; the snapshot's data is
 * fresher and its copy-on-write memory is held for less long.
 */
export const SNAPSHOT_BUSY_SHARE = 0.6;
/**
 * An AOF rewrite takes 20%: the bar there is the app's write rate (80% of idle). Measured
 * on the 1M-key rewrite bench: at 20% writes kept 62-76% of their idle rate, at 10% 74-75%:
 * neither reaches 80%, so most of the loss is not the job's CPU share, and 10% doubled the job's
 * duration (a rewrite 10 s -> 20-22 s, and the records it leaves to replay: restart 5.5-6.8 s ->
 * 8.5-9.6 s).
 */
export const REWRITE_BUSY_SHARE = 0.2;
/** Event-loop utilization (outside our slices) above which the app counts as busy. */
export const SNAPSHOT_BUSY_UTILIZATION = 0.5;
/** Slice length while the app leaves the loop idle (no request waits on it then). */
export const SNAPSHOT_IDLE_SLICE_MS = 8;
/** Bytes to gather before handing them to an async write. */
export const SNAPSHOT_WRITE_BYTES = 256 * 1024;
/** Memory held per key pushed by a write, and per element recorded in a view's undo log. */
const PENDING_KEY_BYTES = 64;
const UNDO_ELEMENT_BYTES = 64;

export interface SnapshotMeta {
  createdMs: number;
  version: string;
}

export interface SnapshotTuning {
  /** Hashes and sorted sets up to this size go in one frame. */
  smallValueElements?: number;
  /** Elements per MORE frame of a big value. */
  chunkElements?: number;
}

/** A key's state as the snapshot must write it, pushed by a change before the walker got there. */
interface PendingKey {
  key: string;
  type: number;
  value: EntryValue;
  expiresAt: number;
}

/** A hash or sorted set being written in chunks. */
interface ValueWalk {
  key: string;
  type: number;
  map: SlotMap<Value> | SlotMap<number>;
  slot: number;
}

function mapOf(type: number, value: EntryValue): SlotMap<Value> | SlotMap<number> {
  return type === TYPE_HASH ? (value as HashValue) : (value as ZSet).dict;
}

/**
 * What a pushed key holds that would otherwise be garbage: a string value or a packed value (a
 * hash or sorted set changed in place is counted by its view's undo log instead).
 */
function pendingBytes(type: number, value: EntryValue): number {
  if (type === TYPE_STRING) return PENDING_KEY_BYTES + valueBytes(value as Value);
  return PENDING_KEY_BYTES + (value instanceof PackedValue ? packedBytes(value) : 0);
}

function snapshotType(type: number): number {
  return type === TYPE_STRING ? SNAPSHOT_TYPE_STRING : type === TYPE_HASH ? SNAPSHOT_TYPE_HASH : SNAPSHOT_TYPE_ZSET;
}

export class SnapshotWriter implements MutationObserver {
  /** Entries with a version below this are as they were at the start and not yet written. */
  readonly cut: number;
  private readonly iterator: IterableIterator<Entry>;
  private pending: PendingKey[] = [];
  private walk: ValueWalk | null = null;
  /** Maps whose views this snapshot opened and has not closed yet. */
  private readonly views = new Set<SlotMap<Value> | SlotMap<number>>();
  /** Elements in the open views' undo logs (each view counts into it). */
  private readonly undoTally: UndoTally = { elements: 0 };
  readonly encoder = new FrameEncoder();
  /** Keys written so far. */
  keys = 0;
  readonly keysAtStart: number;
  private pendingBytes = 0;
  /** Most extra memory the view held at once. */
  peakCowBytes = 0;
  finished = false;
  private readonly smallValueElements: number;
  private readonly chunkElements: number;

  /** Starts a snapshot of ks now, in O(1). Requires: no other snapshot is running. */
  constructor(
    private readonly ks: Keyspace,
    meta: SnapshotMeta,
    tuning: SnapshotTuning = {},
  ) {
    this.smallValueElements = tuning.smallValueElements ?? SNAPSHOT_SMALL_VALUE_ELEMENTS;
    this.chunkElements = tuning.chunkElements ?? SNAPSHOT_CHUNK_ELEMENTS;
    if (ks.observer !== null) throw new Error('a snapshot is already running on this keyspace');
    this.cut = ks.epoch + 1;
    ks.epoch = this.cut;
    this.iterator = ks.allEntries();
    this.keysAtStart = ks.size;
    ks.observer = this;
    const start = this.encoder.open(FRAME_SNAPSHOT_META);
    this.encoder.writeFloat64(meta.createdMs);
    this.encoder.writeArg(meta.version);
    this.encoder.writeVarint(this.keysAtStart);
    this.encoder.close(start);
  }

  // ---------------------------------------------------------------------------------------------
  // The copy-on-write view

  beforeMutate(entry: Entry): void {
    if (entry.version >= this.cut) return;
    // Changed before the walker got here: keep its state as of the start.
    this.pending.push({ key: entry.key, type: entry.type, value: entry.value, expiresAt: entry.expiresAt });
    this.pendingBytes += pendingBytes(entry.type, entry.value);
    // A packed value is never changed in place (packed.ts): the reference is enough.
    if (entry.type !== TYPE_STRING && !(entry.value instanceof PackedValue)) this.openView(mapOf(entry.type, entry.value), 0);
    this.noteMemory();
  }

  beforeFlush(): void {
    // The walker's iterator holds the old slot array; nothing changes its entries any more.
  }

  private openView(map: SlotMap<Value> | SlotMap<number>, from: number): void {
    if (this.views.has(map)) return;
    map.beginView(this.undoTally, from);
    this.views.add(map);
  }

  /**
   * Extra memory the view holds now: pushed keys plus undo entries of open views. O(1): it is
   * read on every copy-on-write push, and a sum over the views made that quadratic (thousands of
   * sorted sets changed during one snapshot multiplied its work by 20).
   */
  get cowBytes(): number {
    return this.pendingBytes + this.undoTally.elements * UNDO_ELEMENT_BYTES;
  }

  private noteMemory(): void {
    const now = this.cowBytes;
    if (now > this.peakCowBytes) this.peakCowBytes = now;
  }

  // ---------------------------------------------------------------------------------------------
  // Walking

  /**
   * Writes frames until `deadline` (a performance.now() time) or the end. Returns true when the
   * snapshot is complete (the END frame written, the view closed).
   */
  step(deadline: number, itemsMax = Number.POSITIVE_INFINITY): boolean {
    if (this.finished) return true;
    // Undo logs grow between slices without a push; sample them before this slice shrinks them.
    this.noteMemory();
    for (let n = 1; ; n++) {
      if (n > itemsMax || ((n & 31) === 0 && performance.now() >= deadline)) return false;
      if (this.walk !== null) {
        this.continueWalk();
        continue;
      }
      const pushed = this.pending.pop();
      if (pushed !== undefined) {
        this.writeKey(pushed.key, pushed.type, pushed.value, pushed.expiresAt, true);
        this.pendingBytes -= pendingBytes(pushed.type, pushed.value);
        continue;
      }
      const next = this.iterator.next();
      if (next.done === true) break;
      const entry = next.value;
      if (entry.version >= this.cut) continue;
      entry.version = this.cut;
      this.writeKey(entry.key, entry.type, entry.value, entry.expiresAt, false);
    }
    const start = this.encoder.open(FRAME_SNAPSHOT_END);
    this.encoder.writeVarint(this.keys);
    this.encoder.close(start);
    this.detach();
    this.finished = true;
    return true;
  }

  /** Stops observing and closes every view (at the end, or when the snapshot is abandoned). */
  detach(): void {
    if (this.ks.observer === this) this.ks.observer = null;
    for (const map of this.views) map.endView();
    this.views.clear();
    this.walk = null;
    this.pending = [];
    this.pendingBytes = 0;
  }

  private writeKey(key: string, type: number, value: EntryValue, expiresAt: number, viewed: boolean): void {
    const encoder = this.encoder;
    this.keys++;
    const start = encoder.open(FRAME_SNAPSHOT_KEY);
    encoder.writeByte(snapshotType(type));
    encoder.writeArg(key);
    encoder.writeFloat64(expiresAt);
    if (type === TYPE_STRING) {
      encoder.writeArg(value as Value);
      encoder.close(start);
      return;
    }
    if (value instanceof PackedValue) {
      // Loaded and not used since: its bytes are already this frame's elements.
      encoder.writeVarint(value.count);
      encoder.writeLatin1(value.text);
      encoder.close(start);
      return;
    }
    const map = mapOf(type, value);
    if (!viewed && map.size <= this.smallValueElements) {
      // Unchanged since the start and small: all of it, here and now.
      encoder.writeVarint(map.size);
      if (type === TYPE_HASH) (map as SlotMap<Value>).forEach((v, field) => (encoder.writeArg(field), encoder.writeArg(v)));
      // Sorted sets in index order, so loading builds the index without sorting.
      else (value as ZSet).index.forEachRun((scores, members, from, to) => encoder.writeScoredRun(scores, members, from, to));
      encoder.close(start);
      return;
    }
    encoder.writeVarint(0);
    encoder.close(start);
    this.openView(map, 0);
    this.walk = { key, type, map, slot: 0 };
  }

  /** Writes the next chunk of the value being walked; at the end of its slots, its undo log. */
  private continueWalk(): void {
    const walk = this.walk!;
    const map = walk.map as SlotMap<Value | number>;
    const undo = map.undo!;
    const names: string[] = [];
    const values: Array<Value | number> = [];
    const slots = map.slotCount;
    let slot = walk.slot;
    for (; slot < slots && names.length < this.chunkElements; slot++) {
      const name = map.keyAt(slot);
      if (name === undefined || undo.has(name)) continue;
      names.push(name);
      values.push(map.valueAt(slot) as Value | number);
    }
    walk.slot = slot;
    map.viewFrom = slot;
    if (slot >= map.slotCount) {
      // Every slot seen: add what changed during the walk, as it was at the start.
      for (const [name, old] of undo) {
        if (old === ABSENT) continue;
        names.push(name);
        values.push(old);
      }
      map.endView();
      this.views.delete(map as SlotMap<Value>);
      this.walk = null;
    }
    if (names.length > 0) this.writeMore(walk.key, walk.type, names, values);
    this.noteMemory();
  }

  private writeMore(key: string, type: number, names: string[], values: Array<Value | number>): void {
    const encoder = this.encoder;
    const start = encoder.open(FRAME_SNAPSHOT_MORE);
    encoder.writeByte(snapshotType(type));
    encoder.writeArg(key);
    encoder.writeVarint(names.length);
    if (type === TYPE_ZSET) encoder.writeScoredRun(values as number[], names, 0, names.length);
    else for (let i = 0; i < names.length; i++) (encoder.writeArg(names[i]), encoder.writeArg(values[i] as Value));
    encoder.close(start);
  }
}

/**
 * Shares the event loop between a background job and the app. After each slice it sleeps one timer
 * tick: if the loop idled through it, the app has nothing to do and the job goes on at once, with
 * longer slices. If the app kept the loop busy, the job takes the share of the time the app left
 * free in that tick, at least the job's busy share and, above that, at most half (a tick is a short
 * sample): up to half by sleeping longer after a 1 ms slice, beyond half by making the next slice
 * longer than the tick just slept (up to BUSY_SLICE_MS_MAX), so the share holds however long the
 * app's turns make a tick. A half-busy app is not made to wait while the loop idles, and the budget
 * is per slice, not over the whole job: a moment of load never makes the job owe a long sleep.
 */
class Pacer {
  /** The next slice's length: short while the app is busy, longer while it is idle. */
  sliceMs = BUSY_SLICE_MS;

  constructor(private readonly busyShare: number) {}

  async between(sliceTookMs: number): Promise<void> {
    const before = performance.eventLoopUtilization();
    const tickStarted = performance.now();
    await new Promise((resolve) => setTimeout(resolve, 1));
    const utilization = performance.eventLoopUtilization(before).utilization;
    if (utilization < SNAPSHOT_BUSY_UTILIZATION) {
      this.sliceMs = SNAPSHOT_IDLE_SLICE_MS;
      return;
    }
    const tickMs = performance.now() - tickStarted;
    // The app used `utilization` of the tick: the job may take what it leaves, up to half, and
    // never less than its busy share.
    const share = Math.max(this.busyShare, Math.min(0.5, 1 - utilization));
    if (share > 0.5) {
      // More than the tick it slept: the next slice is longer than that tick.
      this.sliceMs = Math.min(BUSY_SLICE_MS_MAX, Math.max(BUSY_SLICE_MS, (tickMs * share) / (1 - share)));
      return;
    }
    this.sliceMs = BUSY_SLICE_MS;
    const restMs = (sliceTookMs * (1 - share)) / share - tickMs;
    if (restMs > 0) await new Promise((resolve) => setTimeout(resolve, restMs));
  }
}

export interface SnapshotResult {
  keys: number;
  bytes: number;
  durationMs: number;
  cowBytes: number;
}

/** Test and bench hooks: called between slices (the writer's next step waits for it). */
export type SliceHook = () => Promise<void> | void;

/**
 * Writes a snapshot of ks to dir/name: temp file, slices of work between event-loop turns, async
 * writes, fdatasync, rename over the old file, fsync the directory. The old snapshot stays valid
 * until the rename. On failure the temp file is removed and the error thrown.
 */
export async function writeSnapshotFile(
  fs: FileSystem,
  dir: string,
  name: string,
  ks: Keyspace,
  meta: SnapshotMeta,
  options: {
    /** The least share of a busy loop the job takes (a bgsave's by default). */
    busyShare?: number;
    betweenSlices?: SliceHook;
    onStart?: (writer: SnapshotWriter) => void;
    /** Test hook: after the temp file is synced, before it is renamed into place. */
    beforeRename?: () => Promise<void> | void;
  } = {},
): Promise<SnapshotResult> {
  const started = performance.now();
  const temporary = `${dir}/temp-${process.pid}-${Date.now()}-${name}.tmp`;
  const target = `${dir}/${name}`;
  const writer = new SnapshotWriter(ks, meta);
  options.onStart?.(writer);
  let fd = -1;
  let position = 0;
  try {
    fd = fs.createSync(temporary);
    const header = encodeFileHeader('snapshot');
    fs.writeSync(fd, header, 0);
    position = header.byteLength;
    const pacer = new Pacer(options.busyShare ?? SNAPSHOT_BUSY_SHARE);
    // One write in flight while the next slice runs: the disk and the walk overlap. Two buffers
    // take turns: the encoder fills one while the other is being written.
    let writing: Promise<void> = Promise.resolve();
    let spare: Buffer | null = null;
    let done = false;
    while (!done) {
      const sliceStarted = performance.now();
      done = writer.step(sliceStarted + pacer.sliceMs);
      const sliceTook = performance.now() - sliceStarted;
      if (writer.encoder.length >= SNAPSHOT_WRITE_BYTES || (done && writer.encoder.length > 0)) {
        await writing;
        const filled = writer.encoder.buffer;
        const bytes = writer.encoder.exchange(spare ?? Buffer.allocUnsafe(filled.byteLength));
        spare = filled;
        const at = position;
        position += bytes.byteLength;
        writing = fs.write(fd, bytes, at);
        // A failure surfaces at the next await; until then nothing else waits on it.
        writing.catch(() => {});
      }
      if (!done) {
        if (options.betweenSlices !== undefined) await options.betweenSlices();
        else await pacer.between(sliceTook);
      }
    }
    await writing;
    await fs.fdatasync(fd);
    fs.closeSync(fd);
    fd = -1;
    await options.beforeRename?.();
    // Async: renaming over the previous snapshot frees its blocks inside the call.
    await fs.rename(temporary, target);
    await fs.fsyncDirectory(dir);
    return { keys: writer.keys, bytes: position, durationMs: performance.now() - started, cowBytes: writer.peakCowBytes };
  } catch (error) {
    writer.detach();
    if (fd !== -1) {
      try {
        fs.closeSync(fd);
      } catch {
        // Closing a file that failed to write: nothing more can be done with it.
      }
    }
    try {
      if (fs.statSync(temporary) !== null) await fs.unlink(temporary);
    } catch {
      // The temp file is deleted at the next open anyway.
    }
    throw error instanceof StorageIOError ? error : new StorageIOError(target, 'write the snapshot', error);
  }
}
