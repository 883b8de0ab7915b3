// The manifest: which files hold the store's data, in load order (docs/FORMAT.md §6). Loading is:
// the base snapshot if there is one, then each incremental AOF file in order. The manifest is the
// only file that says which files are current, so it is replaced atomically (temp file, fsync,
// rename, fsync the directory) and a file is created and synced before any manifest names it.
//
// Text, one entry per line, ending with a checksum line over everything before it:
//   emberkv-manifest 1
//   base base.3.rdb
//   incr appendonly.3.aof
//   incr appendonly.4.aof
//   crc32 9f0c21aa

import { crc32 } from 'node:zlib';
import type { FileSystem } from '../fs/fs.ts';
import { join } from 'node:path';

export const MANIFEST_FILE = 'manifest';
export const MANIFEST_VERSION = 1;
const HEADER = 'emberkv-manifest';

export interface Manifest {
  /** The base snapshot file name, or null when the AOF starts from an empty store. */
  base: string | null;
  /** Incremental AOF file names in replay order; the last one is the one being appended to. */
  incrs: string[];
}

/** Sequence number in a data file's name (appendonly.7.aof, base.7.rdb). */
export function sequenceOf(name: string): number {
  const match = /\.(\d+)\.(aof|rdb)$/.exec(name);
  return match === null ? 0 : Number(match[1]);
}

export function incrFileName(sequence: number): string {
  return `appendonly.${sequence}.aof`;
}

export function baseFileName(sequence: number): string {
  return `base.${sequence}.rdb`;
}

export function encodeManifest(manifest: Manifest): string {
  let text = `${HEADER} ${MANIFEST_VERSION}\n`;
  if (manifest.base !== null) text += `base ${manifest.base}\n`;
  for (const incr of manifest.incrs) text += `incr ${incr}\n`;
  return `${text}crc32 ${crc32(text).toString(16).padStart(8, '0')}\n`;
}

export type ManifestParse = { ok: true; manifest: Manifest } | { ok: false; problem: string };

const FILE_NAME = /^[A-Za-z0-9._-]+$/;

export function parseManifest(text: string): ManifestParse {
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  const last = lines.pop();
  const checksum = last === undefined ? null : /^crc32 ([0-9a-f]{8})$/.exec(last);
  if (checksum === null) return { ok: false, problem: 'the last line is not a crc32 line (truncated?)' };
  const body = lines.map((line) => `${line}\n`).join('');
  if (crc32(body) !== parseInt(checksum[1], 16)) return { ok: false, problem: 'the checksum does not match the content' };
  const header = lines.shift();
  const version = header === undefined ? null : new RegExp(`^${HEADER} (\\d+)$`).exec(header);
  if (version === null) return { ok: false, problem: 'it does not start with an emberkv manifest header' };
  if (Number(version[1]) > MANIFEST_VERSION) {
    return { ok: false, problem: `manifest version ${version[1]} is newer than this emberkv reads; upgrade emberkv` };
  }
  const manifest: Manifest = { base: null, incrs: [] };
  for (const line of lines) {
    const [kind, name, ...rest] = line.split(' ');
    if (rest.length > 0 || name === undefined || !FILE_NAME.test(name)) return { ok: false, problem: `bad line "${line}"` };
    if (kind === 'base' && manifest.base === null && manifest.incrs.length === 0) manifest.base = name;
    else if (kind === 'incr') manifest.incrs.push(name);
    else return { ok: false, problem: `unexpected line "${line}"` };
  }
  if (manifest.incrs.length === 0 && manifest.base === null) return { ok: false, problem: 'it names no files' };
  return { ok: true, manifest };
}

/**
 * Replaces a small file atomically: write a temp file, fsync it, rename it over the target, fsync
 * the directory. After a crash at any point the target holds the old or the new content, whole.
 */
export function writeFileAtomicSync(fs: FileSystem, dir: string, name: string, content: Uint8Array): void {
  const temporary = join(dir, `${name}.tmp`);
  if (fs.statSync(temporary) !== null) fs.unlinkSync(temporary);
  const fd = fs.createSync(temporary);
  try {
    fs.writeSync(fd, content, 0);
    fs.fdatasyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(temporary, join(dir, name));
  fs.fsyncDirectorySync(dir);
}

/** writeFileAtomicSync with its fsyncs off the main thread (the rename itself is quick). */
export async function writeFileAtomic(fs: FileSystem, dir: string, name: string, content: Uint8Array): Promise<void> {
  const temporary = join(dir, `${name}.tmp`);
  if (fs.statSync(temporary) !== null) fs.unlinkSync(temporary);
  const fd = fs.createSync(temporary);
  try {
    await fs.write(fd, content, 0);
    await fs.fdatasync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(temporary, join(dir, name));
  await fs.fsyncDirectory(dir);
}

export function writeManifest(fs: FileSystem, dir: string, manifest: Manifest): Promise<void> {
  return writeFileAtomic(fs, dir, MANIFEST_FILE, Buffer.from(encodeManifest(manifest), 'utf8'));
}

export function writeManifestSync(fs: FileSystem, dir: string, manifest: Manifest): void {
  writeFileAtomicSync(fs, dir, MANIFEST_FILE, Buffer.from(encodeManifest(manifest), 'utf8'));
}

/** The manifest in dir, null when there is none; throws with the problem when it is damaged. */
export function readManifestSync(fs: FileSystem, dir: string): ManifestParse | null {
  const path = join(dir, MANIFEST_FILE);
  if (fs.statSync(path) === null) return null;
  return parseManifest(Buffer.from(fs.readFileSync(path)).toString('utf8'));
}
