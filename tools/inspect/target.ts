// Input: what the path on the command line is (a data directory, an AOF or a snapshot, by its
// header, not its name), and the store a lone file belongs to.

import { basename, dirname, join, resolve } from 'node:path';
import type { FileSystem } from '../../lib/fs/fs.ts';
import { readFileHeader } from '../../lib/persistence/frame-walk.ts';
import { AOF_MAGIC, MAGIC_BYTES, SNAPSHOT_MAGIC } from '../../lib/persistence/format.ts';
import { MANIFEST_FILE, type Manifest, parseManifest } from '../../lib/persistence/manifest.ts';
import { InspectError } from './errors.ts';

export const INPUT_HINT = 'pass a data directory (the one given to open()), an appendonly.N.aof file or a .rdb snapshot';

export type Target =
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
export function storeOf(fs: FileSystem, path: string): { dir: string; manifest: Manifest; role: 'aof' | 'snapshot' } | null {
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
export function resolveTarget(fs: FileSystem, input: string): Target {
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

export function requireSoundHeader(target: Target): void {
  if (target.kind !== 'directory' && target.headerProblem !== null) {
    throw new InspectError(`${target.path}: the file header is damaged (${target.headerProblem})`, `run emberkv-inspect verify ${target.path}`);
  }
}
