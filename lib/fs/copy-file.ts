// A durable copy: when it returns, the copy's bytes and its directory entry are on disk. Recovery
// uses it to set a damaged file aside and to adopt a snapshot as a base; the inspector to back a
// file up before repairing it. Either way the original must not be touched until the copy is safe.
import { dirname } from 'node:path';
import type { FileSystem } from './fs.ts';

const CHUNK_BYTES = 1024 * 1024;

/** Copies `from` to the new file `to` (which must not exist), then syncs the copy and its directory. */
export function copyFileDurably(fs: FileSystem, from: string, to: string): void {
  const source = fs.openReadSync(from);
  try {
    const fd = fs.createSync(to);
    try {
      const chunk = Buffer.allocUnsafe(CHUNK_BYTES);
      for (let at = 0; ; ) {
        const read = fs.readSync(source, chunk, at);
        if (read === 0) break;
        fs.writeSync(fd, chunk.subarray(0, read), at);
        at += read;
      }
      fs.fdatasyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  } finally {
    fs.closeSync(source);
  }
  fs.fsyncDirectorySync(dirname(to));
}
