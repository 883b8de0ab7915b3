// Frames laid out in encoded bytes (docs/FORMAT.md §3), walked by their length fields alone: for
// tests that look at what an encoder or a store wrote. Checking a frame is the test's business.

import { FRAME_HEADER_BYTES } from '../../lib/persistence/format.ts';

export interface RawFrame {
  /** The frame's first byte (its header). */
  offset: number;
  /** The payload's first byte: its kind. */
  kind: number;
  /** The payload is bytes[start, end), kind byte first. */
  start: number;
  end: number;
  /** The checksum its header holds. */
  checksum: number;
}

/** The frames in bytes from `from` (a frame boundary, such as the end of a file header) on. */
export function framesIn(bytes: Buffer, from = 0): RawFrame[] {
  const frames: RawFrame[] = [];
  for (let at = from; at < bytes.length; ) {
    const start = at + FRAME_HEADER_BYTES;
    const end = start + bytes.readUInt32LE(at);
    frames.push({ offset: at, kind: bytes[start], start, end, checksum: bytes.readUInt32LE(at + 4) });
    at = end;
  }
  return frames;
}
