// Every frame of a file, going on past damage. Loading (recovery.ts) stops at the first bad frame;
// the inspector must name each damaged region and count the good records a repair would drop after
// it, so it walks on.
//
// Built on scanFrames (check.ts), so "damaged at byte N, torn tail or corruption" means exactly what
// it means at open. When damage is followed by a valid frame, the walk resumes there by scanning a
// window of the file: a read-only FileSystem view whose bytes are the file's 16-byte header and then
// the file from the resume offset on. Offsets handed out (to the visitor, in damages) are always
// offsets in the real file. Reading only: nothing here writes, truncates or deletes.

import type { FileStat, FileSystem } from '../fs/fs.ts';
import { type FrameDamage, type FrameVisitor, scanFrames } from './check.ts';
import { FILE_HEADER_BYTES, type FileKind, type HeaderCheck, checkFileHeader } from './format.ts';

export interface WalkDamage extends FrameDamage {
  /** Where the walk went on (the next valid frame), or null when it stopped here. */
  resumeAt: number | null;
}

export interface FrameWalk {
  kind: FileKind;
  version: number;
  fileBytes: number;
  /** Good frames, in every stretch of the file. */
  frames: number;
  /** Offset just past the first run of good frames: where a repair cuts when there is damage. */
  validBytes: number;
  /** Every damaged region, in file order; the first is the one loading stops at. */
  damages: WalkDamage[];
  /** True when the visitor stopped the walk early. */
  stopped: boolean;
}

/** The header of the file at path and its size, without reading further. */
export function readFileHeader(fs: FileSystem, path: string): { header: HeaderCheck; bytes: Buffer; fileBytes: number } {
  const fd = fs.openReadSync(path);
  try {
    const fileBytes = fs.fstatSync(fd).size;
    const bytes = Buffer.alloc(FILE_HEADER_BYTES);
    let read = 0;
    while (read < FILE_HEADER_BYTES) {
      const got = fs.readSync(fd, bytes.subarray(read), read);
      if (got === 0) break;
      read += got;
    }
    return { header: checkFileHeader(bytes.subarray(0, read)), bytes: bytes.subarray(0, read), fileBytes };
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * A view of the file as if it began at `from`: `header` (a copy of the real one) at bytes 0..15,
 * then file byte `from` at view byte 16. Only the calls scanFrames makes are mapped; the view is
 * never written through.
 */
function windowFs(fs: FileSystem, header: Buffer, from: number): FileSystem {
  const shift = from - FILE_HEADER_BYTES;
  return {
    ...fs,
    fstatSync: (fd: number): FileStat => {
      const stat = fs.fstatSync(fd);
      return { ...stat, size: Math.max(FILE_HEADER_BYTES, stat.size - shift) };
    },
    readSync: (fd: number, into: Uint8Array, position: number): number => {
      if (position >= FILE_HEADER_BYTES) return fs.readSync(fd, into, position + shift);
      const fromHeader = Math.min(into.byteLength, FILE_HEADER_BYTES - position);
      into.set(header.subarray(position, position + fromHeader));
      if (fromHeader === into.byteLength) return fromHeader;
      return fromHeader + fs.readSync(fd, into.subarray(fromHeader), from);
    },
  };
}

/**
 * scanFrames words mid-file damage as "..., and a valid frame follows at byte N" (check.ts). That
 * offset is where the walk resumes; null if the wording ever changes (the walk then stops at the
 * damage, which is still reported).
 */
const FOLLOWS = /a valid frame follows at byte (\d+)/;

/**
 * Visits every good frame of the file, in order, including those after damage, and reports every
 * damaged region, also to onDamage as it is met (after the frames before it, before those after).
 * Throws BadHeaderError (check.ts) when the file header is missing or wrong.
 */
export async function walkFrames(
  fs: FileSystem,
  path: string,
  visit: FrameVisitor | null,
  onDamage?: (damage: WalkDamage) => void,
): Promise<FrameWalk> {
  const damages: WalkDamage[] = [];
  let frames = 0;
  let stopped = false;
  let from = FILE_HEADER_BYTES;
  let header: Buffer | null = null;
  let first: { kind: FileKind; version: number; fileBytes: number; validBytes: number } | null = null;
  for (;;) {
    const shift = from - FILE_HEADER_BYTES;
    const view = shift === 0 ? fs : windowFs(fs, header!, from);
    const scan = await scanFrames(
      view,
      path,
      visit === null
        ? null
        : (bytes, start, end, offset) => {
            if (visit(bytes, start, end, offset + shift) !== false) return true;
            stopped = true;
            return false;
          },
    );
    frames += scan.frames;
    if (first === null) {
      first = { kind: scan.kind, version: scan.version, fileBytes: scan.fileBytes, validBytes: scan.validBytes };
      header = readFileHeader(fs, path).bytes;
    }
    if (scan.damage === null || stopped) break;
    const follows = FOLLOWS.exec(scan.damage.reason);
    const resumeAt = scan.damage.kind === 'corrupt' && follows !== null ? Number(follows[1]) + shift : null;
    const damage: WalkDamage = {
      offset: scan.damage.offset + shift,
      kind: scan.damage.kind,
      reason: follows === null ? scan.damage.reason : scan.damage.reason.replace(FOLLOWS, `a valid frame follows at byte ${resumeAt}`),
      resumeAt,
    };
    damages.push(damage);
    onDamage?.(damage);
    if (resumeAt === null || resumeAt <= from) break;
    from = resumeAt;
  }
  return { ...first!, frames, damages, stopped };
}
