// Reading a framed file (AOF or snapshot body) frame by frame, and telling a torn tail from
// corruption in the middle. Shared by loading (recovery.ts), the inspector and the tests, so all
// three agree on what "damaged at byte N" means.
//
// Classification (docs/FORMAT.md §5): frames are read in order until one fails (its header runs
// past the end, its length is impossible, or its checksum is wrong). If no valid frame starts
// anywhere after that point, the damage is a torn tail: what a crash during an append leaves
// (including a zero-filled tail), and cutting the file back to the last good frame loses nothing
// that was ever complete. If a valid frame does follow, the damage is in the middle of the file:
// cutting there would drop good records, so loading refuses and names the offset.
//
// Streams the file in chunks: memory stays flat however large the file. Async only to yield to the
// event loop during long files; the reads themselves are synchronous (faster for bulk loading).

import type { FileSystem } from '../fs/fs.ts';
import { crc32Range } from './crc32.ts';
import {
  FILE_HEADER_BYTES,
  FRAME_BATCH,
  FRAME_CLOCK,
  FRAME_HEADER_BYTES,
  FRAME_PAYLOAD_BYTES_MAX,
  FRAME_RECORD,
  FRAME_RECORDS,
  FRAME_SNAPSHOT_END,
  FRAME_SNAPSHOT_KEY,
  FRAME_SNAPSHOT_META,
  FRAME_SNAPSHOT_MORE,
  checkFileHeader,
  type FileKind,
} from './format.ts';

export const READ_CHUNK_BYTES = 1024 * 1024;
/** A long scan yields to the event loop this often. */
export const YIELD_INTERVAL_MS = 50;

export interface FrameDamage {
  /** File offset of the first byte of the first bad frame. */
  offset: number;
  /** torn-tail: nothing valid follows, cutting here is safe. corrupt: valid frames follow. */
  kind: 'torn-tail' | 'corrupt';
  /** Which check failed, for people. */
  reason: string;
  /** For corruption: where the next valid frame starts (a reader may go on from there). */
  nextValidOffset: number | null;
}

export interface FrameScan {
  kind: FileKind;
  version: number;
  fileBytes: number;
  /** Offset just past the last good frame: where a repair would cut. */
  validBytes: number;
  frames: number;
  damage: FrameDamage | null;
}

/**
 * Called for each good frame: `bytes[payloadStart..payloadEnd)` is the payload (kind byte first),
 * valid only during the call; `offset` is the frame's file offset; `fileBytes` the file's size, as
 * read when the scan opened it. Return false to stop early.
 */
export type FrameVisitor = (bytes: Buffer, payloadStart: number, payloadEnd: number, offset: number, fileBytes: number) => boolean | void;

/** Why the header is unusable: the file cannot be read at all. */
export class BadHeaderError extends Error {}

/** The frame kinds each file may hold (§3, §8): anything else is damage. */
function isFrameKind(kind: number, file: FileKind): boolean {
  if (file === 'aof') return kind === FRAME_RECORD || kind === FRAME_RECORDS || kind === FRAME_BATCH || kind === FRAME_CLOCK;
  return kind === FRAME_SNAPSHOT_META || kind === FRAME_SNAPSHOT_KEY || kind === FRAME_SNAPSHOT_MORE || kind === FRAME_SNAPSHOT_END;
}

/**
 * Reads every frame of the file at path, calling visit for each good one, and reports where the
 * good frames end and what kind of damage (if any) follows. Throws BadHeaderError when the file
 * header is missing or wrong.
 */
export async function scanFrames(
  fs: FileSystem,
  path: string,
  visit: FrameVisitor | null,
  options: { from?: number } = {},
): Promise<FrameScan> {
  const fd = fs.openReadSync(path);
  try {
    const fileBytes = fs.fstatSync(fd).size;
    const header = Buffer.alloc(FILE_HEADER_BYTES);
    const headerRead = fs.readSync(fd, header, 0);
    const check = checkFileHeader(header.subarray(0, headerRead));
    if (!check.ok) throw new BadHeaderError(check.problem);

    let chunk = Buffer.allocUnsafe(READ_CHUNK_BYTES);
    // Frames start after the header, or at `from` (a frame boundary) when the caller goes on there.
    const first = Math.max(FILE_HEADER_BYTES, options.from ?? FILE_HEADER_BYTES);
    let chunkStart = first; // file offset of chunk[0]
    let chunkBytes = 0; // valid bytes in chunk
    let at = first; // file offset of the next frame
    let frames = 0;

    /** Makes chunk hold file bytes [at, at + bytes) if the file has them. */
    const ensure = (bytes: number): boolean => {
      if (at + bytes > fileBytes) return false;
      if (at >= chunkStart && at + bytes <= chunkStart + chunkBytes) return true;
      if (bytes > chunk.byteLength) chunk = Buffer.allocUnsafe(bytes);
      chunkStart = at;
      chunkBytes = 0;
      const want = Math.min(chunk.byteLength, fileBytes - at);
      while (chunkBytes < want) {
        const read = fs.readSync(fd, chunk.subarray(chunkBytes, want), chunkStart + chunkBytes);
        if (read === 0) break;
        chunkBytes += read;
      }
      return at + bytes <= chunkStart + chunkBytes;
    };

    let lastYield = Date.now();
    while (at < fileBytes) {
      // Long files: let timers run now and then (the directory lock's refresh among them).
      if ((frames & 4095) === 0 && Date.now() - lastYield >= YIELD_INTERVAL_MS) {
        await new Promise((resolve) => setImmediate(resolve));
        lastYield = Date.now();
      }
      let problem: string | null = null;
      // Most frames lie wholly inside the current chunk: check that inline before calling ensure().
      const chunkEnd = chunkStart + chunkBytes;
      if (at + FRAME_HEADER_BYTES > chunkEnd && !ensure(FRAME_HEADER_BYTES)) problem = 'the file ends inside a frame header';
      else {
        const local = at - chunkStart;
        const length = (chunk[local] | (chunk[local + 1] << 8) | (chunk[local + 2] << 16) | (chunk[local + 3] << 24)) >>> 0;
        const checksum = (chunk[local + 4] | (chunk[local + 5] << 8) | (chunk[local + 6] << 16) | (chunk[local + 7] << 24)) >>> 0;
        if (length === 0 || length > FRAME_PAYLOAD_BYTES_MAX) problem = `impossible frame length ${length}`;
        else if (at + FRAME_HEADER_BYTES + length > chunkStart + chunkBytes && !ensure(FRAME_HEADER_BYTES + length)) {
          problem = `the file ends inside a ${length}-byte frame`;
        }
        else {
          const start = at - chunkStart + FRAME_HEADER_BYTES;
          const end = start + length;
          if (crc32Range(chunk, start, end) !== checksum) problem = 'frame checksum mismatch';
          else if (!isFrameKind(chunk[start], check.kind)) problem = `frame kind 0x${chunk[start].toString(16)} does not belong in this file`;
          else {
            frames++;
            const frameOffset = at;
            at += FRAME_HEADER_BYTES + length;
            if (visit !== null && visit(chunk, start, end, frameOffset, fileBytes) === false) {
              return { kind: check.kind, version: check.version, fileBytes, validBytes: at, frames, damage: null };
            }
            continue;
          }
        }
      }
      const corrupt = validFrameAfter(fs, fd, at + 1, fileBytes, check.kind);
      return {
        kind: check.kind,
        version: check.version,
        fileBytes,
        validBytes: at,
        frames,
        damage: {
          offset: at,
          kind: corrupt === null ? 'torn-tail' : 'corrupt',
          reason: corrupt === null ? problem : `${problem}, and a valid frame follows at byte ${corrupt}`,
          nextValidOffset: corrupt,
        },
      };
    }
    return { kind: check.kind, version: check.version, fileBytes, validBytes: at, frames, damage: null };
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * The offset of the first position in [from, fileBytes) where a whole, valid frame starts, or null.
 * Only runs on damage; a torn tail is short, and mid-file damage meets the next real frame soon.
 */
function validFrameAfter(fs: FileSystem, fd: number, from: number, fileBytes: number, file: FileKind): number | null {
  const windowBytes = READ_CHUNK_BYTES;
  const window = Buffer.allocUnsafe(windowBytes + FRAME_HEADER_BYTES);
  for (let base = from; base + FRAME_HEADER_BYTES < fileBytes; base += windowBytes) {
    const read = fs.readSync(fd, window.subarray(0, Math.min(window.byteLength, fileBytes - base)), base);
    for (let i = 0; i + FRAME_HEADER_BYTES < read && i < windowBytes; i++) {
      const length = window.readUInt32LE(i);
      if (length === 0 || length > FRAME_PAYLOAD_BYTES_MAX) continue;
      const offset = base + i;
      if (offset + FRAME_HEADER_BYTES + length > fileBytes) continue;
      if (!isFrameKind(i + FRAME_HEADER_BYTES < read ? window[i + FRAME_HEADER_BYTES] : -1, file)) continue;
      const payload = Buffer.allocUnsafe(length);
      fs.readSync(fd, payload, offset + FRAME_HEADER_BYTES);
      if (crc32Range(payload, 0, length) === window.readUInt32LE(i + 4)) return offset;
    }
  }
  return null;
}
