// Every frame of a file, going on past damage. Loading (recovery.ts) stops at the first bad frame;
// the inspector must name each damaged region and count the good records a repair would drop after
// it, so it walks on.
//
// Built on scanFrames (check.ts), so "damaged at byte N, torn tail or corruption" means exactly what
// it means at open. When damage is followed by a valid frame, the walk goes on from that frame
// (the damage's nextValidOffset). Reading only: nothing here writes, truncates or deletes.

import type { FileSystem } from '../fs/fs.ts';
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
  let first: { kind: FileKind; version: number; fileBytes: number; validBytes: number } | null = null;
  for (;;) {
    const scan = await scanFrames(
      fs,
      path,
      visit === null
        ? null
        : (bytes, start, end, offset, fileBytes) => {
            if (visit(bytes, start, end, offset, fileBytes) !== false) return true;
            stopped = true;
            return false;
          },
      { from },
    );
    frames += scan.frames;
    first ??= { kind: scan.kind, version: scan.version, fileBytes: scan.fileBytes, validBytes: scan.validBytes };
    if (scan.damage === null || stopped) break;
    const resumeAt = scan.damage.kind === 'corrupt' ? scan.damage.nextValidOffset : null;
    const damage: WalkDamage = { ...scan.damage, resumeAt };
    damages.push(damage);
    onDamage?.(damage);
    if (resumeAt === null || resumeAt <= from) break;
    from = resumeAt;
  }
  return { ...first!, frames, damages, stopped };
}
