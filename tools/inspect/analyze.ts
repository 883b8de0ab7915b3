// Reading files end to end, past damage: an AOF's frames decoded and checked as replay would, a
// snapshot's keys counted, a directory's files in load order with each problem classified as open()
// would. info, verify, cat and fix all read through these.

import { join } from 'node:path';
import { checkArity, findCommand } from '../../lib/commands.ts';
import type { FileSystem } from '../../lib/fs/fs.ts';
import { hashCommands } from '../../lib/keyspace/hash.ts';
import { keyCommands } from '../../lib/keyspace/keys.ts';
import type { TypeName } from '../../lib/keyspace/keyspace.ts';
import { stringCommands } from '../../lib/keyspace/string.ts';
import { zsetCommands } from '../../lib/keyspace/zset.ts';
import { BadHeaderError } from '../../lib/persistence/check.ts';
import { walkFrames } from '../../lib/persistence/frame-walk.ts';
import {
  FILE_HEADER_BYTES,
  FRAME_BATCH,
  FRAME_CLOCK,
  FRAME_HEADER_BYTES,
  FRAME_RECORD,
  FRAME_RECORDS,
  SNAPSHOT_TYPE_ZSET,
} from '../../lib/persistence/format.ts';
import { LOCK_DIR, LOCK_OWNER_FILE, LOCK_STALE_MS } from '../../lib/persistence/lock.ts';
import { MANIFEST_FILE, type Manifest, parseManifest } from '../../lib/persistence/manifest.ts';
import { type LoadProblem, isAllZero } from '../../lib/persistence/read-only.ts';
import { PayloadDecoder } from '../../lib/persistence/record-codec.ts';
import { isDataFileName } from '../../lib/persistence/recovery.ts';
import { SNAPSHOT_TYPE_NAMES, type SnapshotFrame, streamSnapshot } from '../../lib/persistence/snapshot-stream.ts';
import type { Arg } from '../../lib/types.ts';
import { InspectError } from './errors.ts';
import { showArg } from './format.ts';
import type { Progress } from './output.ts';
import { INPUT_HINT } from './target.ts';

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

export interface FileProblem {
  offset: number;
  kind: 'torn-tail' | 'corrupt';
  reason: string;
}

/**
 * A frame of records: 'record' (version 1: one), 'records' (written together, one event-loop
 * turn's; each stands alone) or 'batch' (a MULTI/EXEC: all or none). `commands` counts them by
 * command name. `records` holds the records themselves only when a visitor asked for them (cat): a
 * records frame holds up to 4 MB of them (150k small SETs), and keeping them, or even a name per
 * record, while counting doubled verify's memory.
 */
type AofFrame =
  | { kind: 'record'; commands: Map<string, number>; records: Arg[][] | null }
  | { kind: 'records'; commands: Map<string, number>; records: Arg[][] | null }
  | { kind: 'batch'; commands: Map<string, number>; records: Arg[][] | null }
  | { kind: 'clock'; ms: number }
  /** A frame replay skips that does not belong in an AOF (a snapshot frame, a malformed clock). */
  | { kind: 'odd'; frameKind: number; reason: string };

/** Why replay would refuse this record, or null: the checks replayFile makes before running it. */
function recordProblem(name: Arg, argc: number): string | null {
  if (typeof name !== 'string') return 'the record does not start with a command name';
  const spec = findCommand(name);
  if (spec === undefined || !spec.write) return `unknown or read-only command ${name} in the log`;
  try {
    checkArity(spec, argc - 1);
  } catch (error) {
    return (error as Error).message;
  }
  return null;
}

/** Decodes one AOF frame payload; throws an Error saying why replay would refuse it. */
function decodeAofFrame(decoder: PayloadDecoder, bytes: Buffer, start: number, end: number, keepRecords: boolean): AofFrame {
  const kind = bytes[start];
  decoder.reset(bytes, start + 1, end);
  if (kind === FRAME_RECORD || kind === FRAME_RECORDS || kind === FRAME_BATCH) {
    const commands = new Map<string, number>();
    const records: Arg[][] | null = keepRecords ? [] : null;
    // A record replay could not apply is reported only if the whole frame decodes (a decoding
    // failure anywhere in it is the frame's first problem).
    let refused: string | null = null;
    const take = (): void => {
      const record = decoder.record();
      records?.push(record);
      if (refused !== null) return;
      const problem = recordProblem(record[0], record.length);
      if (problem !== null) refused = `record ${showArg(record[0], false)} could not be applied: ${problem}`;
      else commands.set(record[0] as string, (commands.get(record[0] as string) ?? 0) + 1);
    };
    try {
      if (kind === FRAME_RECORD) take();
      else if (kind === FRAME_RECORDS) do take(); while (!decoder.done);
      else for (let i = decoder.varint(); i > 0; i--) take();
      if (!decoder.done) throw new Error(kind === FRAME_RECORD ? 'bytes left over after the record' : 'bytes left over after the last record');
    } catch (error) {
      throw new Error(`the frame passes its checksum but does not decode: ${(error as Error).message}`);
    }
    if (refused !== null) throw new Error(refused);
    return { kind: kind === FRAME_RECORD ? 'record' : kind === FRAME_RECORDS ? 'records' : 'batch', commands, records };
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

export interface AofReport {
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

// What both reports start from: the file as it stands, before a byte is read.
function fileFacts(fs: FileSystem, path: string): { path: string; version: number; fileBytes: number; modifiedMs: number } {
  const stat = fs.statSync(path);
  return { path, version: 0, fileBytes: stat?.size ?? 0, modifiedMs: stat?.mtimeMs ?? 0 };
}

/**
 * Reads an AOF from end to end, past damage: counts, time span, and every problem, classified as
 * scanFrames classifies it (a file-level view: whether a torn tail is allowed here is the
 * directory's question). `visit` sees each frame that decodes; `onProblem` each problem, in order.
 */
export async function analyzeAof(fs: FileSystem, path: string, visit?: AofVisitor, onProblem?: (problem: FileProblem) => void): Promise<AofReport> {
  const report: AofReport = {
    kind: 'aof',
    ...fileFacts(fs, path),
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
          frame = decodeAofFrame(decoder, bytes, start, end, visit !== undefined);
        } catch (error) {
          problem({ offset, kind: 'corrupt', reason: (error as Error).message });
          return;
        }
        const past = report.cut !== null;
        if (past) report.dropped.frames++;
        else report.loadedFrames++;
        if ('commands' in frame) {
          if (frame.kind === 'batch' && !past) report.batches++;
          for (const [name, n] of frame.commands) {
            if (past) {
              report.dropped.records += n;
              report.dropped.commands.set(name, (report.dropped.commands.get(name) ?? 0) + n);
            } else {
              report.records += n;
              report.commands.set(name, (report.commands.get(name) ?? 0) + n);
              report.recordsByType[RECORD_TYPES.get(name.toUpperCase()) ?? 'keyspace'] += n;
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

export interface SnapshotReport {
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

export async function analyzeSnapshot(fs: FileSystem, path: string, now: number, visit?: (frame: SnapshotFrame, offset: number) => void): Promise<SnapshotReport> {
  const report: SnapshotReport = {
    kind: 'snapshot',
    ...fileFacts(fs, path),
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

export interface LockHolder {
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

export type AtOpen = LoadProblem['atOpen'] | 'not-loaded';

export interface DirectoryProblem extends FileProblem {
  file: string;
  /** What open() does: cut a torn tail, write a fresh header, refuse, or nothing (a file it does not load). */
  atOpen: AtOpen;
}

export interface DirectoryFile {
  name: string;
  path: string;
  /** base: the manifest's base (or a snapshot adopted as one); incr; snapshot: not loaded. */
  role: 'base' | 'incr' | 'snapshot';
  report: AofReport | SnapshotReport | null;
}

export interface DirectoryReport {
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
export async function analyzeDirectory(fs: FileSystem, dir: string, snapshotName: string, now: number, progress: Progress, only?: string): Promise<DirectoryReport> {
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
