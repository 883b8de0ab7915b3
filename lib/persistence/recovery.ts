// Opening a data directory: cleaning up after a crash, then rebuilding the keyspace from the files
// the manifest names (docs/FORMAT.md §7, "Recovery", lists these steps).
//
//   1. Delete temp files (*.tmp): a crash during an atomic replace leaves them, never anything else.
//   2. Read the manifest. None: a new store; the first AOF file is created and synced, then the
//      manifest naming it is written (in that order, so a manifest never names a missing file).
//   3. Replay each incremental file in order. A torn tail is allowed only in the last file (only
//      it was being appended to): cut back to the last good frame, with a warning naming the file
//      and the bytes dropped. Damage followed by valid frames, or damage in an earlier file, is
//      corruption: refuse to open with CorruptFileError naming file, offset and the repair command,
//      unless onCorruption is 'truncate': then copy the file aside, cut it at the damage, drop the
//      files after it from the manifest, and warn.
//   4. Delete data files the manifest does not name (left by a crash before a new manifest took
//      effect), so they can never be mistaken for current ones.
//
// Replay runs each record through the command table with the keyspace in loading mode: nothing
// expires and nothing is logged while the log is read back.

import { join } from 'node:path';
import { checkArity, findCommand } from '../commands.ts';
import { CorruptFileError } from '../errors.ts';
import { copyFileDurably } from '../fs/copy-file.ts';
import type { FileSystem } from '../fs/fs.ts';
import type { Keyspace } from '../keyspace/keyspace.ts';
import type { Arg } from '../types.ts';
import { BadHeaderError, type FrameScan, scanFrames } from './check.ts';
import { AOF_VERSION, FILE_HEADER_BYTES, FRAME_BATCH, FRAME_RECORD, FRAME_RECORDS, encodeFileHeader } from './format.ts';
import {
  type Manifest,
  MANIFEST_FILE,
  baseFileName,
  incrFileName,
  readManifestSync,
  sequenceOf,
  writeManifestSync,
} from './manifest.ts';
import { PayloadDecoder } from './record-codec.ts';
import { loadSnapshotFile } from './snapshot-reader.ts';

export type OnCorruption = 'refuse' | 'truncate';

export interface StoreWarning {
  /** Stable identifier: 'torn-tail', 'corruption-truncated', 'aof-write-error', ... */
  code: string;
  message: string;
  file?: string;
  /** Bytes cut from the file, for torn tails and truncations. */
  bytesDropped?: number;
}

export interface RecoveryResult {
  manifest: Manifest;
  /** The file new records go to and its size after any repair. */
  tailFile: string;
  tailBytes: number;
  /** Records replayed. */
  records: number;
  warnings: StoreWarning[];
}

export function inspectCommand(path: string): string {
  return `npx emberkv-inspect fix ${path}`;
}

/** A data file name this code writes (so it may delete ones the manifest no longer names). */
export function isDataFileName(name: string): boolean {
  return /^appendonly\.\d+\.aof$/.test(name) || /^base\.\d+\.rdb$/.test(name);
}

/** A frame that passes its checksum but does not decode or does not apply, at `offset`. */
export class ReplayError extends Error {
  constructor(
    readonly offset: number,
    message: string,
    readonly partial: boolean,
  ) {
    super(message);
  }
}

/** Applies one decoded command to the keyspace; throws a message on failure. */
function applyCommand(ks: Keyspace, name: string, args: Arg[]): void {
  const spec = findCommand(name);
  if (spec === undefined || !spec.write) throw new Error(`unknown or read-only command ${name} in the log`);
  checkArity(spec, args.length);
  spec.run(ks, args);
}

/** Replays one AOF file into the keyspace; returns its scan (with any damage found). */
export async function replayFile(fs: FileSystem, path: string, ks: Keyspace): Promise<FrameScan & { records: number }> {
  const decoder = new PayloadDecoder();
  let records = 0;
  const scan = await scanFrames(fs, path, (bytes, start, end, offset) => {
    const kind = bytes[start];
    if (kind !== FRAME_RECORD && kind !== FRAME_BATCH && kind !== FRAME_RECORDS) return;
    decoder.reset(bytes, start + 1, end);
    if (kind !== FRAME_BATCH) {
      // A record frame (version 1: one record) or a records frame (version 2: one write's records
      // back to back), applied as decoded: the checksum already vouched for all of it, and no
      // arrays are kept. A failure after the first record leaves the keyspace with part of the
      // frame, so onCorruption: 'truncate' cannot cut before it (partial).
      const single = kind === FRAME_RECORD;
      let applied = 0;
      do {
        let args: Arg[];
        try {
          args = decoder.command();
          if (single && !decoder.done) throw new Error('bytes left over after the record');
        } catch (error) {
          throw new ReplayError(offset, `the frame passes its checksum but does not decode: ${(error as Error).message}`, applied > 0);
        }
        try {
          applyCommand(ks, decoder.name, args);
        } catch (error) {
          throw new ReplayError(offset, `record ${JSON.stringify([decoder.name, ...args.slice(0, 2)])}… could not be applied: ${(error as Error).message}`, applied > 0);
        }
        applied++;
      } while (!decoder.done);
      records += applied;
      return;
    }
    // A batch is decoded whole before any of it is applied: all of it, or (if damaged) none.
    const names: string[] = [];
    const batch: Arg[][] = [];
    try {
      const count = decoder.varint();
      for (let i = 0; i < count; i++) {
        batch.push(decoder.command());
        names.push(decoder.name);
      }
      if (!decoder.done) throw new Error('bytes left over after the last record');
    } catch (error) {
      throw new ReplayError(offset, `the frame passes its checksum but does not decode: ${(error as Error).message}`, false);
    }
    for (let i = 0; i < batch.length; i++) {
      try {
        applyCommand(ks, names[i], batch[i]);
      } catch (error) {
        throw new ReplayError(offset, `record ${JSON.stringify([names[i], ...batch[i].slice(0, 2)])}… could not be applied: ${(error as Error).message}`, i > 0);
      }
    }
    records += batch.length;
  });
  return { ...scan, records };
}

/** Copies a file next to itself before a repair, so cut bytes can still be recovered by hand. */
function backup(fs: FileSystem, path: string): string {
  const target = `${path}.corrupt-${Date.now()}`;
  copyFileDurably(fs, path, target);
  return target;
}

/** Loads the snapshot-only layout (appendonly off): the latest snapshot, if there is one. */
export async function recoverSnapshotOnly(fs: FileSystem, dir: string, ks: Keyspace, snapshotName: string): Promise<number> {
  for (const name of fs.readdirSync(dir)) if (name.endsWith('.tmp')) fs.unlinkSync(join(dir, name));
  const path = join(dir, snapshotName);
  if (fs.statSync(path) === null) return 0;
  const info = await loadSnapshotFile(fs, path, ks, {
    skipExpired: true,
    remedy: `Nothing was loaded. A snapshot is renamed into place only once complete, so this is damage: restore ${path} from a backup or inspect it with npx emberkv-inspect verify ${path}.`,
  });
  ks.dirty = 0;
  return info.keys;
}

/** Whether a file holds only zero bytes (or none), as some file systems leave after a power cut. */
export function isAllZero(fs: FileSystem, path: string): boolean {
  const fd = fs.openReadSync(path);
  try {
    const chunk = Buffer.allocUnsafe(64 * 1024);
    for (let at = 0; ; ) {
      const read = fs.readSync(fd, chunk, at);
      if (read === 0) return true;
      for (let i = 0; i < read; i++) if (chunk[i] !== 0) return false;
      at += read;
    }
  } finally {
    fs.closeSync(fd);
  }
}

function rewriteHeader(fs: FileSystem, path: string): void {
  const fd = fs.openAppendSync(path);
  try {
    fs.truncateSync(fd, 0);
    fs.writeSync(fd, encodeFileHeader('aof'), 0);
    fs.fdatasyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

function truncateFile(fs: FileSystem, path: string, length: number): void {
  const fd = fs.openAppendSync(path);
  try {
    fs.truncateSync(fd, length);
    fs.fdatasyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Recovers the directory into `ks` (which must be empty). Creates a new store's first files when
 * there is no manifest.
 */
export async function recoverDirectory(
  fs: FileSystem,
  dir: string,
  ks: Keyspace,
  onCorruption: OnCorruption,
  snapshotName: string,
): Promise<RecoveryResult> {
  const warnings: StoreWarning[] = [];
  const names = fs.readdirSync(dir);
  for (const name of names) if (name.endsWith('.tmp')) fs.unlinkSync(join(dir, name));

  const parsed = readManifestSync(fs, dir);
  if (parsed !== null && !parsed.ok) {
    throw new CorruptFileError(
      join(dir, MANIFEST_FILE),
      0,
      `the manifest is unreadable (${parsed.problem})`,
      'The manifest is replaced atomically, so this is damage to the disk or a file edited by hand; restore it from a backup.',
    );
  }
  let manifest: Manifest;
  if (parsed === null) {
    const leftovers = names.filter(isDataFileName);
    for (const name of leftovers) {
      // Without a manifest, only a header-only first file can exist (a crash before the manifest).
      const stat = fs.statSync(join(dir, name));
      if (stat !== null && stat.size > 16) {
        throw new CorruptFileError(join(dir, MANIFEST_FILE), 0, `the manifest is missing but ${name} holds data`,
          'Restore the manifest from a backup, or inspect the files with npx emberkv-inspect.');
      }
      fs.unlinkSync(join(dir, name));
    }
    manifest = { base: null, incrs: [] };
    // A store that kept only snapshots until now: its latest snapshot becomes the AOF's base.
    if (fs.statSync(join(dir, snapshotName)) !== null) {
      const base = baseFileName(1);
      copyFileDurably(fs, join(dir, snapshotName), join(dir, base));
      manifest = { base, incrs: [] };
      warnings.push({ code: 'snapshot-adopted', message: `${join(dir, snapshotName)} was loaded and kept as the base of the new append-only file` });
    }
  } else {
    manifest = parsed.manifest;
  }

  ks.loading = true;
  let records = 0;
  let tailFile: string | null = null;
  let tailBytes = 0;
  /** The format version of tailFile's header. */
  let tailVersion = AOF_VERSION;
  try {
    if (manifest.base !== null) {
      const path = join(dir, manifest.base);
      if (fs.statSync(path) === null) {
        throw new CorruptFileError(path, 0, 'the manifest names this base file but it is missing', 'Restore it from a backup.');
      }
      // Expired keys load with their expiry: the log after the base may still change them.
      const info = await loadSnapshotFile(fs, path, ks, {
        skipExpired: false,
        remedy: `A base file is written whole before the manifest names it, so this is damage to the disk: restore ${path} from a backup, or inspect it with npx emberkv-inspect verify ${path}.`,
      });
      records += info.keys;
    }
    for (let index = 0; index < manifest.incrs.length; index++) {
      const path = join(dir, manifest.incrs[index]);
      const last = index === manifest.incrs.length - 1;
      if (fs.statSync(path) === null) {
        throw new CorruptFileError(path, 0, 'the manifest names this file but it is missing', 'Restore it from a backup.');
      }
      let scan: FrameScan & { records: number };
      try {
        scan = await replayFile(fs, path, ks);
      } catch (error) {
        if (error instanceof BadHeaderError && last && isAllZero(fs, path)) {
          // Empty or zero-filled: the header never reached the disk. Nothing was in it; start over.
          const dropped = fs.statSync(path)?.size ?? 0;
          rewriteHeader(fs, path);
          warnings.push({
            code: 'torn-tail',
            message: `${path}: the file was ${dropped === 0 ? 'empty' : `${dropped} zero bytes`}; wrote a fresh header (no records were in it)`,
            file: path,
            bytesDropped: dropped,
          });
          tailFile = path;
          tailBytes = FILE_HEADER_BYTES;
          tailVersion = AOF_VERSION;
          continue;
        }
        if (error instanceof BadHeaderError) {
          throw new CorruptFileError(path, 0, error.message, `Check it with npx emberkv-inspect verify ${path}; if it is not an emberkv file, restore the right one.`);
        }
        if (!(error instanceof ReplayError)) throw error;
        if (onCorruption === 'truncate' && !error.partial) {
          // Version unknown here: 1 is the safe guess (new records then go to a new file).
          scan = { kind: 'aof', version: 1, fileBytes: 0, validBytes: error.offset, frames: 0, records: 0, damage: { offset: error.offset, kind: 'corrupt', reason: error.message, nextValidOffset: null } };
        } else {
          throw new CorruptFileError(path, error.offset, error.message, `Run: ${inspectCommand(path)}`);
        }
      }
      records += scan.records;
      tailVersion = scan.version;
      if (scan.damage === null) {
        tailFile = path;
        tailBytes = scan.validBytes;
        continue;
      }
      const { damage } = scan;
      // The last file that holds records may end torn; files after it are empty (a rewrite had
      // created its next file when the crash came, see rewrite.ts).
      const laterEmpty = manifest.incrs.slice(index + 1).every((name) => (fs.statSync(join(dir, name))?.size ?? 0) <= FILE_HEADER_BYTES);
      if (damage.kind === 'torn-tail' && (last || laterEmpty)) {
        const dropped = (fs.statSync(path)?.size ?? damage.offset) - damage.offset;
        truncateFile(fs, path, damage.offset);
        warnings.push({
          code: 'torn-tail',
          message: `${path}: cut a torn tail of ${dropped} bytes at byte ${damage.offset} (${damage.reason}); an interrupted write, nothing complete was lost`,
          file: path,
          bytesDropped: dropped,
        });
        tailFile = path;
        tailBytes = damage.offset;
        continue;
      }
      const why = damage.kind === 'torn-tail' ? `${damage.reason} in a file that is not the last one` : damage.reason;
      if (onCorruption !== 'truncate') {
        throw new CorruptFileError(path, damage.offset, why, `Nothing was loaded. Inspect it with npx emberkv-inspect verify ${path}; to keep everything before the damage, run ${inspectCommand(path)} or open with { onCorruption: 'truncate' }.`);
      }
      const saved = backup(fs, path);
      const dropped = (fs.statSync(path)?.size ?? damage.offset) - damage.offset;
      truncateFile(fs, path, damage.offset);
      // Later files may hold records that depended on the dropped ones: they leave the manifest,
      // but are kept aside under a name no loader reads, never deleted.
      const stamp = Date.now();
      const droppedFiles = manifest.incrs.slice(index + 1).map((name) => `${name}.corrupt-${stamp}`);
      const later = manifest.incrs.slice(index + 1);
      manifest = { base: manifest.base, incrs: manifest.incrs.slice(0, index + 1) };
      writeManifestSync(fs, dir, manifest);
      later.forEach((name, i) => fs.renameSync(join(dir, name), join(dir, droppedFiles[i])));
      if (later.length > 0) fs.fsyncDirectorySync(dir);
      warnings.push({
        code: 'corruption-truncated',
        message:
          `${path} is damaged at byte ${damage.offset} (${why}); opened with everything before it as onCorruption: 'truncate' asks. ` +
          `${dropped} bytes cut (the whole file was copied to ${saved} first)` +
          (droppedFiles.length > 0 ? `; later files no longer loaded, kept as ${droppedFiles.join(', ')}` : ''),
        file: path,
        bytesDropped: dropped,
      });
      tailFile = path;
      tailBytes = damage.offset;
      break;
    }
  } finally {
    ks.loading = false;
    ks.dirty = 0;
  }

  // Data files no manifest names (a rewrite's, cut short) go first, so a new file can take the name.
  const named = new Set([manifest.base, ...manifest.incrs]);
  for (const name of fs.readdirSync(dir)) {
    if (isDataFileName(name) && !named.has(name)) fs.unlinkSync(join(dir, name));
  }

  if (tailFile === null) {
    // A new store (or one adopting a snapshot): its first AOF file, then the manifest naming it.
    const name = incrFileName(manifest.base === null ? 1 : sequenceOf(manifest.base));
    manifest = { base: manifest.base, incrs: [name] };
    tailFile = join(dir, name);
    tailBytes = -1;
  } else if (tailVersion < AOF_VERSION) {
    // Frames of this version never go into an older file, whose header promises what an older
    // emberkv can read: new records go to a new file after it (it stays and loads first).
    const name = incrFileName(nextSequence(manifest));
    manifest = { base: manifest.base, incrs: [...manifest.incrs, name] };
    tailFile = join(dir, name);
    tailBytes = -1;
  }

  return { manifest, tailFile, tailBytes, records, warnings };
}

export function nextSequence(manifest: Manifest): number {
  let highest = 0;
  for (const name of [manifest.base, ...manifest.incrs]) if (name !== null) highest = Math.max(highest, sequenceOf(name));
  return highest + 1;
}

