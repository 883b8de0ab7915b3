// Loading a data directory without changing it: the keyspace open() would load, for the inspector's
// dump and bigkeys, which must work while an app has the directory open and must never cut, delete
// or rewrite a file.
//
// The steps of recoverDirectory (recovery.ts, docs/FORMAT.md §7), through the same functions
// (loadSnapshotFile for the base, replayFile for each incremental file), with every write left out:
//   - temp files are left alone (open deletes them; they never hold data that loads);
//   - no lock is taken: a store appending meanwhile only adds frames past the size read at the start
//     (or leaves a write in progress, which reads as a torn tail);
//   - a torn tail is not cut: replay stops before it, exactly where open() would cut;
//   - an empty or zero-filled last file (open gives it a fresh header) loads as empty;
//   - damage that open() refuses stops loading there: the keyspace holds everything before it, what
//     `onCorruption: 'truncate'` would open with;
//   - with no manifest, the snapshot (dump.rdb) is the data, as open() would adopt it.
// Each departure from a clean load is a LoadProblem saying what open() does about it.

import { join } from 'node:path';
import { CorruptFileError } from '../errors.ts';
import type { FileSystem } from '../fs/fs.ts';
import type { Keyspace } from '../keyspace/keyspace.ts';
import { BadHeaderError } from './check.ts';
import { FILE_HEADER_BYTES } from './format.ts';
import { type Manifest, MANIFEST_FILE, readManifestSync } from './manifest.ts';
import { isAllZero, isDataFileName, ReplayError, replayFile } from './recovery.ts';

export { isAllZero };
import { loadSnapshotFile } from './snapshot-reader.ts';

export interface LoadProblem {
  file: string;
  offset: number;
  kind: 'torn-tail' | 'corrupt';
  reason: string;
  /** What open() does about it: cut the torn tail, give an empty last file a header, or refuse. */
  atOpen: 'cut' | 'fresh-header' | 'refuse';
}

export interface LoadedFile {
  path: string;
  role: 'base' | 'incr';
  /** Records replayed (incr) or keys read (base). */
  items: number;
  /** Bytes that loaded: up to the first problem. */
  loadedBytes: number;
  fileBytes: number;
}

export interface ReadOnlyLoad {
  /** The manifest, or a stand-in for a directory that has none yet (a snapshot-only store). */
  manifest: Manifest | null;
  files: LoadedFile[];
  problems: LoadProblem[];
  /** True when open() would refuse: the keyspace is then only what precedes the first refusal. */
  refuses: boolean;
}

/** The directory holds no store: no manifest, no snapshot, no data file. */
export class NoStoreError extends Error {}

/** An error replayFile throws for a frame that decodes badly or does not apply: it has an offset. */
function replayOffset(error: unknown): number | null {
  return error instanceof ReplayError ? error.offset : null;
}

/**
 * Replays one AOF file into ks without changing it. `allowTornTail`: whether open() would cut a
 * torn tail here (the last file holding records) or refuse. Returns the file's problems.
 */
export async function replayFileReadOnly(
  fs: FileSystem,
  path: string,
  ks: Keyspace,
  options: { last: boolean; allowTornTail: boolean },
): Promise<{ file: LoadedFile; problems: LoadProblem[] }> {
  const fileBytes = fs.statSync(path)?.size ?? 0;
  const file: LoadedFile = { path, role: 'incr', items: 0, loadedBytes: 0, fileBytes };
  try {
    const scan = await replayFile(fs, path, ks);
    file.items = scan.records;
    file.loadedBytes = scan.validBytes;
    if (scan.damage === null) return { file, problems: [] };
    const cut = scan.damage.kind === 'torn-tail' && options.allowTornTail;
    const reason = scan.damage.kind === 'torn-tail' && !cut ? `${scan.damage.reason} in a file that is not the last one` : scan.damage.reason;
    return { file, problems: [{ file: path, offset: scan.damage.offset, kind: cut ? 'torn-tail' : 'corrupt', reason, atOpen: cut ? 'cut' : 'refuse' }] };
  } catch (error) {
    if (error instanceof BadHeaderError) {
      if (options.last && isAllZero(fs, path)) {
        const reason = fileBytes === 0 ? 'the file is empty' : `the file is ${fileBytes} zero bytes`;
        return { file, problems: [{ file: path, offset: 0, kind: 'torn-tail', reason: `${reason}: its header never reached the disk`, atOpen: 'fresh-header' }] };
      }
      return { file, problems: [{ file: path, offset: 0, kind: 'corrupt', reason: error.message, atOpen: 'refuse' }] };
    }
    const offset = replayOffset(error);
    if (offset === null) throw error;
    file.loadedBytes = offset;
    return { file, problems: [{ file: path, offset, kind: 'corrupt', reason: (error as Error).message, atOpen: 'refuse' }] };
  }
}

/**
 * Loads the store in dir into ks (which must be empty) as open() would, changing nothing on disk.
 * Throws NoStoreError when the directory holds no store.
 */
export async function loadDirectoryReadOnly(
  fs: FileSystem,
  dir: string,
  ks: Keyspace,
  options: { snapshotName?: string } = {},
): Promise<ReadOnlyLoad> {
  const snapshotName = options.snapshotName ?? 'dump.rdb';
  const result: ReadOnlyLoad = { manifest: null, files: [], problems: [], refuses: false };
  const refuse = (problem: LoadProblem): ReadOnlyLoad => {
    result.problems.push(problem);
    result.refuses = true;
    return result;
  };

  const parsed = readManifestSync(fs, dir);
  if (parsed !== null && !parsed.ok) {
    return refuse({ file: join(dir, MANIFEST_FILE), offset: 0, kind: 'corrupt', reason: `the manifest is unreadable (${parsed.problem})`, atOpen: 'refuse' });
  }
  let manifest: Manifest;
  if (parsed === null) {
    const names = fs.readdirSync(dir);
    for (const name of names.filter(isDataFileName)) {
      if ((fs.statSync(join(dir, name))?.size ?? 0) > FILE_HEADER_BYTES) {
        return refuse({ file: join(dir, MANIFEST_FILE), offset: 0, kind: 'corrupt', reason: `the manifest is missing but ${name} holds data`, atOpen: 'refuse' });
      }
    }
    const hasSnapshot = fs.statSync(join(dir, snapshotName)) !== null;
    // A crash before the first manifest leaves only a header-only file: a new, empty store.
    if (!hasSnapshot && !names.some(isDataFileName)) {
      throw new NoStoreError(`no emberkv store in ${dir}: no ${MANIFEST_FILE}, no ${snapshotName}, no appendonly.N.aof`);
    }
    // open() adopts the snapshot as the base of a new append-only file (or, with appendonly off,
    // loads it on its own, leaving out expired keys, which expire at once anyway).
    manifest = { base: hasSnapshot ? snapshotName : null, incrs: [] };
  } else {
    manifest = parsed.manifest;
  }
  result.manifest = manifest;

  ks.loading = true;
  try {
    if (manifest.base !== null) {
      const path = join(dir, manifest.base);
      const fileBytes = fs.statSync(path)?.size ?? null;
      if (fileBytes === null) return refuse({ file: path, offset: 0, kind: 'corrupt', reason: 'the manifest names this base file but it is missing', atOpen: 'refuse' });
      try {
        // Expired keys load with their expiry: the log after the base may still change them.
        const info = await loadSnapshotFile(fs, path, ks, { skipExpired: false, remedy: '' });
        result.files.push({ path, role: 'base', items: info.keys, loadedBytes: fileBytes, fileBytes });
      } catch (error) {
        if (!(error instanceof CorruptFileError)) throw error;
        return refuse({ file: path, offset: error.offset, kind: 'corrupt', reason: error.check, atOpen: 'refuse' });
      }
    }
    for (let index = 0; index < manifest.incrs.length; index++) {
      const path = join(dir, manifest.incrs[index]);
      if (fs.statSync(path) === null) return refuse({ file: path, offset: 0, kind: 'corrupt', reason: 'the manifest names this file but it is missing', atOpen: 'refuse' });
      const last = index === manifest.incrs.length - 1;
      // As recovery.ts: the last file that holds records may end torn; the files after it are empty.
      const laterEmpty = manifest.incrs.slice(index + 1).every((name) => (fs.statSync(join(dir, name))?.size ?? 0) <= FILE_HEADER_BYTES);
      const { file, problems } = await replayFileReadOnly(fs, path, ks, { last, allowTornTail: last || laterEmpty });
      result.files.push(file);
      result.problems.push(...problems);
      if (problems.some((problem) => problem.atOpen === 'refuse')) {
        result.refuses = true;
        return result;
      }
    }
    return result;
  } finally {
    ks.loading = false;
    ks.dirty = 0;
  }
}
