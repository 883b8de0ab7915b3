// On-disk constants of every emberkv file, kept apart from in-memory ones: these tags and sizes are
// frozen once written, whatever the code's own types become. The prose spec is docs/FORMAT.md;
// each block below names its section. Byte order everywhere: little-endian.

import { crc32 } from 'node:zlib';

// docs/FORMAT.md §2 File header --------------------------------------------------------------------

/** Every emberkv file starts with 8 magic bytes naming its kind. */
export const AOF_MAGIC = 'EMBERAOF';
export const SNAPSHOT_MAGIC = 'EMBERRDB';
export const MAGIC_BYTES = 8;
/** magic (8) + version u16 + flags u16 + CRC-32 of the first 12 bytes (4). */
export const FILE_HEADER_BYTES = 16;
/** 2 added the records frame (FRAME_RECORDS); version 1 files still load. */
export const AOF_VERSION = 2;
export const SNAPSHOT_VERSION = 1;

// docs/FORMAT.md §3 Frames -------------------------------------------------------------------------

/** payload length u32 + CRC-32 of the payload u32. */
export const FRAME_HEADER_BYTES = 8;
/** A frame's payload may not exceed this: a larger length field is damage, not data. */
export const FRAME_PAYLOAD_BYTES_MAX = 1024 * 1024 * 1024;

/** First payload byte: what the frame holds. */
export const FRAME_RECORD = 0x01;
export const FRAME_BATCH = 0x02;
export const FRAME_CLOCK = 0x03;
/** Records written together (an event-loop turn's), back to back under one checksum. Version 2. */
export const FRAME_RECORDS = 0x04;

// docs/FORMAT.md §8 Snapshot frames ---------------------------------------------------------------

/** Metadata: creation time, emberkv version, keys at the start. First frame of a snapshot. */
export const FRAME_SNAPSHOT_META = 0x10;
/** One key: type, name, expiry, value (or the first part of a big value). */
export const FRAME_SNAPSHOT_KEY = 0x11;
/** More fields or members of a big value begun by an earlier KEY frame. */
export const FRAME_SNAPSHOT_MORE = 0x12;
/** Last frame: how many keys the snapshot holds. Without it the file is incomplete. */
export const FRAME_SNAPSHOT_END = 0x1f;

/** Value type codes in KEY frames; frozen, apart from the in-memory TYPE_* numbers. */
export const SNAPSHOT_TYPE_STRING = 0;
export const SNAPSHOT_TYPE_HASH = 1;
export const SNAPSHOT_TYPE_ZSET = 2;

// docs/FORMAT.md §4 Records ------------------------------------------------------------------------

/** Tag byte before each record argument. */
export const ARG_STRING = 0x01;
export const ARG_BYTES = 0x02;
export const ARG_INT32 = 0x03;
export const ARG_FLOAT64 = 0x04;
/** A JS string that is not well-formed UTF-16 (a lone surrogate): its code units, kept exactly. */
export const ARG_UTF16 = 0x05;

// -------------------------------------------------------------------------------------------------

export type FileKind = 'aof' | 'snapshot';

export function encodeFileHeader(kind: FileKind): Buffer {
  const header = Buffer.alloc(FILE_HEADER_BYTES);
  header.write(kind === 'aof' ? AOF_MAGIC : SNAPSHOT_MAGIC, 0, 'latin1');
  header.writeUInt16LE(kind === 'aof' ? AOF_VERSION : SNAPSHOT_VERSION, 8);
  header.writeUInt16LE(0, 10);
  header.writeUInt32LE(crc32(header.subarray(0, 12)), 12);
  return header;
}

export type HeaderCheck =
  | { ok: true; kind: FileKind; version: number }
  | { ok: false; problem: string };

/** Checks a file header: magic, checksum, and a version this code can read. */
export function checkFileHeader(bytes: Uint8Array): HeaderCheck {
  if (bytes.byteLength < FILE_HEADER_BYTES) {
    return { ok: false, problem: `the file is ${bytes.byteLength} bytes, shorter than the ${FILE_HEADER_BYTES}-byte header` };
  }
  const header = Buffer.from(bytes.buffer, bytes.byteOffset, FILE_HEADER_BYTES);
  const magic = header.toString('latin1', 0, MAGIC_BYTES);
  const kind: FileKind | null = magic === AOF_MAGIC ? 'aof' : magic === SNAPSHOT_MAGIC ? 'snapshot' : null;
  if (kind === null) return { ok: false, problem: 'it does not start with an emberkv file header (bad magic)' };
  if (header.readUInt32LE(12) !== crc32(header.subarray(0, 12))) {
    return { ok: false, problem: 'the file header fails its checksum' };
  }
  const version = header.readUInt16LE(8);
  const supported = kind === 'aof' ? AOF_VERSION : SNAPSHOT_VERSION;
  if (version > supported) {
    return { ok: false, problem: `format version ${version} is newer than this emberkv reads (${supported}); upgrade emberkv` };
  }
  return { ok: true, kind, version };
}
