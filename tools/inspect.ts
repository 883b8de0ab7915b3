#!/usr/bin/env node
// emberkv-inspect: the one command for the person debugging an app's emberkv store. It answers
// what is in the files, whether they are sound, and how to get the data back.
//
//   emberkv-inspect <info|verify|dump|cat|bigkeys|fix> <path> [options]      (--help lists them)
//
// <path> is a data directory (followed through its manifest), one append-only file or one snapshot;
// the file header says which. Exit status: 0 sound or done, 1 problems found (or a fix not done),
// 2 bad usage or input that is not an emberkv store. Errors are one line on stderr:
// `emberkv-inspect: <what> — <what to do>`, never a stack trace.
//
// Invariants, and why:
//   - Nothing but `fix --yes` writes, and no read takes the directory lock: the tool must be usable
//     while the app has the store open (a write in progress then reads as a torn tail, and says so).
//   - Every byte is read through the library's own readers (check.ts scanFrames via frame-walk.ts,
//     record-codec.ts, snapshot-stream.ts, and recovery.ts's replayFile via read-only.ts), so
//     "damaged at byte N", "torn tail" and "what open() loads" mean here exactly what they mean at
//     open. The one thing added is walking on past damage, to name every damaged region.
//   - Files are streamed frame by frame: info, verify and cat keep memory flat however big the file.
//     dump and bigkeys of a snapshot stream too; of an AOF or a directory whose AOF holds records
//     they build the keyspace, as open() does (an AOF's meaning is the state after replaying it).
//   - fix writes a synced backup of every file it changes before changing it, and holds the
//     directory lock while it works (a store appending to the file being cut would be a disaster).
//
// Sections: output (colours, tables, progress) · input · AOF analysis · snapshot analysis ·
// directory analysis · key sizes and dump lines · commands (info, verify, dump, cat, bigkeys, fix) ·
// main.

import { basename, dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { checkArity, findCommand } from '../lib/commands.ts';
import { StoreLockedError } from '../lib/errors.ts';
import { copyFileDurably } from '../lib/fs/copy-file.ts';
import type { FileSystem } from '../lib/fs/fs.ts';
import { nodeFs } from '../lib/fs/node-fs.ts';
import { compileGlob } from '../lib/keyspace/glob.ts';
import { hashCommands } from '../lib/keyspace/hash.ts';
import { keyCommands } from '../lib/keyspace/keys.ts';
import { type HashValue, Keyspace, TYPE_HASH, TYPE_NAMES, TYPE_STRING, type TypeName } from '../lib/keyspace/keyspace.ts';
import {
  ENTRY_BYTES,
  HASH_BYTES,
  HASH_FIELD_BYTES,
  VOLATILE_BYTES,
  ZSET_BYTES,
  ZSET_MEMBER_BYTES,
  textBytes,
  valueBytes,
} from '../lib/keyspace/memory.ts';
import { stringCommands } from '../lib/keyspace/string.ts';
import type { ZSet } from '../lib/keyspace/zset.ts';
import { compareMembers } from '../lib/keyspace/zset-index.ts';
import { zsetCommands } from '../lib/keyspace/zset.ts';
import { BadHeaderError } from '../lib/persistence/check.ts';
import { readFileHeader, walkFrames } from '../lib/persistence/frame-walk.ts';
import {
  AOF_MAGIC,
  FILE_HEADER_BYTES,
  FRAME_BATCH,
  FRAME_CLOCK,
  FRAME_HEADER_BYTES,
  FRAME_RECORD,
  MAGIC_BYTES,
  SNAPSHOT_MAGIC,
  SNAPSHOT_TYPE_STRING,
  SNAPSHOT_TYPE_ZSET,
  encodeFileHeader,
} from '../lib/persistence/format.ts';
import { DirectoryLock, LOCK_DIR, LOCK_OWNER_FILE, LOCK_STALE_MS } from '../lib/persistence/lock.ts';
import { MANIFEST_FILE, type Manifest, parseManifest, writeManifestSync } from '../lib/persistence/manifest.ts';
import { type LoadProblem, NoStoreError, isAllZero, loadDirectoryReadOnly, replayFileReadOnly } from '../lib/persistence/read-only.ts';
import { PayloadDecoder } from '../lib/persistence/record-codec.ts';
import { isDataFileName } from '../lib/persistence/recovery.ts';
import { SNAPSHOT_TYPE_NAMES, type SnapshotFrame, decodeSnapshotFrame, streamSnapshot } from '../lib/persistence/snapshot-stream.ts';
import type { Arg, Value } from '../lib/types.ts';
import { EMBERKV_VERSION } from '../lib/version.ts';

const EXIT_OK = 0;
const EXIT_PROBLEMS = 1;
const EXIT_USAGE = 2;

/** bigkeys warns about hashes and sorted sets past this many elements (split them). */
const BIG_VALUE_ELEMENTS = 1_000_000;
/** cat shortens longer arguments unless --full. */
const SHOWN_CHARS_MAX = 120;
/** verify lists this many problems of one file for people (--json lists all). */
const PROBLEMS_SHOWN_PER_FILE = 20;
/** cat shows this many elements of a snapshot's hash or sorted set unless --full. */
const SHOWN_ELEMENTS_MAX = 8;
/** The progress bar appears for work that takes longer than this, redrawn at most this often. */
const PROGRESS_AFTER_MS = 1000;
const PROGRESS_REDRAW_MS = 100;
/** Output is gathered into writes of about this size. */
const OUTPUT_CHUNK_CHARS = 64 * 1024;

/** A failure to report in one line: what happened, what to do. Never a stack trace. */
class InspectError extends Error {
  constructor(
    readonly what: string,
    readonly todo: string,
    readonly exitCode: number = EXIT_USAGE,
  ) {
    super(`${what} — ${todo}`);
  }
}

const INPUT_HINT = 'pass a data directory (the one given to open()), an appendonly.N.aof file or a .rdb snapshot';

// =================================================================================================
// Output: colours, tables, numbers, the progress bar

const colour = process.stdout.isTTY === true && !process.env.NO_COLOR;
const paint = (code: string) => (text: string) => (colour ? `\x1b[${code}m${text}\x1b[0m` : text);
const red = paint('31');
const green = paint('32');
const yellow = paint('33');
const dim = paint('2');
const bold = paint('1');

function visibleLength(text: string): number {
  return text.replace(/\x1b\[[0-9;]*m/g, '').length;
}

/** Rows as aligned lines; columns listed in `right` are right-aligned (numbers). */
function table(rows: string[][], right: readonly number[] = [], indent = '  '): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, visibleLength(cell))));
  return rows.map((row) =>
    (
      indent +
      row
        .map((cell, i) => {
          if (i === row.length - 1 && !right.includes(i)) return cell;
          const pad = ' '.repeat(widths[i] - visibleLength(cell));
          return right.includes(i) ? pad + cell : cell + pad;
        })
        .join('  ')
    ).trimEnd(),
  );
}

const count = (n: number): string => n.toLocaleString('en-US');

function plural(n: number, word: string, many = `${word}s`): string {
  return `${count(n)} ${n === 1 ? word : many}`;
}

function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

function formatTime(ms: number | null): string {
  if (ms === null || !Number.isFinite(ms) || ms <= 0 || ms > 8.64e15) return '-';
  return new Date(ms).toISOString().replace('T', ' ').replace(/\.\d{3}Z$/, 'Z');
}

function isoTime(ms: number | null): string | null {
  return ms === null || !Number.isFinite(ms) || ms <= 0 || ms > 8.64e15 ? null : new Date(ms).toISOString();
}

function formatDuration(ms: number): string {
  let seconds = Math.round(ms / 1000);
  if (seconds < 60) return `${seconds}s`;
  const parts: string[] = [];
  for (const [unit, size] of [['d', 86400], ['h', 3600], ['m', 60]] as const) {
    if (seconds >= size) {
      parts.push(`${Math.floor(seconds / size)}${unit}`);
      seconds %= size;
    }
  }
  if (seconds > 0) parts.push(`${seconds}s`);
  return parts.join(' ');
}

/**
 * A bar on stderr for work that takes more than a second: bytes read of bytes to read. Fed by the
 * file system wrapper below, which sees every file the library's readers open and every read.
 */
class Progress {
  private totalBytes = 0;
  private base = 0;
  private path = '';
  private fileBytes = 0;
  private readonly startedMs = Date.now();
  private lastDrawMs = 0;
  private shown = false;

  constructor(readonly enabled: boolean) {}

  /** Plans the total of every file to be read. */
  plan(bytes: number): void {
    this.totalBytes = bytes;
  }

  /** A reader opened path; a new file starts after everything read so far (a second pass does not). */
  opened(path: string, bytes: number): void {
    if (path === this.path) return;
    this.base += this.fileBytes;
    this.path = path;
    this.fileBytes = bytes;
    if (this.base + bytes > this.totalBytes) this.totalBytes = this.base + bytes;
  }

  /** The reader got to `position` in the current file. */
  at(position: number): void {
    const now = Date.now();
    if (now - this.startedMs < PROGRESS_AFTER_MS || now - this.lastDrawMs < PROGRESS_REDRAW_MS) return;
    this.lastDrawMs = now;
    const done = this.base + Math.min(position, this.fileBytes);
    const fraction = this.totalBytes > 0 ? Math.min(1, done / this.totalBytes) : 0;
    const width = 24;
    const filled = Math.round(fraction * width);
    const bar = '█'.repeat(filled) + '░'.repeat(width - filled);
    const percent = `${Math.floor(fraction * 100)}%`.padStart(4);
    process.stderr.write(`\r${bar} ${percent}  ${basename(this.path)}  ${formatBytes(done)} / ${formatBytes(this.totalBytes)}\x1b[K`);
    this.shown = true;
  }

  /** Takes the bar off the screen (before output, and at the end). */
  clear(): void {
    if (!this.shown) return;
    process.stderr.write('\r\x1b[K');
    this.shown = false;
  }
}

/** The library's file system, telling the progress bar which file is read and how far. */
function withProgress(fs: FileSystem, progress: Progress): FileSystem {
  if (!progress.enabled) return fs;
  const files = new Map<number, { path: string; bytes: number }>();
  return {
    ...fs,
    openReadSync: (path: string): number => {
      const fd = fs.openReadSync(path);
      files.set(fd, { path, bytes: fs.fstatSync(fd).size });
      return fd;
    },
    closeSync: (fd: number): void => {
      files.delete(fd);
      fs.closeSync(fd);
    },
    readSync: (fd: number, into: Uint8Array, position: number): number => {
      const read = fs.readSync(fd, into, position);
      const file = files.get(fd);
      if (file !== undefined) {
        progress.opened(file.path, file.bytes);
        progress.at(position + read);
      }
      return read;
    },
  };
}

/** stdout, gathered into large writes; clears the progress bar before each. */
class Output {
  private buffer = '';

  constructor(private readonly progress: Progress) {}

  line(text = ''): void {
    this.buffer += `${text}\n`;
    if (this.buffer.length >= OUTPUT_CHUNK_CHARS) this.flush();
  }

  json(value: unknown): void {
    this.line(JSON.stringify(value, null, 2));
  }

  flush(): void {
    if (this.buffer === '') return;
    this.progress.clear();
    process.stdout.write(this.buffer);
    this.buffer = '';
  }
}

/** A note for people on stderr (kept off stdout, which may be JSON for a script). */
function note(progress: Progress, text: string): void {
  progress.clear();
  process.stderr.write(`emberkv-inspect: ${text}\n`);
}

// Showing values ---------------------------------------------------------------------------------

function showNumber(value: number): string {
  if (Number.isNaN(value)) return 'nan';
  if (!Number.isFinite(value)) return value > 0 ? 'inf' : '-inf';
  return String(value);
}

function showBytes(bytes: Uint8Array): string {
  let text = 'b"';
  for (const byte of bytes) {
    if (byte === 0x22 || byte === 0x5c) text += `\\${String.fromCharCode(byte)}`;
    else if (byte >= 0x20 && byte < 0x7f) text += String.fromCharCode(byte);
    else text += `\\x${byte.toString(16).padStart(2, '0')}`;
  }
  return `${text}"`;
}

/** One argument or value for people: bare when plain, quoted otherwise; bytes as b"..". */
function showArg(arg: Arg, full: boolean): string {
  if (typeof arg === 'number') return showNumber(arg);
  const size = typeof arg === 'string' ? arg.length : arg.byteLength;
  const cut = !full && size > SHOWN_CHARS_MAX;
  let shown: string;
  if (typeof arg === 'string') {
    const text = cut ? arg.slice(0, SHOWN_CHARS_MAX) : arg;
    shown = /^[\x21-\x7e]+$/.test(text) && !text.startsWith('"') && !text.startsWith('b"') ? text : JSON.stringify(text);
  } else {
    shown = showBytes(cut ? arg.subarray(0, SHOWN_CHARS_MAX) : arg);
  }
  return cut ? `${shown}…(${count(size)} ${typeof arg === 'string' ? 'chars' : 'bytes'})` : shown;
}

/** A value as JSON: strings as they are, bytes as {"base64": ...}. */
function jsonValue(value: Value): string | { base64: string } {
  return typeof value === 'string' ? value : { base64: Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64') };
}

/** A number as JSON: infinities (valid scores) as Redis writes them. */
function jsonNumber(value: number): number | string {
  return Number.isFinite(value) ? value : showNumber(value);
}

function jsonArg(arg: Arg): number | string | { base64: string } {
  return typeof arg === 'number' ? jsonNumber(arg) : jsonValue(arg);
}

// =================================================================================================
// Input: what the path is

type Target =
  | { kind: 'directory'; path: string }
  | { kind: 'aof' | 'snapshot'; path: string; headerProblem: string | null };

function statOrFail(fs: FileSystem, path: string, shown: string): ReturnType<FileSystem['statSync']> {
  try {
    return fs.statSync(path);
  } catch (error) {
    throw new InspectError(`cannot read ${shown} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`, 'check the path and its permissions');
  }
}

/** The store a file belongs to: its directory's manifest names it. */
function storeOf(fs: FileSystem, path: string): { dir: string; manifest: Manifest; role: 'aof' | 'snapshot' } | null {
  const dir = dirname(path);
  try {
    if (fs.statSync(join(dir, MANIFEST_FILE)) === null) return null;
    const parsed = parseManifest(Buffer.from(fs.readFileSync(join(dir, MANIFEST_FILE))).toString('utf8'));
    if (!parsed.ok) return null;
    const name = basename(path);
    if (parsed.manifest.base === name) return { dir, manifest: parsed.manifest, role: 'snapshot' };
    if (parsed.manifest.incrs.includes(name)) return { dir, manifest: parsed.manifest, role: 'aof' };
  } catch {
    // An unreadable manifest: the file is taken on its own.
  }
  return null;
}

/**
 * Detects what `input` is: a directory, an AOF or a snapshot, by its header (not its name). A
 * file the manifest names is that kind of file even with its header gone: its damage is reported.
 */
function resolveTarget(fs: FileSystem, input: string): Target {
  const path = resolve(input);
  const stat = statOrFail(fs, path, input);
  if (stat === null) throw new InspectError(`${input} does not exist`, INPUT_HINT);
  if (stat.isDirectory) return { kind: 'directory', path };
  if (basename(path) === MANIFEST_FILE) return { kind: 'directory', path: dirname(path) };
  const store = storeOf(fs, path);
  if (stat.size === 0) {
    if (store !== null) return { kind: store.role, path, headerProblem: 'the file is empty' };
    throw new InspectError(`${input} is empty (0 bytes), not an emberkv file`, 'inspect its data directory instead (open() gives an empty last AOF file a fresh header)');
  }
  let bytes: Buffer;
  let problem: string | null;
  try {
    const read = readFileHeader(fs, path);
    bytes = read.bytes;
    problem = read.header.ok ? null : read.header.problem;
  } catch (error) {
    throw new InspectError(`cannot read ${input} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`, 'check its permissions');
  }
  const magic = bytes.toString('latin1', 0, MAGIC_BYTES);
  const kind = magic === AOF_MAGIC ? 'aof' : magic === SNAPSHOT_MAGIC ? 'snapshot' : null;
  if (kind === null && store !== null) return { kind: store.role, path, headerProblem: problem };
  if (kind === null) {
    const why = bytes.every((byte) => byte === 0) ? 'it starts with zero bytes where the header belongs' : 'it does not start with EMBERAOF or EMBERRDB';
    throw new InspectError(`${input} is not an emberkv file (${why})`, INPUT_HINT);
  }
  return { kind, path, headerProblem: problem };
}

function requireSoundHeader(target: Target): void {
  if (target.kind !== 'directory' && target.headerProblem !== null) {
    throw new InspectError(`${target.path}: the file header is damaged (${target.headerProblem})`, `run emberkv-inspect verify ${target.path}`);
  }
}

// =================================================================================================
// AOF analysis: every frame decoded and checked as replay would, damage classified, counts kept

type RecordType = 'string' | 'hash' | 'zset' | 'keyspace';

/** Which type a logged command works on, from the command table's per-type lists. */
const RECORD_TYPES = new Map<string, RecordType>();
for (const [specs, type] of [
  [stringCommands, 'string'],
  [hashCommands, 'hash'],
  [zsetCommands, 'zset'],
  [keyCommands, 'keyspace'],
] as const) {
  for (const spec of specs) RECORD_TYPES.set(spec.name.toUpperCase(), type);
}

interface FileProblem {
  offset: number;
  kind: 'torn-tail' | 'corrupt';
  reason: string;
}

type AofFrame =
  | { kind: 'record'; records: Arg[][] }
  | { kind: 'batch'; records: Arg[][] }
  | { kind: 'clock'; ms: number }
  /** A frame replay skips that does not belong in an AOF (a snapshot frame, a malformed clock). */
  | { kind: 'odd'; frameKind: number; reason: string };

/** Why replay would refuse this record, or null: the checks replayFile makes before running it. */
function recordProblem(record: Arg[]): string | null {
  const name = record[0];
  if (typeof name !== 'string') return 'the record does not start with a command name';
  const spec = findCommand(name);
  if (spec === undefined || !spec.write) return `unknown or read-only command ${name} in the log`;
  try {
    checkArity(spec, record.length - 1);
  } catch (error) {
    return (error as Error).message;
  }
  return null;
}

/** Decodes one AOF frame payload; throws an Error saying why replay would refuse it. */
function decodeAofFrame(decoder: PayloadDecoder, bytes: Buffer, start: number, end: number): AofFrame {
  const kind = bytes[start];
  decoder.reset(bytes, start + 1, end);
  if (kind === FRAME_RECORD || kind === FRAME_BATCH) {
    const records: Arg[][] = [];
    try {
      if (kind === FRAME_RECORD) records.push(decoder.record());
      else for (let i = decoder.varint(); i > 0; i--) records.push(decoder.record());
      if (!decoder.done) throw new Error(kind === FRAME_RECORD ? 'bytes left over after the record' : 'bytes left over after the last record');
    } catch (error) {
      throw new Error(`the frame passes its checksum but does not decode: ${(error as Error).message}`);
    }
    for (const record of records) {
      const problem = recordProblem(record);
      if (problem !== null) throw new Error(`record ${showArg(record[0], false)} could not be applied: ${problem}`);
    }
    return { kind: kind === FRAME_RECORD ? 'record' : 'batch', records };
  }
  if (kind === FRAME_CLOCK) {
    try {
      const ms = decoder.float64();
      if (decoder.done) return { kind: 'clock', ms };
    } catch {
      // reported below
    }
    return { kind: 'odd', frameKind: kind, reason: 'a clock frame that is not one float64 (replay skips clock frames)' };
  }
  return { kind: 'odd', frameKind: kind, reason: `a snapshot frame (kind 0x${kind.toString(16)}) in an append-only file (replay skips it)` };
}

interface AofReport {
  kind: 'aof';
  path: string;
  version: number;
  fileBytes: number;
  modifiedMs: number;
  /** Frames that pass their checksum. */
  frames: number;
  /** Of those, the frames before the first problem: what loads. */
  loadedFrames: number;
  /** Records before the first problem: what loads. */
  records: number;
  batches: number;
  clockFrames: number;
  firstClockMs: number | null;
  lastClockMs: number | null;
  commands: Map<string, number>;
  recordsByType: Record<RecordType, number>;
  /** In file order; the first is where a repair cuts. */
  problems: FileProblem[];
  /** Frames replay tolerates that do not belong (not damage: nothing is lost to them). */
  warnings: FileProblem[];
  /** Where a repair cuts: the first problem; null when sound. */
  cut: number | null;
  /** Good frames and records at or past the cut: what a repair drops besides the damage. */
  dropped: { frames: number; records: number; commands: Map<string, number> };
  headerProblem: string | null;
}

type AofVisitor = (frame: AofFrame, offset: number, frameBytes: number) => boolean | void;

/**
 * Reads an AOF from end to end, past damage: counts, time span, and every problem, classified as
 * scanFrames classifies it (a file-level view: whether a torn tail is allowed here is the
 * directory's question). `visit` sees each frame that decodes; `onProblem` each problem, in order.
 */
async function analyzeAof(fs: FileSystem, path: string, visit?: AofVisitor, onProblem?: (problem: FileProblem) => void): Promise<AofReport> {
  const stat = fs.statSync(path);
  const report: AofReport = {
    kind: 'aof',
    path,
    version: 0,
    fileBytes: stat?.size ?? 0,
    modifiedMs: stat?.mtimeMs ?? 0,
    frames: 0,
    loadedFrames: 0,
    records: 0,
    batches: 0,
    clockFrames: 0,
    firstClockMs: null,
    lastClockMs: null,
    commands: new Map(),
    recordsByType: { string: 0, hash: 0, zset: 0, keyspace: 0 },
    problems: [],
    warnings: [],
    cut: null,
    dropped: { frames: 0, records: 0, commands: new Map() },
    headerProblem: null,
  };
  const problem = (found: FileProblem): void => {
    report.problems.push(found);
    if (report.cut === null) report.cut = found.offset;
    onProblem?.(found);
  };
  const decoder = new PayloadDecoder();
  try {
    const walk = await walkFrames(
      fs,
      path,
      (bytes, start, end, offset) => {
        report.frames++;
        let frame: AofFrame;
        try {
          frame = decodeAofFrame(decoder, bytes, start, end);
        } catch (error) {
          problem({ offset, kind: 'corrupt', reason: (error as Error).message });
          return;
        }
        const past = report.cut !== null;
        if (past) report.dropped.frames++;
        else report.loadedFrames++;
        if (frame.kind === 'record' || frame.kind === 'batch') {
          if (frame.kind === 'batch' && !past) report.batches++;
          for (const record of frame.records) {
            const name = record[0] as string;
            if (past) {
              report.dropped.records++;
              report.dropped.commands.set(name, (report.dropped.commands.get(name) ?? 0) + 1);
            } else {
              report.records++;
              report.commands.set(name, (report.commands.get(name) ?? 0) + 1);
              report.recordsByType[RECORD_TYPES.get(name.toUpperCase()) ?? 'keyspace']++;
            }
          }
        } else if (frame.kind === 'clock') {
          report.clockFrames++;
          if (report.firstClockMs === null) report.firstClockMs = frame.ms;
          report.lastClockMs = frame.ms;
        } else {
          report.warnings.push({ offset, kind: 'corrupt', reason: frame.reason });
        }
        return visit?.(frame, offset, end - start + FRAME_HEADER_BYTES);
      },
      (damage) => problem({ offset: damage.offset, kind: damage.kind, reason: damage.reason }),
    );
    report.version = walk.version;
  } catch (error) {
    if (!(error instanceof BadHeaderError)) throw error;
    report.headerProblem = error.message;
    problem({ offset: 0, kind: 'corrupt', reason: error.message });
  }
  return report;
}

// =================================================================================================
// Snapshot analysis: counts by type, TTLs, and the snapshot rules, streamed

interface SnapshotReport {
  kind: 'snapshot';
  path: string;
  version: number;
  fileBytes: number;
  modifiedMs: number;
  createdMs: number | null;
  writtenBy: string | null;
  keysAtStart: number | null;
  keys: number;
  keysByType: Record<TypeName, number>;
  elementsByType: { hash: number; zset: number };
  keysWithTtl: number;
  keysExpired: number;
  problems: FileProblem[];
  headerProblem: string | null;
}

async function analyzeSnapshot(fs: FileSystem, path: string, now: number, visit?: (frame: SnapshotFrame, offset: number) => void): Promise<SnapshotReport> {
  const stat = fs.statSync(path);
  const report: SnapshotReport = {
    kind: 'snapshot',
    path,
    version: 0,
    fileBytes: stat?.size ?? 0,
    modifiedMs: stat?.mtimeMs ?? 0,
    createdMs: null,
    writtenBy: null,
    keysAtStart: null,
    keys: 0,
    keysByType: { string: 0, hash: 0, zset: 0 },
    elementsByType: { hash: 0, zset: 0 },
    keysWithTtl: 0,
    keysExpired: 0,
    problems: [],
    headerProblem: null,
  };
  try {
    const stream = await streamSnapshot(fs, path, (frame, offset) => {
      if (frame.kind === 'key') {
        report.keys++;
        report.keysByType[SNAPSHOT_TYPE_NAMES[frame.type]]++;
        if (frame.expiresAt !== 0) {
          report.keysWithTtl++;
          if (frame.expiresAt <= now) report.keysExpired++;
        }
        if (frame.elements !== null) report.elementsByType[frame.type === SNAPSHOT_TYPE_ZSET ? 'zset' : 'hash'] += frame.elements.names.length;
      } else if (frame.kind === 'more') {
        report.elementsByType[frame.type === SNAPSHOT_TYPE_ZSET ? 'zset' : 'hash'] += frame.elements.names.length;
      }
      visit?.(frame, offset);
    });
    report.version = stream.version;
    report.createdMs = stream.meta?.createdMs ?? null;
    report.writtenBy = stream.meta?.version ?? null;
    report.keysAtStart = stream.meta?.keysAtStart ?? null;
    report.problems = stream.problems;
  } catch (error) {
    if (!(error instanceof BadHeaderError)) throw error;
    report.headerProblem = error.message;
    report.problems = [{ offset: 0, kind: 'corrupt', reason: error.message }];
  }
  return report;
}

// =================================================================================================
// Directory analysis: the manifest's files in load order, classified as open() would

interface LockHolder {
  pid: number | null;
  host: string | null;
}

/** Who holds the directory lock, if its holder is alive (refreshed it lately); read only. */
function lockHolder(fs: FileSystem, dir: string): LockHolder | null {
  const stat = fs.statSync(join(dir, LOCK_DIR));
  if (stat === null || Date.now() - stat.mtimeMs > LOCK_STALE_MS) return null;
  try {
    const owner = JSON.parse(Buffer.from(fs.readFileSync(join(dir, LOCK_OWNER_FILE))).toString('utf8')) as { pid?: unknown; host?: unknown };
    return { pid: typeof owner.pid === 'number' ? owner.pid : null, host: typeof owner.host === 'string' ? owner.host : null };
  } catch {
    return { pid: null, host: null };
  }
}

type AtOpen = LoadProblem['atOpen'] | 'not-loaded';

interface DirectoryProblem extends FileProblem {
  file: string;
  /** What open() does: cut a torn tail, write a fresh header, refuse, or nothing (a file it does not load). */
  atOpen: AtOpen;
}

interface DirectoryFile {
  name: string;
  path: string;
  /** base: the manifest's base (or a snapshot adopted as one); incr; snapshot: not loaded. */
  role: 'base' | 'incr' | 'snapshot';
  report: AofReport | SnapshotReport | null;
}

interface DirectoryReport {
  kind: 'directory';
  path: string;
  manifestText: string | null;
  manifest: Manifest | null;
  files: DirectoryFile[];
  /** Other files: temp files, backups, copies of damaged files, data files the manifest dropped. */
  others: string[];
  problems: DirectoryProblem[];
  lock: LockHolder | null;
}

/**
 * Analyzes the store in dir: every file the manifest names (or only the one at `only`) and the
 * snapshot beside them, each problem classified as open() would treat it.
 */
async function analyzeDirectory(fs: FileSystem, dir: string, snapshotName: string, now: number, progress: Progress, only?: string): Promise<DirectoryReport> {
  let names: string[];
  try {
    names = fs.readdirSync(dir).sort();
  } catch (error) {
    throw new InspectError(`cannot list ${dir} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`, 'check its permissions');
  }
  const report: DirectoryReport = { kind: 'directory', path: dir, manifestText: null, manifest: null, files: [], others: [], problems: [], lock: lockHolder(fs, dir) };
  const hasSnapshot = names.includes(snapshotName) && fs.statSync(join(dir, snapshotName))?.isDirectory === false;
  const manifestPath = join(dir, MANIFEST_FILE);
  if (names.includes(MANIFEST_FILE)) {
    report.manifestText = Buffer.from(fs.readFileSync(manifestPath)).toString('utf8');
    const parsed = parseManifest(report.manifestText);
    if (parsed.ok) report.manifest = parsed.manifest;
    else report.problems.push({ file: manifestPath, offset: 0, kind: 'corrupt', reason: `the manifest is unreadable (${parsed.problem})`, atOpen: 'refuse' });
  } else {
    const holding = names.filter((name) => isDataFileName(name) && (fs.statSync(join(dir, name))?.size ?? 0) > FILE_HEADER_BYTES);
    if (!hasSnapshot && !names.some(isDataFileName)) {
      throw new InspectError(`no emberkv store in ${dir} (no ${MANIFEST_FILE}, no ${snapshotName}, no appendonly.N.aof)`, `${INPUT_HINT}; --dbfilename names a snapshot other than dump.rdb`);
    }
    for (const name of holding) {
      report.problems.push({ file: manifestPath, offset: 0, kind: 'corrupt', reason: `the manifest is missing but ${name} holds data`, atOpen: 'refuse' });
    }
  }

  // Load order: the base (or, with no manifest, the snapshot open() adopts), then each incr file.
  const manifest = report.manifest;
  const planned: DirectoryFile[] = [];
  if (manifest !== null) {
    if (manifest.base !== null) planned.push({ name: manifest.base, path: join(dir, manifest.base), role: 'base', report: null });
    for (const name of manifest.incrs) planned.push({ name, path: join(dir, name), role: 'incr', report: null });
    if (hasSnapshot && manifest.base !== snapshotName) planned.push({ name: snapshotName, path: join(dir, snapshotName), role: 'snapshot', report: null });
  } else if (report.problems.length === 0 && hasSnapshot) {
    planned.push({ name: snapshotName, path: join(dir, snapshotName), role: 'base', report: null });
  }
  if (only !== undefined) {
    const kept = planned.filter((file) => file.path === only);
    planned.length = 0;
    planned.push(...kept);
  }
  progress.plan(planned.reduce((sum, file) => sum + (fs.statSync(file.path)?.size ?? 0), 0));

  const incrs = manifest?.incrs ?? [];
  for (const file of planned) {
    report.files.push(file);
    const size = fs.statSync(file.path)?.size ?? null;
    if (size === null) {
      const reason = file.role === 'base' ? 'the manifest names this base file but it is missing' : 'the manifest names this file but it is missing';
      report.problems.push({ file: file.path, offset: 0, kind: 'corrupt', reason, atOpen: 'refuse' });
      continue;
    }
    if (file.role !== 'incr') {
      const snapshot = await analyzeSnapshot(fs, file.path, now);
      file.report = snapshot;
      const atOpen: AtOpen = file.role === 'base' ? 'refuse' : 'not-loaded';
      for (const found of snapshot.problems) report.problems.push({ ...found, file: file.path, atOpen });
      continue;
    }
    const aof = await analyzeAof(fs, file.path);
    file.report = aof;
    if (aof.problems.length === 0) continue;
    const index = incrs.indexOf(file.name);
    const last = index === incrs.length - 1;
    // As recovery.ts: a torn tail is allowed in the last file holding records (later ones empty).
    const laterEmpty = incrs.slice(index + 1).every((name) => (fs.statSync(join(dir, name))?.size ?? 0) <= FILE_HEADER_BYTES);
    const first = aof.problems[0];
    let atOpen: AtOpen = 'refuse';
    let kind = first.kind;
    let reason = first.reason;
    if (aof.headerProblem !== null) {
      if (last && isAllZero(fs, file.path)) {
        atOpen = 'fresh-header';
        kind = 'torn-tail';
        reason = `${aof.fileBytes === 0 ? 'the file is empty' : `the file is ${aof.fileBytes} zero bytes`}: its header never reached the disk`;
      }
    } else if (first.kind === 'torn-tail') {
      if (last || laterEmpty) atOpen = 'cut';
      else {
        kind = 'corrupt';
        reason = `${first.reason} in a file that is not the last one`;
      }
    }
    report.problems.push({ file: file.path, offset: first.offset, kind, reason, atOpen });
    for (const later of aof.problems.slice(1)) report.problems.push({ ...later, file: file.path, atOpen });
  }

  const known = new Set([MANIFEST_FILE, LOCK_DIR, LOCK_OWNER_FILE, snapshotName, manifest?.base, ...incrs]);
  report.others = names.filter((name) => !known.has(name));
  if (only !== undefined) report.problems = report.problems.filter((problem) => problem.file === only);
  return report;
}

function describeOther(name: string, manifestExists: boolean): string {
  if (name.endsWith('.tmp')) return `${name} (temp file of an interrupted write: open() deletes it)`;
  if (/\.bak-\d+$/.test(name)) return `${name} (backup made by emberkv-inspect fix)`;
  if (/\.corrupt-\d+$/.test(name)) return `${name} (copy of a damaged file, made by onCorruption: 'truncate')`;
  if (isDataFileName(name)) return manifestExists ? `${name} (not in the manifest: open() deletes it)` : `${name} (no manifest names it)`;
  return name;
}

// =================================================================================================
// Key sizes and dump lines

interface KeySize {
  key: string;
  type: TypeName;
  /** Fields or members; 1 for a string. */
  elements: number;
  /** Bytes of data: a string's bytes; fields and values; members and 8-byte scores. */
  bytes: number;
  /** The store's estimate of the heap it takes (lib/keyspace/memory.ts). */
  memory: number;
}

function dataBytes(value: Value): number {
  return typeof value === 'string' ? Buffer.byteLength(value, 'utf8') : value.byteLength;
}

/** Sizes one key from decoded parts; the same sums for a keyspace entry and a snapshot's frames. */
class SizeAccumulator {
  elements = 0;
  bytes = 0;
  memory: number;

  constructor(
    readonly key: string,
    readonly type: TypeName,
    expiresAt: number,
  ) {
    this.memory = ENTRY_BYTES + textBytes(key) + (expiresAt !== 0 ? VOLATILE_BYTES : 0) + (type === 'hash' ? HASH_BYTES : type === 'zset' ? ZSET_BYTES : 0);
  }

  string(value: Value): void {
    this.elements = 1;
    this.bytes = dataBytes(value);
    this.memory += valueBytes(value);
  }

  element(name: string, value: Value | number): void {
    this.elements++;
    if (typeof value === 'number') {
      this.bytes += Buffer.byteLength(name, 'utf8') + 8;
      this.memory += ZSET_MEMBER_BYTES + textBytes(name);
    } else {
      this.bytes += Buffer.byteLength(name, 'utf8') + dataBytes(value);
      this.memory += HASH_FIELD_BYTES + textBytes(name) + valueBytes(value);
    }
  }

  size(): KeySize {
    return { key: this.key, type: this.type, elements: this.elements, bytes: this.bytes, memory: this.memory };
  }
}

/** Which keys dump and bigkeys look at: --match, --type, and (dump) --expired. */
interface KeyFilter {
  match: ((key: string) => boolean) | null;
  type: TypeName | null;
  includeExpired: boolean;
  now: number;
}

function wanted(filter: KeyFilter, key: string, type: TypeName, expiresAt: number): boolean {
  if (!filter.includeExpired && expiresAt !== 0 && expiresAt <= filter.now) return false;
  if (filter.type !== null && filter.type !== type) return false;
  return filter.match === null || filter.match(key);
}

interface DumpLine {
  key: string;
  type: TypeName;
  value: ReturnType<typeof jsonValue> | Record<string, ReturnType<typeof jsonValue>> | Array<[string, number | string]>;
  expiresAt: number | null;
}

function dumpLine(key: string, type: TypeName, expiresAt: number, value: Value | null, names: string[], values: Array<Value | number>): DumpLine {
  let shown: DumpLine['value'];
  if (type === 'string') shown = jsonValue(value as Value);
  else if (type === 'hash') {
    const fields: Record<string, ReturnType<typeof jsonValue>> = Object.create(null);
    for (let i = 0; i < names.length; i++) fields[names[i]] = jsonValue(values[i] as Value);
    shown = fields;
  } else {
    const order = names.map((_, i) => i);
    order.sort((a, b) => (values[a] as number) - (values[b] as number) || compareMembers(names[a], names[b]));
    shown = order.map((i) => [names[i], jsonNumber(values[i] as number)]);
  }
  return { key, type, value: shown, expiresAt: expiresAt === 0 ? null : expiresAt };
}

/** One key as loaded, in parts: what dump prints and bigkeys measures. */
interface KeyParts {
  key: string;
  type: TypeName;
  expiresAt: number;
  /** A string's value; null for hashes and sorted sets. */
  value: Value | null;
  /** Fields or members, and their values or scores (empty when only `sized` was kept). */
  names: string[];
  values: Array<Value | number>;
  /** The keyspace's own memory estimate for a loaded entry, else null. */
  memory: number | null;
  /** A split value's running size, when its elements were not kept (bigkeys of a snapshot). */
  sized: SizeAccumulator | null;
}

function dumpLineOf(parts: KeyParts): DumpLine {
  return dumpLine(parts.key, parts.type, parts.expiresAt, parts.value, parts.names, parts.values);
}

function sizeOf(parts: KeyParts): KeySize {
  let sizing = parts.sized;
  if (sizing === null) {
    sizing = new SizeAccumulator(parts.key, parts.type, parts.expiresAt);
    if (parts.type === 'string') sizing.string(parts.value as Value);
    else for (let i = 0; i < parts.names.length; i++) sizing.element(parts.names[i], parts.values[i]);
  }
  const size = sizing.size();
  if (parts.memory !== null) size.memory = parts.memory;
  return size;
}

/** Every key of a loaded keyspace, in its order. */
function forEachEntry(ks: Keyspace, visit: (parts: KeyParts) => void): void {
  for (const entry of ks.entries.values()) {
    const parts: KeyParts = { key: entry.key, type: TYPE_NAMES[entry.type], expiresAt: entry.expiresAt, value: null, names: [], values: [], memory: entry.bytes, sized: null };
    if (entry.type === TYPE_STRING) parts.value = entry.value as Value;
    else if (entry.type === TYPE_HASH) {
      (entry.value as HashValue).forEach((value, field) => {
        parts.names.push(field);
        parts.values.push(value);
      });
    } else {
      (entry.value as ZSet).index.forEach((score, member) => {
        parts.names.push(member);
        parts.values.push(score);
      });
    }
    visit(parts);
  }
}

/**
 * Streams a snapshot's keys whole: a KEY frame holding all of its value at once; a value split
 * across MORE frames once the END frame shows nothing more can follow (§8 lets its frames
 * interleave with other keys'). With `sizesOnly` a split value keeps running sums, not elements,
 * so memory stays flat; otherwise it grows only with the split values being gathered.
 */
async function streamSnapshotKeys(
  fs: FileSystem,
  path: string,
  filter: KeyFilter,
  visit: (parts: KeyParts) => void,
  sizesOnly: boolean,
): Promise<Awaited<ReturnType<typeof streamSnapshot>>> {
  const open = new Map<string, KeyParts>();
  return streamSnapshot(fs, path, (frame) => {
    if (frame.kind === 'key') {
      const type = SNAPSHOT_TYPE_NAMES[frame.type];
      if (!wanted(filter, frame.key, type, frame.expiresAt)) return;
      const parts: KeyParts = { key: frame.key, type, expiresAt: frame.expiresAt, value: frame.value, names: [], values: [], memory: null, sized: null };
      if (frame.type === SNAPSHOT_TYPE_STRING) visit(parts);
      else if (frame.elements!.names.length > 0) visit({ ...parts, names: frame.elements!.names, values: frame.elements!.values });
      else {
        if (sizesOnly) parts.sized = new SizeAccumulator(frame.key, type, frame.expiresAt);
        open.set(frame.key, parts);
      }
    } else if (frame.kind === 'more') {
      const parts = open.get(frame.key);
      if (parts === undefined) return;
      const { names, values } = frame.elements;
      if (parts.sized !== null) for (let i = 0; i < names.length; i++) parts.sized.element(names[i], values[i]);
      else for (let i = 0; i < names.length; i++) (parts.names.push(names[i]), parts.values.push(values[i]));
    } else if (frame.kind === 'end') {
      for (const parts of open.values()) visit(parts);
      open.clear();
    }
  });
}

// =================================================================================================
// Commands

interface Options {
  json: boolean;
  yes: boolean;
  match: string | null;
  type: TypeName | null;
  expired: boolean;
  from: number | null;
  to: number | null;
  full: boolean;
  top: number;
  warnElements: number;
  snapshotName: string;
}

interface Context {
  fs: FileSystem;
  out: Output;
  progress: Progress;
  options: Options;
  now: number;
}

// info --------------------------------------------------------------------------------------------

function commandsSummary(commands: Map<string, number>, limit = 8): string {
  const sorted = [...commands].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  const shown = sorted.slice(0, limit).map(([name, n]) => `${name} ${count(n)}`);
  if (sorted.length > limit) shown.push(`${sorted.length - limit} more`);
  return shown.join(', ') || '-';
}

function timeSpan(report: AofReport): string {
  if (report.firstClockMs === null || report.lastClockMs === null) return 'no clock frames';
  const span = formatDuration(report.lastClockMs - report.firstClockMs);
  return `${formatTime(report.firstClockMs)} → ${formatTime(report.lastClockMs)} (${span}, from ${plural(report.clockFrames, 'clock frame')})`;
}

function statusLine(problems: readonly FileProblem[], path: string): string {
  if (problems.length === 0) return green('sound');
  return red(`damaged: ${plural(problems.length, 'problem')}, the first at byte ${count(problems[0].offset)}`) + ` — run emberkv-inspect verify ${path}`;
}

function aofInfoRows(report: AofReport): string[][] {
  const rows: string[][] = [
    ['format', `append-only file, version ${report.version || '?'}`],
    ['size', `${formatBytes(report.fileBytes)} (${count(report.fileBytes)} bytes)`],
    ['modified', formatTime(report.modifiedMs)],
    ['time span', timeSpan(report)],
    ['records', `${count(report.records)} in ${plural(report.loadedFrames, 'frame')}${report.batches > 0 ? ` (${plural(report.batches, 'MULTI batch', 'MULTI batches')})` : ''}${report.cut !== null ? `, before the damage at byte ${count(report.cut)}` : ''}`],
    ['by type', Object.entries(report.recordsByType).filter(([, n]) => n > 0).map(([type, n]) => `${type} ${count(n)}`).join(', ') || '-'],
    ['commands', commandsSummary(report.commands)],
  ];
  if (report.dropped.records > 0) rows.push(['after damage', `${plural(report.dropped.records, 'good record')} past the first problem (a repair drops them)`]);
  rows.push(['status', statusLine(report.problems, report.path)]);
  return rows;
}

function snapshotContent(report: SnapshotReport): string {
  const parts = [`string ${count(report.keysByType.string)}`];
  parts.push(`hash ${count(report.keysByType.hash)} (${plural(report.elementsByType.hash, 'field')})`);
  parts.push(`zset ${count(report.keysByType.zset)} (${plural(report.elementsByType.zset, 'member')})`);
  return parts.join(', ');
}

function snapshotInfoRows(report: SnapshotReport): string[][] {
  return [
    ['format', `snapshot, version ${report.version || '?'}${report.writtenBy !== null ? ` (written by emberkv ${report.writtenBy})` : ''}`],
    ['created', formatTime(report.createdMs)],
    ['size', `${formatBytes(report.fileBytes)} (${count(report.fileBytes)} bytes)`],
    ['keys', `${count(report.keys)}${report.keysAtStart !== null && report.keysAtStart !== report.keys ? ` (${count(report.keysAtStart)} when it began)` : ''}`],
    ['by type', snapshotContent(report)],
    ['with TTL', `${count(report.keysWithTtl)}${report.keysExpired > 0 ? ` (${count(report.keysExpired)} already expired)` : ''}`],
    ['status', statusLine(report.problems, report.path)],
  ];
}

function aofJson(report: AofReport): object {
  return {
    path: report.path,
    kind: 'aof',
    version: report.version,
    bytes: report.fileBytes,
    modified: isoTime(report.modifiedMs),
    frames: report.frames,
    records: report.records,
    batches: report.batches,
    clockFrames: report.clockFrames,
    firstClock: isoTime(report.firstClockMs),
    lastClock: isoTime(report.lastClockMs),
    spanMs: report.firstClockMs !== null && report.lastClockMs !== null ? report.lastClockMs - report.firstClockMs : null,
    recordsByType: report.recordsByType,
    commands: Object.fromEntries(report.commands),
    droppedByRepair: { frames: report.dropped.frames, records: report.dropped.records, commands: Object.fromEntries(report.dropped.commands) },
    problems: report.problems,
    warnings: report.warnings,
  };
}

function snapshotJson(report: SnapshotReport): object {
  return {
    path: report.path,
    kind: 'snapshot',
    version: report.version,
    bytes: report.fileBytes,
    modified: isoTime(report.modifiedMs),
    created: isoTime(report.createdMs),
    createdMs: report.createdMs,
    writtenBy: report.writtenBy,
    keysAtStart: report.keysAtStart,
    keys: report.keys,
    keysByType: report.keysByType,
    elementsByType: report.elementsByType,
    keysWithTtl: report.keysWithTtl,
    keysExpired: report.keysExpired,
    problems: report.problems,
  };
}

function fileJson(file: DirectoryFile): object {
  const base = { name: file.name, role: file.role, loads: file.role !== 'snapshot' };
  if (file.report === null) return { ...base, missing: true };
  return { ...base, ...(file.report.kind === 'aof' ? aofJson(file.report) : snapshotJson(file.report)) };
}

async function info(context: Context, target: Target): Promise<number> {
  const { fs, out, options, now } = context;
  if (target.kind === 'aof' || target.kind === 'snapshot') {
    requireSoundHeader(target);
    context.progress.plan(fs.statSync(target.path)?.size ?? 0);
    const report = target.kind === 'aof' ? await analyzeAof(fs, target.path) : await analyzeSnapshot(fs, target.path, now);
    if (options.json) out.json(report.kind === 'aof' ? aofJson(report) : snapshotJson(report));
    else {
      out.line(bold(target.path));
      for (const line of table(report.kind === 'aof' ? aofInfoRows(report) : snapshotInfoRows(report))) out.line(line);
    }
    return EXIT_OK;
  }
  const report = await analyzeDirectory(fs, target.path, options.snapshotName, now, context.progress);
  if (options.json) {
    out.json({
      path: report.path,
      kind: 'directory',
      manifest: report.manifest,
      manifestText: report.manifestText,
      lockedBy: report.lock,
      files: report.files.map(fileJson),
      otherFiles: report.others,
      problems: report.problems,
      verdict: verdictOf(report.problems),
    });
    return EXIT_OK;
  }
  out.line(`${bold(report.path)}  (emberkv data directory)`);
  if (report.manifestText !== null) {
    out.line('  manifest');
    for (const line of report.manifestText.replace(/\n$/, '').split('\n')) out.line(`    ${dim(line)}`);
  } else if (report.files.length > 0) {
    out.line(`  manifest    none: a snapshot-only store (appendonly: false); with the AOF on, open() adopts ${options.snapshotName} as its base`);
  } else {
    out.line('  manifest    none');
  }
  const lock = report.lock;
  out.line(
    lock === null
      ? '  lock        free (no store has the directory open)'
      : `  lock        held by ${lock.pid !== null ? `pid ${lock.pid}` : 'a store'}${lock.host !== null ? ` on ${lock.host}` : ''}: the app has it open; the last file may be growing`,
  );
  const rows: string[][] = [['file', 'role', 'bytes', 'content', 'time']];
  for (const file of report.files) {
    const role = file.role === 'snapshot' ? 'snapshot (not loaded)' : file.role;
    const r = file.report;
    if (r === null) rows.push([file.name, role, '-', red('missing'), '']);
    else if (r.kind === 'aof') {
      const past = r.dropped.records > 0 ? ` (+${count(r.dropped.records)} past the damage)` : '';
      const content = r.headerProblem !== null ? red(`header damaged: ${r.headerProblem}`) : `${plural(r.records, 'record')}${past}: ${commandsSummary(r.commands, 4)}`;
      const span = r.firstClockMs === null ? '-' : `${formatTime(r.firstClockMs)} → ${formatTime(r.lastClockMs)} (${formatDuration(r.lastClockMs! - r.firstClockMs)})`;
      rows.push([file.name, role, formatBytes(r.fileBytes), content, span]);
    } else {
      const content = r.headerProblem !== null ? red(`header damaged: ${r.headerProblem}`) : `${plural(r.keys, 'key')}: ${snapshotContent(r)}; ${count(r.keysWithTtl)} with TTL`;
      rows.push([file.name, role, formatBytes(r.fileBytes), content, `created ${formatTime(r.createdMs)}`]);
    }
  }
  if (report.files.length > 0) {
    out.line('');
    for (const line of table(rows, [2])) out.line(line);
  }
  if (report.others.length > 0) {
    out.line('');
    out.line('  other files');
    for (const name of report.others) out.line(`    ${describeOther(name, report.manifestText !== null)}`);
  }
  out.line('');
  const verdict = verdictOf(report.problems);
  out.line(
    `  status      ${
      verdict === 'sound' ? green('sound') : red(`${plural(report.problems.length, 'problem')}: ${verdictText(verdict)}`) + ` — run emberkv-inspect verify ${report.path}`
    }`,
  );
  return EXIT_OK;
}

// verify ------------------------------------------------------------------------------------------

type Verdict = 'sound' | 'torn-tail' | 'refuses' | 'unloaded-damage';

function verdictOf(problems: readonly DirectoryProblem[]): Verdict {
  if (problems.length === 0) return 'sound';
  if (problems.some((problem) => problem.atOpen === 'refuse')) return 'refuses';
  if (problems.some((problem) => problem.atOpen === 'cut' || problem.atOpen === 'fresh-header')) return 'torn-tail';
  return 'unloaded-damage';
}

function verdictText(verdict: Verdict): string {
  switch (verdict) {
    case 'sound':
      return 'sound';
    case 'torn-tail':
      return 'open() cuts a torn tail (an interrupted write) and loads everything else';
    case 'refuses':
      return 'open() refuses this store until it is repaired';
    case 'unloaded-damage':
      return 'a file open() does not load is damaged';
  }
}

/** Explanation lines under a problem: what kind of damage, what is lost, how to repair it. */
function explain(problem: DirectoryProblem, report: AofReport | SnapshotReport | null, firstInFile: boolean): string[] {
  const lines: string[] = [];
  if (!firstInFile) {
    lines.push('past the first problem in this file: a repair at the first one drops this too');
    return lines;
  }
  if (report?.kind === 'snapshot' || report === null) {
    if (problem.atOpen === 'not-loaded') lines.push('this snapshot is not loaded while the manifest exists, but it is not a usable backup: restore it or let the next bgsave replace it');
    else if (report !== null) lines.push('a snapshot is all or nothing and cannot be cut: restore it from a backup');
    else lines.push('restore it from a backup');
    return lines;
  }
  if (problem.atOpen === 'fresh-header') {
    lines.push('torn tail: the file holds no records; open() writes a fresh header (repairable without loss)');
  } else if (problem.kind === 'torn-tail') {
    const dropped = report.fileBytes - problem.offset;
    lines.push(`torn tail: ${plural(dropped, 'byte')} of an interrupted write; repairable without loss beyond that record (open() cuts it too)`);
  } else {
    const after = report.dropped.records;
    lines.push(`mid-file corruption: valid frames follow it (${plural(after, 'good record')}), which a cut here drops too; open() refuses until it is repaired`);
  }
  if (problem.atOpen !== 'not-loaded') {
    lines.push(`repair: emberkv-inspect fix ${problem.file} --yes  (keeps the ${plural(report.records, 'record')} before byte ${count(problem.offset)}, backup first)`);
  }
  return lines;
}

/** A lone file's problems in the directory's terms: the file is treated as the last one. */
function fileProblems(report: AofReport | SnapshotReport): DirectoryProblem[] {
  return report.problems.map((problem) => {
    let atOpen: AtOpen = 'refuse';
    if (report.kind === 'aof' && report.problems[0].kind === 'torn-tail' && report.headerProblem === null) atOpen = 'cut';
    return { ...problem, file: report.path, atOpen };
  });
}

async function verify(context: Context, target: Target): Promise<number> {
  const { fs, out, options, now } = context;
  let problems: DirectoryProblem[];
  let reports: Array<AofReport | SnapshotReport | null>;
  let files: Array<{ path: string; role: string; report: AofReport | SnapshotReport | null }>;
  let lock: LockHolder | null = null;
  const store = target.kind === 'directory' ? null : storeOf(fs, target.path);
  if (target.kind === 'directory' || store !== null) {
    // A file the manifest names is judged as open() judges it there (a torn tail in a file that is
    // not the last one is corruption; an empty last file gets a fresh header).
    const report = await analyzeDirectory(fs, store?.dir ?? target.path, options.snapshotName, now, context.progress, store === null ? undefined : target.path);
    problems = report.problems;
    files = report.files.map((file) => ({ path: file.path, role: file.role, report: file.report }));
    reports = files.map((file) => file.report);
    lock = report.lock;
  } else {
    context.progress.plan(fs.statSync(target.path)?.size ?? 0);
    const report = target.kind === 'aof' ? await analyzeAof(fs, target.path) : await analyzeSnapshot(fs, target.path, now);
    problems = fileProblems(report);
    files = [{ path: target.path, role: target.kind, report }];
    reports = [report];
  }
  const verdict = verdictOf(problems);
  const reportOf = (path: string) => reports.find((report) => report?.path === path) ?? null;
  const records = reports.reduce((sum, r) => sum + (r?.kind === 'aof' ? r.records : 0), 0);
  const keys = reports.reduce((sum, r) => sum + (r?.kind === 'snapshot' ? r.keys : 0), 0);
  if (options.json) {
    const seen = new Set<string>();
    out.json({
      path: target.path,
      kind: target.kind,
      ok: problems.length === 0,
      verdict,
      files: files.map((file) => ({
        path: file.path,
        role: file.role,
        kind: file.report?.kind ?? null,
        bytes: file.report?.fileBytes ?? null,
        records: file.report?.kind === 'aof' ? file.report.records : undefined,
        keys: file.report?.kind === 'snapshot' ? file.report.keys : undefined,
        problems: file.report?.problems.length ?? 1,
        warnings: file.report?.kind === 'aof' ? file.report.warnings : [],
      })),
      problems: problems.map((problem) => {
        const first = !seen.has(problem.file);
        seen.add(problem.file);
        const report = reportOf(problem.file);
        return {
          ...problem,
          damage: problem.kind === 'torn-tail' ? 'torn-tail' : 'mid-file-corruption',
          firstInFile: first,
          droppedByRepair: first && report?.kind === 'aof' ? { bytes: report.fileBytes - problem.offset, records: report.dropped.records } : undefined,
          repair: first && report?.kind === 'aof' && problem.atOpen !== 'not-loaded' ? `emberkv-inspect fix ${problem.file} --yes` : null,
        };
      }),
      lockedBy: lock,
    });
    return problems.length === 0 ? EXIT_OK : EXIT_PROBLEMS;
  }
  const seen = new Set<string>();
  const listed = new Map<string, number>();
  for (const problem of problems) {
    const first = !seen.has(problem.file);
    seen.add(problem.file);
    const shown = (listed.get(problem.file) ?? 0) + 1;
    listed.set(problem.file, shown);
    if (shown > PROBLEMS_SHOWN_PER_FILE) {
      if (shown === PROBLEMS_SHOWN_PER_FILE + 1) {
        const more = problems.filter((other) => other.file === problem.file).length - PROBLEMS_SHOWN_PER_FILE;
        out.line(`    … ${plural(more, 'more problem')} in ${problem.file} (--json lists them all)`);
      }
      continue;
    }
    const what = problem.kind === 'torn-tail' ? yellow('torn tail') : red('corrupt');
    out.line(`${red('✗')} ${problem.file} at byte ${count(problem.offset)}: ${what}: ${problem.reason}`);
    for (const line of explain(problem, reportOf(problem.file), first)) out.line(`    ${line}`);
    if (first && problem.kind === 'torn-tail' && lock !== null && problem.atOpen === 'cut') {
      out.line(`    ${dim('the directory is open by a running store: this may be a write in progress; run verify again')}`);
    }
  }
  for (const report of reports) {
    if (report?.kind !== 'aof') continue;
    for (const warning of report.warnings) out.line(`${yellow('!')} ${report.path} at byte ${count(warning.offset)}: ${warning.reason}`);
  }
  const summary = `${plural(files.length, 'file')}, ${plural(records, 'record')}, ${plural(keys, 'key')} in snapshots`;
  if (problems.length === 0) out.line(`${green('sound')}: ${summary}`);
  else out.line(`${red(`${plural(problems.length, 'problem')} in ${plural(seen.size, 'file')}`)}: ${verdictText(verdict)} (${summary})`);
  return problems.length === 0 ? EXIT_OK : EXIT_PROBLEMS;
}

// dump and bigkeys: loading what open() loads ------------------------------------------------------

/**
 * Hands every key the target holds, as open() would load it, to `visit`. A snapshot (or a directory
 * whose AOF files hold nothing past their header) streams; anything with records is replayed into
 * a keyspace first. Returns the problems met, for the caller's notes and exit status.
 */
async function loadKeys(context: Context, target: Target, filter: KeyFilter, visit: (parts: KeyParts) => void, sizesOnly: boolean): Promise<DirectoryProblem[]> {
  const { fs, options } = context;
  requireSoundHeader(target);
  const size = (path: string) => fs.statSync(path)?.size ?? 0;
  const streamFile = async (path: string): Promise<DirectoryProblem[]> => {
    context.progress.plan(size(path));
    const stream = await streamSnapshotKeys(fs, path, filter, visit, sizesOnly);
    return stream.problems.map((problem) => ({ ...problem, file: path, atOpen: 'refuse' }));
  };
  const fromKeyspace = (ks: Keyspace): void =>
    forEachEntry(ks, (parts) => {
      if (wanted(filter, parts.key, parts.type, parts.expiresAt)) visit(parts);
    });
  if (target.kind === 'snapshot') return streamFile(target.path);
  const ks = new Keyspace();
  if (target.kind === 'aof') {
    context.progress.plan(size(target.path));
    ks.loading = true;
    const { problems } = await replayFileReadOnly(fs, target.path, ks, { last: true, allowTornTail: true });
    ks.loading = false;
    fromKeyspace(ks);
    return problems;
  }
  const dir = target.path;
  const manifestPath = join(dir, MANIFEST_FILE);
  const parsed = fs.statSync(manifestPath) === null ? null : parseManifest(Buffer.from(fs.readFileSync(manifestPath)).toString('utf8'));
  const snapshotPath = join(dir, options.snapshotName);
  const names = fs.readdirSync(dir);
  // Nothing past the headers of the AOF files: the state is the base (or the adopted snapshot).
  if (parsed?.ok === true && parsed.manifest.base !== null && parsed.manifest.incrs.every((name) => size(join(dir, name)) === FILE_HEADER_BYTES)) {
    return streamFile(join(dir, parsed.manifest.base));
  }
  if (parsed === null && fs.statSync(snapshotPath) !== null && names.every((name) => !isDataFileName(name) || size(join(dir, name)) <= FILE_HEADER_BYTES)) {
    return streamFile(snapshotPath);
  }
  const loaded = parsed?.ok === true ? [parsed.manifest.base, ...parsed.manifest.incrs].filter((name): name is string => name !== null) : [];
  context.progress.plan(loaded.reduce((sum, name) => sum + size(join(dir, name)), 0));
  let load;
  try {
    load = await loadDirectoryReadOnly(fs, dir, ks, { snapshotName: options.snapshotName });
  } catch (error) {
    if (error instanceof NoStoreError) throw new InspectError(error.message, `${INPUT_HINT}; --dbfilename names a snapshot other than dump.rdb`);
    throw error;
  }
  fromKeyspace(ks);
  return load.problems;
}

function noteProblems(context: Context, problems: readonly DirectoryProblem[]): number {
  for (const problem of problems) {
    const atOpen =
      problem.atOpen === 'cut'
        ? 'open() cuts it (a torn tail); shown: everything before it'
        : problem.atOpen === 'fresh-header'
          ? 'open() gives the file a fresh header; it holds nothing'
          : 'open() refuses the store; shown: everything before it';
    note(context.progress, `${problem.file} at byte ${problem.offset}: ${problem.reason} — ${atOpen}`);
  }
  return problems.some((problem) => problem.atOpen === 'refuse') ? EXIT_PROBLEMS : EXIT_OK;
}

async function dump(context: Context, target: Target, filter: KeyFilter): Promise<number> {
  const { out } = context;
  const problems = await loadKeys(context, target, filter, (parts) => out.line(JSON.stringify(dumpLineOf(parts))), false);
  out.flush();
  return noteProblems(context, problems);
}

/** The N largest by one measure, kept sorted, largest first. */
class Top {
  readonly items: KeySize[] = [];

  constructor(
    private readonly limit: number,
    private readonly measure: (size: KeySize) => number,
  ) {}

  offer(size: KeySize): void {
    const value = this.measure(size);
    if (this.items.length >= this.limit && value <= this.measure(this.items[this.items.length - 1])) return;
    let at = this.items.length;
    while (at > 0 && this.measure(this.items[at - 1]) < value) at--;
    this.items.splice(at, 0, size);
    if (this.items.length > this.limit) this.items.pop();
  }
}

async function bigkeys(context: Context, target: Target, filter: KeyFilter): Promise<number> {
  const { out, options } = context;
  const perType = Object.fromEntries(
    TYPE_NAMES.map((type) => [type, { keys: 0, elements: 0, bytes: 0, byElements: new Top(1, (s) => s.elements), byBytes: new Top(1, (s) => s.bytes) }]),
  ) as Record<TypeName, { keys: number; elements: number; bytes: number; byElements: Top; byBytes: Top }>;
  const topBytes = new Top(options.top, (s) => s.bytes);
  const topElements = new Top(options.top, (s) => s.elements);
  const tooBig: KeySize[] = [];
  let keys = 0;
  const problems = await loadKeys(
    context,
    target,
    filter,
    (parts) => {
      const size = sizeOf(parts);
      const type = size.type;
      keys++;
      const totals = perType[type];
      totals.keys++;
      totals.elements += size.elements;
      totals.bytes += size.bytes;
      totals.byBytes.offer(size);
      topBytes.offer(size);
      if (type !== 'string') {
        totals.byElements.offer(size);
        topElements.offer(size);
        if (size.elements > options.warnElements) tooBig.push(size);
      }
    },
    true,
  );
  tooBig.sort((a, b) => b.elements - a.elements);
  const word = (type: TypeName) => (type === 'hash' ? 'fields' : type === 'zset' ? 'members' : 'bytes');
  const advice = (size: KeySize) =>
    `${size.type} ${JSON.stringify(size.key)} has ${count(size.elements)} ${word(size.type)}, past ${count(options.warnElements)}: split it across several keys (for example ${size.key}:{0..15} by a hash of the ${size.type === 'hash' ? 'field' : 'member'}); one huge value makes every whole-value command, DEL and snapshot of it slow`;
  if (options.json) {
    out.json({
      path: target.path,
      keys,
      byType: Object.fromEntries(
        TYPE_NAMES.map((type) => [
          type,
          {
            keys: perType[type].keys,
            elements: perType[type].elements,
            bytes: perType[type].bytes,
            biggestByElements: type === 'string' ? null : (perType[type].byElements.items[0] ?? null),
            biggestByBytes: perType[type].byBytes.items[0] ?? null,
          },
        ]),
      ),
      topByBytes: topBytes.items,
      topByElements: topElements.items,
      warnings: tooBig.map((size) => ({ ...size, message: advice(size) })),
      problems,
    });
  } else {
    out.line(`${bold(target.path)}: ${plural(keys, 'key')}${filter.match !== null || filter.type !== null ? ' matching the filter' : ''}`);
    out.line('');
    const rows = [['type', 'keys', 'elements', 'bytes', 'biggest by elements', 'biggest by bytes']];
    for (const type of TYPE_NAMES) {
      const totals = perType[type];
      const byElements = totals.byElements.items[0];
      const byBytes = totals.byBytes.items[0];
      rows.push([
        type,
        count(totals.keys),
        type === 'string' ? '-' : count(totals.elements),
        formatBytes(totals.bytes),
        byElements === undefined ? '-' : `${showArg(byElements.key, false)} (${count(byElements.elements)} ${word(type)})`,
        byBytes === undefined ? '-' : `${showArg(byBytes.key, false)} (${formatBytes(byBytes.bytes)})`,
      ]);
    }
    for (const line of table(rows, [1, 2, 3])) out.line(line);
    const list = (title: string, top: Top) => {
      if (top.items.length === 0) return;
      out.line('');
      out.line(title);
      const rows = [['bytes', 'elements', 'memory≈', 'type', 'key']];
      for (const size of top.items) rows.push([formatBytes(size.bytes), size.type === 'string' ? '-' : count(size.elements), formatBytes(size.memory), size.type, showArg(size.key, false)]);
      for (const line of table(rows, [0, 1, 2])) out.line(line);
    };
    list(`Top ${count(options.top)} by bytes`, topBytes);
    list(`Top ${count(options.top)} hashes and sorted sets by elements`, topElements);
    if (tooBig.length > 0) out.line('');
    for (const size of tooBig) out.line(`${yellow('warning')}: ${advice(size)}`);
  }
  out.flush();
  return noteProblems(context, problems);
}

// cat ---------------------------------------------------------------------------------------------

function catAof(context: Context, path: string): Promise<AofReport> {
  const { out, options } = context;
  const from = options.from ?? 0;
  const to = options.to ?? Number.POSITIVE_INFINITY;
  const width = String(context.fs.statSync(path)?.size ?? 0).length;
  const at = (offset: number) => dim(String(offset).padStart(width));
  const pad = ' '.repeat(width);
  const show = (record: Arg[]) => record.map((arg) => showArg(arg, options.full)).join(' ');
  return analyzeAof(
    context.fs,
    path,
    (frame, offset, frameBytes) => {
      if (offset >= to) return false;
      if (offset < from) return;
      if (options.json) {
        const base = { offset, bytes: frameBytes };
        if (frame.kind === 'record') out.line(JSON.stringify({ ...base, frame: 'record', command: frame.records[0].map(jsonArg) }));
        else if (frame.kind === 'batch') out.line(JSON.stringify({ ...base, frame: 'batch', commands: frame.records.map((record) => record.map(jsonArg)) }));
        else if (frame.kind === 'clock') out.line(JSON.stringify({ ...base, frame: 'clock', ms: frame.ms, time: isoTime(frame.ms) }));
        else out.line(JSON.stringify({ ...base, frame: 'other', frameKind: frame.frameKind, note: frame.reason }));
        return;
      }
      if (frame.kind === 'record') out.line(`${at(offset)}  ${show(frame.records[0])}`);
      else if (frame.kind === 'batch') {
        out.line(`${at(offset)}  MULTI`);
        for (const record of frame.records) out.line(`${pad}    ${show(record)}`);
        out.line(`${pad}  EXEC`);
      } else if (frame.kind === 'clock') out.line(`${at(offset)}  ${dim(`-- clock ${isoTime(frame.ms) ?? showNumber(frame.ms)}`)}`);
      else out.line(`${at(offset)}  ${yellow(`-- ${frame.reason}`)}`);
    },
    (problem) => {
      if (problem.offset < from || problem.offset >= to) return;
      if (options.json) out.line(JSON.stringify({ offset: problem.offset, problem: { kind: problem.kind, reason: problem.reason } }));
      else out.line(`${at(problem.offset)}  ${red(`!! ${problem.kind === 'torn-tail' ? 'torn tail' : 'damaged'}: ${problem.reason}`)}`);
    },
  );
}

function showElements(names: string[], values: Array<Value | number>, full: boolean): string {
  const shown = full ? names.length : Math.min(names.length, SHOWN_ELEMENTS_MAX);
  const parts: string[] = [];
  for (let i = 0; i < shown; i++) parts.push(`${showArg(names[i], full)} ${showArg(values[i] as Arg, full)}`);
  if (shown < names.length) parts.push(`… (+${count(names.length - shown)})`);
  return `{${parts.join(', ')}}`;
}

async function catSnapshot(context: Context, path: string): Promise<FileProblem[]> {
  const { out, options, fs } = context;
  const from = options.from ?? 0;
  const to = options.to ?? Number.POSITIVE_INFINITY;
  const width = String(fs.statSync(path)?.size ?? 0).length;
  const at = (offset: number) => dim(String(offset).padStart(width));
  const problems: FileProblem[] = [];
  const decoder = new PayloadDecoder();
  const problem = (found: FileProblem) => {
    problems.push(found);
    if (found.offset < from || found.offset >= to) return;
    if (options.json) out.line(JSON.stringify({ offset: found.offset, problem: { kind: found.kind, reason: found.reason } }));
    else out.line(`${at(found.offset)}  ${red(`!! damaged: ${found.reason}`)}`);
  };
  await walkFrames(
    fs,
    path,
    (bytes, start, end, offset) => {
      if (offset >= to) return false;
      let frame: SnapshotFrame;
      try {
        frame = decodeSnapshotFrame(decoder, bytes, start, end);
      } catch (error) {
        problem({ offset, kind: 'corrupt', reason: `the frame passes its checksum but does not decode: ${(error as Error).message}` });
        return;
      }
      if (offset < from) return;
      const frameBytes = end - start + FRAME_HEADER_BYTES;
      if (options.json) {
        const base = { offset, bytes: frameBytes, frame: frame.kind };
        if (frame.kind === 'meta') out.line(JSON.stringify({ ...base, created: isoTime(frame.createdMs), createdMs: frame.createdMs, writtenBy: frame.version, keysAtStart: frame.keysAtStart }));
        else if (frame.kind === 'end') out.line(JSON.stringify({ ...base, keys: frame.keys }));
        else {
          const type = SNAPSHOT_TYPE_NAMES[frame.type];
          const expiresAt = frame.kind === 'key' && frame.expiresAt !== 0 ? frame.expiresAt : null;
          const line = frame.kind === 'key' && frame.elements === null ? dumpLine(frame.key, type, 0, frame.value, [], []) : dumpLine(frame.key, type, 0, null, frame.elements!.names, frame.elements!.values);
          out.line(JSON.stringify({ ...base, type, key: frame.key, expiresAt, value: line.value }));
        }
        return;
      }
      if (frame.kind === 'meta') {
        out.line(`${at(offset)}  META created ${formatTime(frame.createdMs)} by emberkv ${frame.version}, ${plural(frame.keysAtStart, 'key')} when it began`);
      } else if (frame.kind === 'end') out.line(`${at(offset)}  END ${plural(frame.keys, 'key')}`);
      else {
        const type = SNAPSHOT_TYPE_NAMES[frame.type];
        const expiry = frame.kind === 'key' && frame.expiresAt !== 0 ? ` ${dim(`expires ${formatTime(frame.expiresAt)}`)}` : '';
        const name = `${frame.kind === 'key' ? 'KEY ' : 'MORE'} ${type.padEnd(6)} ${showArg(frame.key, options.full)}`;
        if (frame.kind === 'key' && frame.elements === null) out.line(`${at(offset)}  ${name}${expiry} ${showArg(frame.value!, options.full)}`);
        else {
          const { names, values } = frame.elements!;
          const what = names.length === 0 ? dim('(elements in MORE frames)') : showElements(names, values, options.full);
          out.line(`${at(offset)}  ${name}${expiry} ${dim(`${count(names.length)}:`)} ${what}`);
        }
      }
    },
    (damage) => problem({ offset: damage.offset, kind: 'corrupt', reason: damage.reason }),
  );
  return problems;
}

async function cat(context: Context, target: Target): Promise<number> {
  const { out, options, fs } = context;
  requireSoundHeader(target);
  const files: Array<{ path: string; kind: 'aof' | 'snapshot' }> = [];
  if (target.kind === 'directory') {
    if (options.from !== null || options.to !== null) throw new InspectError('--from and --to are byte offsets in one file', 'cat a single file of the directory with them');
    const report = await analyzeDirectory(fs, target.path, options.snapshotName, context.now, new Progress(false));
    for (const file of report.files) {
      if (file.role === 'snapshot' || file.report === null || file.report.headerProblem !== null) continue;
      files.push({ path: file.path, kind: file.report.kind });
    }
  } else files.push({ path: target.path, kind: target.kind });
  context.progress.plan(files.reduce((sum, file) => sum + (fs.statSync(file.path)?.size ?? 0), 0));
  let problems = 0;
  for (const file of files) {
    if (files.length > 1 || target.kind === 'directory') {
      if (options.json) out.line(JSON.stringify({ file: file.path }));
      else out.line(bold(`== ${file.path}`));
    }
    if (file.kind === 'aof') problems += (await catAof(context, file.path)).problems.length;
    else problems += (await catSnapshot(context, file.path)).length;
  }
  out.flush();
  if (problems > 0) note(context.progress, `${plural(problems, 'problem')} shown inline — run emberkv-inspect verify ${target.path} for what they mean`);
  return problems > 0 ? EXIT_PROBLEMS : EXIT_OK;
}

// fix ---------------------------------------------------------------------------------------------

interface FixPlan {
  /** The AOF file to cut. */
  target: string;
  action: 'cut' | 'fresh-header';
  cutAt: number;
  fileBytes: number;
  problem: FileProblem;
  report: AofReport;
  /** The directory and its new manifest, when later files must leave it. */
  dir: string | null;
  manifest: Manifest | null;
  newManifest: Manifest | null;
  /** Later files that hold records depending on the dropped ones: backed up, then dropped. */
  laterFiles: Array<{ path: string; records: number; bytes: number }>;
}

/** Why fix will not do it (exit 1), or null. */
type Refusal = { what: string; todo: string };

function planFile(report: AofReport): FixPlan | Refusal | null {
  if (report.problems.length === 0) return null;
  const problem = report.problems[0];
  if (report.headerProblem !== null) {
    if (isAllZero(nodeFs, report.path)) {
      return { target: report.path, action: 'fresh-header', cutAt: 0, fileBytes: report.fileBytes, problem, report, dir: null, manifest: null, newManifest: null, laterFiles: [] };
    }
    return { what: `${report.path}: the file header is damaged (${report.headerProblem})`, todo: 'fix cannot tell what such a file was; restore it from a backup' };
  }
  return { target: report.path, action: 'cut', cutAt: problem.offset, fileBytes: report.fileBytes, problem, report, dir: null, manifest: null, newManifest: null, laterFiles: [] };
}

function planDirectory(report: DirectoryReport, only: string | null): FixPlan | Refusal | null {
  const manifestProblem = report.problems.find((problem) => basename(problem.file) === MANIFEST_FILE);
  if (manifestProblem !== undefined) {
    return { what: `${manifestProblem.file}: ${manifestProblem.reason}`, todo: 'fix cannot rebuild a manifest; restore it from a backup (the data files are listed by emberkv-inspect info)' };
  }
  const manifest = report.manifest;
  for (const file of report.files) {
    if (file.role === 'snapshot') continue;
    const problems = report.problems.filter((problem) => problem.file === file.path);
    if (problems.length === 0) continue;
    if (only !== null && file.path !== only) {
      return { what: `${file.path} is damaged and loads before ${only}`, todo: `fix it first: emberkv-inspect fix ${file.path}` };
    }
    if (file.report === null) return { what: `${file.path}: ${problems[0].reason}`, todo: 'restore it from a backup' };
    if (file.report.kind === 'snapshot') {
      return { what: `${file.path} is damaged at byte ${problems[0].offset} (${problems[0].reason})`, todo: 'a snapshot is all or nothing and cannot be cut; restore it from a backup' };
    }
    const plan = planFile(file.report);
    if (plan === null || !('target' in plan)) return plan;
    plan.problem = { ...plan.problem, kind: problems[0].kind, reason: problems[0].reason };
    plan.dir = report.path;
    plan.manifest = manifest;
    if (manifest !== null) {
      const index = manifest.incrs.indexOf(file.name);
      for (const name of manifest.incrs.slice(index + 1)) {
        const later = report.files.find((candidate) => candidate.name === name && candidate.role === 'incr');
        const bytes = later?.report?.fileBytes ?? 0;
        if (bytes > FILE_HEADER_BYTES) plan.laterFiles.push({ path: join(report.path, name), records: later?.report?.kind === 'aof' ? later.report.records + later.report.dropped.records : 0, bytes });
      }
      if (plan.laterFiles.length > 0) plan.newManifest = { base: manifest.base, incrs: manifest.incrs.slice(0, index + 1) };
    }
    return plan;
  }
  if (only !== null) return null;
  const unloaded = report.problems.find((problem) => problem.atOpen === 'not-loaded');
  if (unloaded !== undefined) {
    return { what: `${unloaded.file} is damaged at byte ${unloaded.offset} (${unloaded.reason}); everything open() loads is sound`, todo: 'fix does not cut snapshots: delete it or let the next bgsave replace it' };
  }
  return null;
}

function planLines(plan: FixPlan, yes: boolean, stamp: number): string[] {
  const { report, problem } = plan;
  const lines: string[] = [];
  const dropped = plan.fileBytes - plan.cutAt;
  lines.push(`${bold('fix')} ${plan.target}`);
  if (plan.action === 'fresh-header') {
    lines.push(`  damage   ${problem.reason}`);
    lines.push(`  does     writes a fresh header in place of its ${plural(plan.fileBytes, 'byte')} (the file holds no records; open() does the same)`);
  } else {
    const what = problem.kind === 'torn-tail' ? 'torn tail' : 'mid-file corruption';
    lines.push(`  damage   byte ${count(problem.offset)}: ${what}: ${problem.reason}`);
    lines.push(`  keeps    bytes 0..${count(plan.cutAt - 1)}: ${plural(report.records, 'record')}, everything before the damage`);
    const good = report.dropped.records;
    const detail =
      problem.kind === 'torn-tail'
        ? 'an interrupted write, nothing that was ever complete'
        : `the damaged frame${good > 0 ? ` and ${plural(good, 'good record')} after it (${commandsSummary(report.dropped.commands, 6)})` : ''}`;
    lines.push(`  drops    bytes ${count(plan.cutAt)}..${count(plan.fileBytes - 1)} (${plural(dropped, 'byte')}): ${detail}`);
  }
  for (const later of plan.laterFiles) {
    lines.push(
      `  ${yellow('later')}    ${later.path}: ${plural(later.records, 'record')} written after the dropped ones and possibly depending on them (an INCR after a lost SET); it leaves the manifest, as onCorruption: 'truncate' does`,
    );
  }
  const backups = [plan.target, ...plan.laterFiles.map((later) => later.path)].map((path) => `${path}.bak-${stamp}`);
  lines.push(`  backup   ${backups.join(', ')} (${backups.length === 1 ? 'a whole copy' : 'whole copies'}, synced before anything changes)`);
  if (!yes) {
    if (plan.laterFiles.length > 0) {
      lines.push(
        yellow(
          `  The damage is not in the last file: ${plural(plan.laterFiles.length, 'later file')} ${plan.laterFiles.length === 1 ? 'holds' : 'hold'} records that replay on top of the dropped ones, so fix drops ${plan.laterFiles.length === 1 ? 'it' : 'them'} too and the store goes back to the moment of the damage.`,
        ),
      );
    }
    lines.push(`Nothing changed. Run again with --yes to do it: emberkv-inspect fix ${plan.target} --yes`);
  }
  return lines;
}

/** Copies a file next to itself and syncs the copy and the directory: the backup comes first. */
function backupFile(fs: FileSystem, path: string, stamp: number): string {
  const target = `${path}.bak-${stamp}`;
  copyFileDurably(fs, path, target);
  return target;
}

/**
 * Carries out a plan. Order, so a crash at any point loses nothing: backups written and synced;
 * then the new manifest (atomic) if later files leave it; then the cut (truncate, fdatasync); then
 * the files the manifest no longer names are deleted (open() would delete them anyway).
 */
function carryOut(fs: FileSystem, plan: FixPlan, stamp: number): string[] {
  const backups = [backupFile(fs, plan.target, stamp)];
  for (const later of plan.laterFiles) backups.push(backupFile(fs, later.path, stamp));
  if (plan.newManifest !== null) writeManifestSync(fs, plan.dir!, plan.newManifest);
  const fd = fs.openAppendSync(plan.target);
  try {
    fs.truncateSync(fd, plan.cutAt);
    if (plan.action === 'fresh-header') fs.writeSync(fd, encodeFileHeader('aof'), 0);
    fs.fdatasyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  for (const later of plan.laterFiles) fs.unlinkSync(later.path);
  fs.fsyncDirectorySync(dirname(plan.target));
  return backups;
}

async function fix(context: Context, target: Target): Promise<number> {
  const { fs, out, options } = context;
  if (target.kind === 'snapshot') {
    const report = await analyzeSnapshot(fs, target.path, context.now);
    if (report.problems.length === 0) {
      out.line(options.json ? JSON.stringify({ path: target.path, action: 'none', sound: true }) : `${target.path} is sound: nothing to fix`);
      return EXIT_OK;
    }
    throw new InspectError(
      `${target.path} is damaged at byte ${report.problems[0].offset} (${report.problems[0].reason})`,
      'a snapshot is all or nothing and cannot be cut; restore it from a backup (fix repairs append-only files)',
      EXIT_PROBLEMS,
    );
  }
  // The directory whose store this is, if any: fix then plans in manifest terms and cuts under its lock.
  const dir = target.kind === 'directory' ? target.path : dirname(target.path);
  const manifestText = fs.statSync(join(dir, MANIFEST_FILE)) === null ? null : Buffer.from(fs.readFileSync(join(dir, MANIFEST_FILE))).toString('utf8');
  const parsed = manifestText === null ? null : parseManifest(manifestText);
  const inStore = target.kind === 'directory' || (parsed?.ok === true && parsed.manifest.incrs.includes(basename(target.path)));
  const makePlan = async (): Promise<FixPlan | null> => {
    let plan: FixPlan | Refusal | null;
    if (inStore) {
      const report = await analyzeDirectory(fs, dir, options.snapshotName, context.now, context.progress);
      plan = planDirectory(report, target.kind === 'directory' ? null : target.path);
    } else {
      requireSoundHeaderOrZero(target);
      context.progress.plan(fs.statSync(target.path)?.size ?? 0);
      plan = planFile(await analyzeAof(fs, target.path));
    }
    if (plan !== null && !('target' in plan)) throw new InspectError(plan.what, plan.todo, EXIT_PROBLEMS);
    return plan;
  };

  // Planned read-only first: a sound store, or a dry run, needs no lock (the app may hold it).
  const plan = await makePlan();
  if (plan === null) {
    out.line(options.json ? JSON.stringify({ path: target.path, action: 'none', sound: true }) : `${target.path} is sound: nothing to fix`);
    return EXIT_OK;
  }
  const stamp = Date.now();
  const json = {
    path: target.path,
    target: plan.target,
    action: plan.action,
    cutAt: plan.cutAt,
    fileBytes: plan.fileBytes,
    damage: { ...plan.problem, damage: plan.problem.kind === 'torn-tail' ? 'torn-tail' : 'mid-file-corruption' },
    keeps: { records: plan.report.records },
    drops: { bytes: plan.fileBytes - plan.cutAt, records: plan.report.dropped.records, commands: Object.fromEntries(plan.report.dropped.commands) },
    laterFiles: plan.laterFiles,
    newManifest: plan.newManifest,
    done: false,
    backups: [] as string[],
    soundAfter: null as boolean | null,
  };
  if (!options.json) for (const line of planLines(plan, options.yes, stamp)) out.line(line);
  if (!options.yes) {
    if (options.json) out.json(json);
    return EXIT_PROBLEMS;
  }
  out.flush();

  // Under the lock, so no store opens (or appends) meanwhile; planned again, in case the files
  // changed since the dry run above.
  let lock: DirectoryLock | null = null;
  if (inStore) {
    try {
      lock = await DirectoryLock.acquire(dir, () => {});
    } catch (error) {
      if (error instanceof StoreLockedError) {
        throw new InspectError(`${dir} is open by a running store`, 'close the store (stop the app), then run fix again; reads (verify, dump) work meanwhile');
      }
      throw error;
    }
  }
  try {
    const locked = inStore ? await makePlan() : plan;
    if (locked === null || locked.target !== plan.target || locked.cutAt !== plan.cutAt || locked.fileBytes !== plan.fileBytes) {
      throw new InspectError('the files changed while fix looked at them', 'run fix again to see the new plan');
    }
    json.backups = carryOut(fs, locked, stamp);
    json.done = true;
  } finally {
    await lock?.release();
  }
  const after = await analyzeAof(fs, plan.target);
  json.soundAfter = after.problems.length === 0;
  if (options.json) out.json(json);
  else {
    out.line(`${green('done')}: ${plan.target} is now ${count(after.fileBytes)} bytes, ${plural(after.records, 'record')}; backup at ${json.backups.join(', ')}`);
    out.line(after.problems.length === 0 ? `${green('sound')} (verified after the cut)` : red(`still damaged at byte ${after.problems[0].offset}: ${after.problems[0].reason}`));
  }
  return after.problems.length === 0 ? EXIT_OK : EXIT_PROBLEMS;
}

function requireSoundHeaderOrZero(target: Target): void {
  if (target.kind === 'directory' || target.headerProblem === null) return;
  if (isAllZero(nodeFs, target.path)) return;
  requireSoundHeader(target);
}

// =================================================================================================
// main

const USAGE = `emberkv-inspect — what is in an emberkv store's files, whether they are sound, how to get the data back

Usage: emberkv-inspect <command> <path> [options]

<path> is a data directory (the one given to open(); its manifest says which files load), an
append-only file (appendonly.N.aof) or a snapshot (dump.rdb, base.N.rdb): the header says which.

Commands
  info      format, version, sizes, counts by type, keys with TTLs, time span, manifest
  verify    check every checksum and record: exit 0 when sound, else 1, naming each problem's
            file and byte offset, torn tail (repairable) or mid-file corruption
  dump      the content as JSON lines {"key","type","value","expiresAt"}, as open() loads it;
            bytes values as {"base64": ...}
  cat       the records of an AOF as commands with byte offsets (a snapshot: its frames)
  bigkeys   the largest keys by type, by elements and by bytes; warns about huge hashes and zsets
  fix       cut an AOF back to its last good record, after a backup; says what it drops, then
            does it only with --yes

Options
  --json               for scripts: one JSON document (dump and cat: JSON lines)
  --match PATTERN      dump, bigkeys: keys matching a Redis glob pattern (user:*)
  --type TYPE          dump, bigkeys: string, hash or zset keys only
  --expired            dump: also keys whose TTL has passed (still in the files)
  --from N, --to N     cat: frames starting at byte offsets N <= offset < M
  --full               cat: long values whole
  --top N              bigkeys: how many keys to list (default 10)
  --warn-elements N    bigkeys: warn past N fields or members (default 1000000)
  --yes                fix: do it
  --dbfilename NAME    the snapshot's name in a directory (default dump.rdb)
  --no-progress        no progress bar (shown on stderr, on a terminal, for work over a second);
                       --progress shows it even when stderr is not a terminal
  -h, --help           this text;  --version  the emberkv version

Exit status: 0 sound or done, 1 problems found (or fix not done), 2 bad usage or unreadable input.
Nothing but fix --yes writes, and reads take no lock: safe while the app has the store open.
info, verify and cat stream any file in flat memory, as do dump and bigkeys of a snapshot; dump
and bigkeys of an AOF (or a directory whose AOF holds records) replay it in memory, as open() does.
`;

const COMMANDS = ['info', 'verify', 'dump', 'cat', 'bigkeys', 'fix'] as const;
type CommandName = (typeof COMMANDS)[number];

/** Options each command accepts, beyond --json, --dbfilename and the progress switches. */
const COMMAND_OPTIONS: Record<CommandName, readonly string[]> = {
  info: [],
  verify: [],
  dump: ['match', 'type', 'expired'],
  cat: ['from', 'to', 'full'],
  bigkeys: ['match', 'type', 'top', 'warn-elements'],
  fix: ['yes'],
};

function parseCount(text: string | undefined, name: string, fallback: number | null): number | null {
  if (text === undefined) return fallback;
  if (!/^\d+$/.test(text.replace(/[_,]/g, ''))) throw new InspectError(`--${name} takes a whole number, got ${JSON.stringify(text)}`, 'see emberkv-inspect --help');
  return Number(text.replace(/[_,]/g, ''));
}

async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        json: { type: 'boolean' },
        yes: { type: 'boolean' },
        match: { type: 'string' },
        type: { type: 'string' },
        expired: { type: 'boolean' },
        from: { type: 'string' },
        to: { type: 'string' },
        full: { type: 'boolean' },
        top: { type: 'string' },
        'warn-elements': { type: 'string' },
        dbfilename: { type: 'string' },
        progress: { type: 'boolean' },
        'no-progress': { type: 'boolean' },
        'debug-rss': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean' },
      },
    });
  } catch (error) {
    const message = (error as Error).message;
    const unknown = /Unknown option '([^']+)'/.exec(message);
    throw new InspectError(unknown !== null ? `unknown option ${unknown[1]}` : message.split(/\.\s|\n/)[0].replace(/\.$/, ''), 'see emberkv-inspect --help');
  }
  const { values, positionals } = parsed;
  if (values['debug-rss']) {
    process.on('exit', () => process.stderr.write(`rss-peak-bytes ${process.resourceUsage().maxRSS * 1024}\n`));
  }
  if (values.help) {
    process.stdout.write(USAGE);
    return EXIT_OK;
  }
  if (values.version) {
    process.stdout.write(`${EMBERKV_VERSION}\n`);
    return EXIT_OK;
  }
  const [name, input, ...extra] = positionals;
  if (name === undefined) throw new InspectError('no command given', 'try emberkv-inspect --help');
  if (!COMMANDS.includes(name as CommandName)) throw new InspectError(`unknown command ${JSON.stringify(name)}`, `use one of ${COMMANDS.join(', ')} (emberkv-inspect --help)`);
  const command = name as CommandName;
  if (input === undefined) throw new InspectError(`${command} needs a path`, `emberkv-inspect ${command} <data directory | .aof file | .rdb file>`);
  if (extra.length > 0) throw new InspectError(`unexpected argument ${JSON.stringify(extra[0])}`, `${command} takes one path`);
  for (const option of ['yes', 'match', 'type', 'expired', 'from', 'to', 'full', 'top', 'warn-elements'] as const) {
    if (values[option] !== undefined && !COMMAND_OPTIONS[command].includes(option)) {
      throw new InspectError(`--${option} does not apply to ${command}`, 'see emberkv-inspect --help');
    }
  }
  if (values.type !== undefined && !TYPE_NAMES.includes(values.type as TypeName)) {
    throw new InspectError(`--type ${JSON.stringify(values.type)} is not a type`, 'use string, hash or zset');
  }
  const options: Options = {
    json: values.json === true,
    yes: values.yes === true,
    match: values.match ?? null,
    type: (values.type as TypeName | undefined) ?? null,
    expired: values.expired === true,
    from: parseCount(values.from, 'from', null),
    to: parseCount(values.to, 'to', null),
    full: values.full === true,
    top: parseCount(values.top, 'top', 10)!,
    warnElements: parseCount(values['warn-elements'], 'warn-elements', BIG_VALUE_ELEMENTS)!,
    snapshotName: values.dbfilename ?? 'dump.rdb',
  };
  if (!/^[A-Za-z0-9._-]+$/.test(options.snapshotName)) throw new InspectError(`--dbfilename ${JSON.stringify(options.snapshotName)} is not a plain file name`, 'pass the name as given to open() (dbfilename)');

  const progress = new Progress(values['no-progress'] === true ? false : values.progress === true || process.stderr.isTTY === true);
  const context: Context = { fs: withProgress(nodeFs, progress), out: new Output(progress), progress, options, now: Date.now() };
  const filter: KeyFilter = { match: options.match === null ? null : compileGlob(options.match), type: options.type, includeExpired: options.expired, now: context.now };
  const target = resolveTarget(nodeFs, input);
  try {
    switch (command) {
      case 'info':
        return await info(context, target);
      case 'verify':
        return await verify(context, target);
      case 'dump':
        return await dump(context, target, filter);
      case 'cat':
        return await cat(context, target);
      case 'bigkeys':
        return await bigkeys(context, target, filter);
      case 'fix':
        return await fix(context, target);
    }
  } finally {
    context.out.flush();
    progress.clear();
  }
}

process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  // `emberkv-inspect dump dir | head`: the reader left; stop quietly.
  if (error.code === 'EPIPE') process.exit(EXIT_OK);
  throw error;
});

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (error) {
  if (error instanceof InspectError) {
    process.stderr.write(`emberkv-inspect: ${error.message}\n`);
    process.exitCode = error.exitCode;
  } else {
    const code = (error as NodeJS.ErrnoException).code;
    const what = code !== undefined && /^E[A-Z]+$/.test(code) ? `${(error as Error).message}` : `unexpected error: ${(error as Error).message}`;
    process.stderr.write(`emberkv-inspect: ${what.split('\n')[0]} — ${code === 'ENOENT' ? 'a file went away while it was read (a rewrite?); run the command again' : 'check the path; if it persists, report it with the command you ran'}\n`);
    if (process.env.EMBERKV_DEBUG) process.stderr.write(`${(error as Error).stack}\n`);
    process.exitCode = EXIT_USAGE;
  }
}
