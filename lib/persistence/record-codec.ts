// Encoding of write-path records into frames, and back (docs/FORMAT.md §3-4).
//
// A record is the command name and its arguments: strings, byte arrays and numbers. The encoding
// keeps which each argument was, so a Uint8Array value comes back as bytes and a string as a
// string, and numbers (scores, absolute expiry times) come back exactly.
//
// Hand-written rather than msgpackr: records are tiny arrays of three or four scalars, and writing
// them straight into the AOF buffer avoids msgpackr's per-call buffer slice and copy (measured in
// bench/aof.bench.ts, the encoding rows).

import type { Arg, Value } from '../types.ts';
import {
  ARG_BYTES,
  ARG_FLOAT64,
  ARG_INT32,
  ARG_STRING,
  ARG_UTF16,
  FRAME_BATCH,
  FRAME_CLOCK,
  FRAME_HEADER_BYTES,
  FRAME_RECORD,
  FRAME_RECORDS,
} from './format.ts';
import { crc32Range } from './crc32.ts';

/** The most bytes an argument can take encoded: tag, varint length, body. */
function argBytesMax(arg: Arg): number {
  return typeof arg === 'string' ? 6 + arg.length * 3 : typeof arg === 'number' ? 9 : 6 + arg.byteLength;
}

function writeU32(buffer: Uint8Array, at: number, value: number): void {
  buffer[at] = value;
  buffer[at + 1] = value >>> 8;
  buffer[at + 2] = value >>> 16;
  buffer[at + 3] = value >>> 24;
}

function isWellFormed(text: string): boolean {
  return (text as unknown as { isWellFormed(): boolean }).isWellFormed();
}

/** Appends frames to a growable buffer; `take()` hands the bytes over and starts again. */
export class FrameEncoder {
  buffer: Buffer;
  length = 0;
  /** Start of the open records frame (runRecord, runSet), or -1. */
  private runStart = -1;

  constructor(initialBytes = 64 * 1024) {
    this.buffer = Buffer.allocUnsafe(initialBytes);
  }

  /** Makes room for `bytes` more. */
  reserve(bytes: number): void {
    const needed = this.length + bytes;
    if (needed <= this.buffer.byteLength) return;
    let size = this.buffer.byteLength * 2;
    while (size < needed) size *= 2;
    const grown = Buffer.allocUnsafe(size);
    this.buffer.copy(grown, 0, 0, this.length);
    this.buffer = grown;
  }

  /** Bytes kept as a latin1 string (one char per byte), copied back verbatim. */
  writeLatin1(text: string): void {
    this.reserve(text.length);
    this.length += this.buffer.write(text, this.length, 'latin1');
  }

  writeVarint(value: number): void {
    this.reserve(5);
    const buffer = this.buffer;
    while (value >= 0x80) {
      buffer[this.length++] = (value & 0x7f) | 0x80;
      value = Math.floor(value / 128);
    }
    buffer[this.length++] = value;
  }

  /** One tagged argument (§4): a string, bytes or a number. */
  writeArg(arg: Arg): void {
    this.reserve(argBytesMax(arg));
    this.putArg(arg);
  }

  /** writeArg without the reservation. Requires: argBytesMax(arg) bytes of room. */
  private putArg(arg: Arg): void {
    const buffer = this.buffer;
    if (typeof arg === 'string') {
      const units = arg.length;
      if (units >= NATIVE_COPY_UNITS && units < 128) {
        // Longer ASCII: Buffer's native copy is faster than putShortAscii's loop (measured: 100
        // chars 66 ns vs 254 ns; the loop wins below ~24). Only ASCII writes one byte per unit.
        if (utf8Write(buffer, arg, this.length + 2) === units) {
          buffer[this.length] = ARG_STRING;
          buffer[this.length + 1] = units;
          this.length += 2 + units;
          return;
        }
      } else if (this.putShortAscii(arg)) {
        return;
      }
      if (!isWellFormed(arg)) {
        // UTF-8 cannot carry a lone surrogate; keep the code units so the string comes back equal.
        buffer[this.length++] = ARG_UTF16;
        this.putVarint(units);
        this.length += buffer.write(arg, this.length, 'utf16le');
        return;
      }
      buffer[this.length++] = ARG_STRING;
      this.putVarint(Buffer.byteLength(arg, 'utf8'));
      this.length += buffer.write(arg, this.length, 'utf8');
    } else if (typeof arg === 'number') {
      if ((arg | 0) === arg && !Object.is(arg, -0)) {
        buffer[this.length++] = ARG_INT32;
        buffer.writeInt32LE(arg, this.length);
        this.length += 4;
      } else {
        buffer[this.length++] = ARG_FLOAT64;
        buffer.writeDoubleLE(arg, this.length);
        this.length += 8;
      }
    } else {
      buffer[this.length++] = ARG_BYTES;
      this.putVarint(arg.byteLength);
      buffer.set(arg, this.length);
      this.length += arg.byteLength;
    }
  }

  /**
   * Most keys, values and members: short ASCII, copied straight in (ASCII is always well-formed).
   * Returns false, having written nothing that counts, when arg is not one.
   * Requires: argBytesMax(arg) bytes of room.
   */
  private putShortAscii(arg: string): boolean {
    const units = arg.length;
    if (units >= NATIVE_COPY_UNITS) return false;
    const buffer = this.buffer;
    const base = this.length + 2;
    for (let i = 0; i < units; i++) {
      const code = arg.charCodeAt(i);
      if (code >= 0x80) return false;
      buffer[base + i] = code;
    }
    buffer[this.length] = ARG_STRING;
    buffer[this.length + 1] = units;
    this.length = base + units;
    return true;
  }

  /** A varint without the reservation. Requires: 5 bytes of room. */
  private putVarint(value: number): void {
    const buffer = this.buffer;
    while (value >= 0x80) {
      buffer[this.length++] = (value & 0x7f) | 0x80;
      value = Math.floor(value / 128);
    }
    buffer[this.length++] = value;
  }

  /** A record, with one reservation for all of it. */
  private writeRecord(record: readonly Arg[]): void {
    let bytes = 5;
    for (let i = 0; i < record.length; i++) bytes += argBytesMax(record[i]);
    this.reserve(bytes);
    this.putVarint(record.length);
    for (let i = 0; i < record.length; i++) this.putArg(record[i]);
  }

  writeByte(value: number): void {
    this.reserve(1);
    this.buffer[this.length++] = value;
  }

  writeFloat64(value: number): void {
    this.reserve(8);
    this.putFloat64(value);
  }

  /** A float64, little-endian, without the reservation. Requires: 8 bytes of room. */
  private putFloat64(value: number): void {
    const buffer = this.buffer;
    const at = this.length;
    doubleScratch[0] = value;
    for (let b = 0; b < 8; b++) buffer[at + b] = doubleBytes[LITTLE_ENDIAN ? b : 7 - b];
    this.length = at + 8;
  }

  /**
   * Sorted-set pairs as snapshot frames hold them: per pair, members[i] as an argument then
   * scores[i] as a float64, for i in [start, end). The same bytes as writeArg + writeFloat64 per
   * pair, with one reservation for the run: a 1M-key save writes ~10M such pairs, and the
   * per-pair calls were a quarter of its time.
   */
  writeScoredRun(scores: readonly number[], members: readonly string[], start: number, end: number): void {
    let bytes = 0;
    for (let i = start; i < end; i++) bytes += argBytesMax(members[i]) + 8;
    this.reserve(bytes);
    for (let i = start; i < end; i++) {
      if (!this.putShortAscii(members[i])) this.putArg(members[i]);
      this.putFloat64(scores[i]);
    }
  }

  /**
   * Starts a frame (closing an open records frame first): room for its header, then the kind byte.
   * Returns the frame's start.
   */
  open(kind: number): number {
    this.endRun();
    this.reserve(FRAME_HEADER_BYTES + 1);
    const start = this.length;
    this.length += FRAME_HEADER_BYTES;
    this.buffer[this.length++] = kind;
    return start;
  }

  /** Fills in the header of the frame that starts at `start`. */
  close(start: number): void {
    const buffer = this.buffer;
    const payloadStart = start + FRAME_HEADER_BYTES;
    writeU32(buffer, start, this.length - payloadStart);
    writeU32(buffer, start + 4, crc32Range(buffer, payloadStart, this.length));
  }

  /**
   * One record in a frame of its own (kind 0x01): how version 1 of the AOF wrote every record.
   * The AOF writes records frames now (runRecord); replay still reads this kind, and tests build
   * version-1 files with it.
   */
  record(record: readonly Arg[]): void {
    const start = this.open(FRAME_RECORD);
    this.writeRecord(record);
    this.close(start);
  }

  /**
   * Appends a record to the open records frame, opening one if none is: the append-only file's
   * way. One checksum over a turn's records, computed natively at endRun, costs a SET a few ns;
   * one per record frame cost ~30 (a sixth of the record's encoding; docs/FORMAT.md §3).
   */
  runRecord(record: readonly Arg[]): void {
    if (this.runStart === -1) this.runStart = this.open(FRAME_RECORDS);
    this.writeRecord(record);
  }

  /** runRecord(['SET', key, value]) without the array. */
  runSet(key: string, value: Value): void {
    if (this.runStart === -1) this.runStart = this.open(FRAME_RECORDS);
    this.putSet(key, value);
  }

  /** Closes the open records frame, if any (before the bytes are taken or another frame starts). */
  endRun(): void {
    if (this.runStart === -1) return;
    this.close(this.runStart);
    this.runStart = -1;
  }

  /** The body of ['SET', key, value], without the record array or the per-argument loop. */
  private putSet(key: string, value: Value): void {
    this.reserve(1 + SET_NAME.length + argBytesMax(key) + argBytesMax(value));
    const buffer = this.buffer;
    let at = this.length;
    buffer[at++] = 3;
    for (let i = 0; i < SET_NAME.length; i++) buffer[at++] = SET_NAME[i];
    this.length = at;
    this.putArg(key);
    this.putArg(value);
  }

  batch(records: ReadonlyArray<readonly Arg[]>): void {
    const start = this.open(FRAME_BATCH);
    this.reserve(5);
    this.writeVarint(records.length);
    for (const record of records) this.writeRecord(record);
    this.close(start);
  }

  clock(ms: number): void {
    const start = this.open(FRAME_CLOCK);
    this.reserve(8);
    this.buffer.writeDoubleLE(ms, this.length);
    this.length += 8;
    this.close(start);
  }

  /** The encoded bytes so far (a copy), leaving the encoder empty. */
  take(): Buffer {
    this.endRun();
    const bytes = Buffer.from(this.buffer.subarray(0, this.length));
    this.length = 0;
    return bytes;
  }

  /**
   * The encoded bytes so far, without copying, and goes on writing into `spare`: double buffering
   * for a writer with one write in flight. The returned bytes stay valid until the caller hands
   * their buffer back as a spare. (A fresh copy per chunk made V8 count hundreds of MB of
   * short-lived external memory during a snapshot and run full collections for it.)
   */
  exchange(spare: Buffer): Buffer {
    this.endRun();
    const bytes = this.buffer.subarray(0, this.length);
    this.buffer = spare;
    this.length = 0;
    return bytes;
  }

  /** The encoded bytes so far (an open records frame closed) without copying; valid until the next write. */
  view(): Buffer {
    this.endRun();
    return this.buffer.subarray(0, this.length);
  }

  clear(): void {
    this.length = 0;
    this.runStart = -1;
  }
}

/** 'SET' as an encoded argument: tag, length, bytes. */
const SET_NAME = [ARG_STRING, 3, 0x53, 0x45, 0x54];

/** Strings from this many UTF-16 units are copied by Buffer's native encoder (see putArg). */
const NATIVE_COPY_UNITS = 24;

/** Buffer's own UTF-8 encoder without write()'s argument checks; returns the bytes written. */
function utf8Write(bytes: Buffer, text: string, at: number): number {
  return (bytes as Buffer & { utf8Write(text: string, at: number): number }).utf8Write(text, at);
}

/** Buffer's own UTF-8 decoder without toString's argument checks (measured ~10% faster). */
function utf8Slice(bytes: Buffer, start: number, end: number): string {
  return (bytes as Buffer & { utf8Slice(start: number, end: number): string }).utf8Slice(start, end);
}

const doubleScratch = new Float64Array(1);
const doubleBytes = new Uint8Array(doubleScratch.buffer);
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Whether text is ASCII and equal to bytes[start..start + text.length). */
function equalsAscii(text: string, bytes: Buffer, start: number): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) !== bytes[start + i]) return false;
  return true;
}

/** Thrown by the decoders on bytes that pass the checksum but do not parse (a bug or forgery). */
export class MalformedPayloadError extends Error {}

/** Decodes records from one frame payload (kind byte first). */
export class PayloadDecoder {
  private position = 0;
  private end = 0;
  private bytes: Buffer = Buffer.alloc(0);

  reset(bytes: Buffer, start: number, end: number): void {
    this.bytes = bytes;
    this.position = start;
    this.end = end;
  }

  get done(): boolean {
    return this.position >= this.end;
  }

  /** Where the next read starts, an index into the bytes given to reset(). */
  get offset(): number {
    return this.position;
  }

  /** Moves the next read to `offset` (within the payload). */
  seek(offset: number): void {
    if (offset > this.end) throw new MalformedPayloadError('payload ends early');
    this.position = offset;
  }

  byte(): number {
    if (this.position >= this.end) throw new MalformedPayloadError('payload ends early');
    return this.bytes[this.position++];
  }

  varint(): number {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 5; i++) {
      const byte = this.byte();
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) return value;
      scale *= 128;
    }
    throw new MalformedPayloadError('varint longer than 5 bytes');
  }

  float64(): number {
    if (this.position + 8 > this.end) throw new MalformedPayloadError('payload ends early');
    // Through a scratch double: Buffer's readDoubleLE was not inlined here, and a load reads a
    // score per sorted-set member.
    const bytes = this.bytes;
    const at = this.position;
    for (let i = 0; i < 8; i++) doubleBytes[LITTLE_ENDIAN ? i : 7 - i] = bytes[at + i];
    this.position = at + 8;
    return doubleScratch[0];
  }

  /** The command name of the last record read by command(). */
  name = '';

  /**
   * A record split for dispatch: its name goes to `name`, its arguments are returned (one array,
   * not the record and then a slice of it).
   */
  command(): Arg[] {
    const count = this.varint();
    if (count === 0 || count > this.end - this.position) throw new MalformedPayloadError(`bad argument count ${count}`);
    const name = this.commandName();
    this.name = name;
    const args: Arg[] = new Array(count - 1);
    for (let i = 0; i < count - 1; i++) args[i] = this.arg();
    return args;
  }

  /**
   * Command names seen so far, by length and first and last byte. A log repeats a few names
   * millions of times; handing back the same string skips a decode, and the command table's lookup
   * finds its hash already computed.
   */
  private readonly names = new Map<number, string>();

  private commandName(): string {
    const bytes = this.bytes;
    const start = this.position + 2;
    const length = bytes[this.position + 1];
    if (bytes[this.position] === ARG_STRING && length > 0 && length < 0x80 && start + length <= this.end) {
      const id = (length << 16) | (bytes[start] << 8) | bytes[start + length - 1];
      const known = this.names.get(id);
      if (known !== undefined && equalsAscii(known, bytes, start)) {
        this.position = start + length;
        return known;
      }
      const name = utf8Slice(bytes, start, start + length);
      this.position = start + length;
      if (this.names.size < 256 && equalsAscii(name, bytes, start)) this.names.set(id, name);
      return name;
    }
    const name = this.arg();
    if (typeof name !== 'string') throw new MalformedPayloadError('the record does not start with a command name');
    return name;
  }

  record(): Arg[] {
    const count = this.varint();
    if (count === 0 || count > this.end - this.position) throw new MalformedPayloadError(`bad argument count ${count}`);
    const record: Arg[] = new Array(count);
    for (let i = 0; i < count; i++) record[i] = this.arg();
    return record;
  }

  /** An argument that must be a string (a key, field or member). */
  string(): string {
    const arg = this.arg();
    if (typeof arg !== 'string') throw new MalformedPayloadError('expected a string');
    return arg;
  }

  /** An argument that must be a stored value: a string or bytes. */
  value(): string | Uint8Array {
    const arg = this.arg();
    if (typeof arg === 'number') throw new MalformedPayloadError('expected a string or bytes value');
    return arg;
  }

  arg(): Arg {
    const tag = this.byte();
    const bytes = this.bytes;
    switch (tag) {
      case ARG_STRING: {
        const length = this.varint();
        const start = this.position;
        if (start + length > this.end) throw new MalformedPayloadError('string runs past the payload');
        this.position += length;
        return utf8Slice(bytes, start, start + length);
      }
      case ARG_BYTES: {
        const length = this.varint();
        const start = this.position;
        if (start + length > this.end) throw new MalformedPayloadError('bytes run past the payload');
        this.position += length;
        return new Uint8Array(bytes.subarray(start, start + length));
      }
      case ARG_INT32: {
        if (this.position + 4 > this.end) throw new MalformedPayloadError('payload ends early');
        const value = bytes.readInt32LE(this.position);
        this.position += 4;
        return value;
      }
      case ARG_FLOAT64:
        return this.float64();
      case ARG_UTF16: {
        const units = this.varint();
        const start = this.position;
        if (start + units * 2 > this.end) throw new MalformedPayloadError('string runs past the payload');
        this.position += units * 2;
        return bytes.toString('utf16le', start, start + units * 2);
      }
      default:
        throw new MalformedPayloadError(`unknown argument tag 0x${tag.toString(16)}`);
    }
  }
}
