// Where output goes: stdout gathered into large writes, notes on stderr, and the progress bar,
// fed by a file system wrapper that sees every read the library's readers make.

import { basename } from 'node:path';
import type { FileSystem } from '../../lib/fs/fs.ts';
import { formatBytes } from './format.ts';

/** The progress bar appears for work that takes longer than this, redrawn at most this often. */
const PROGRESS_AFTER_MS = 1000;
const PROGRESS_REDRAW_MS = 100;
/** Output is gathered into writes of about this size. */
const OUTPUT_CHUNK_CHARS = 64 * 1024;

/**
 * A bar on stderr for work that takes more than a second: bytes read of bytes to read. Fed by the
 * file system wrapper below, which sees every file the library's readers open and every read.
 */
export class Progress {
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
export function withProgress(fs: FileSystem, progress: Progress): FileSystem {
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
export class Output {
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
export function note(progress: Progress, text: string): void {
  progress.clear();
  process.stderr.write(`emberkv-inspect: ${text}\n`);
}
