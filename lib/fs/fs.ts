// The file-system interface every byte on disk goes through. Only node-fs.ts touches node:fs;
// tests swap in a faulty implementation (spec/support/faulty-fs.ts) that fails chosen writes,
// fsyncs or renames, or simulates a crash that loses what was not yet synced.
//
// File descriptors are plain numbers. Sync calls are used where the caller must not yield (the
// AOF's end-of-turn write, 'always' fsync); async ones where the work belongs off the main thread
// (the everysec fdatasync, snapshot writes).

export interface FileStat {
  size: number;
  mtimeMs: number;
  isDirectory: boolean;
}

export interface FileSystem {
  /** Opens for appending writes and reads, creating the file if missing. */
  openAppendSync(path: string): number;
  /** Opens read-only. */
  openReadSync(path: string): number;
  /** Creates a new file for writing; fails if it exists. */
  createSync(path: string): number;
  closeSync(fd: number): void;

  /** Writes all of bytes at position; throws on a short write after writing what it could. */
  writeSync(fd: number, bytes: Uint8Array, position: number): void;
  write(fd: number, bytes: Uint8Array, position: number): Promise<void>;
  readSync(fd: number, into: Uint8Array, position: number): number;
  read(fd: number, into: Uint8Array, position: number): Promise<number>;

  fdatasyncSync(fd: number): void;
  fdatasync(fd: number): Promise<void>;
  truncateSync(fd: number, length: number): void;
  fstatSync(fd: number): FileStat;

  statSync(path: string): FileStat | null;
  readdirSync(path: string): string[];
  mkdirSync(path: string): void;
  renameSync(from: string, to: string): void;
  unlinkSync(path: string): void;
  /**
   * Off the main thread, for files that may be big: replacing or deleting a file frees its blocks
   * inside the call (ext4 here: about 150 ms for a 600 MB file, bench/RESULTS.md).
   */
  rename(from: string, to: string): Promise<void>;
  unlink(path: string): Promise<void>;
  readFileSync(path: string): Uint8Array;
  /** fsync on a directory, so a rename or a new file in it is durable. */
  fsyncDirectorySync(path: string): void;
  fsyncDirectory(path: string): Promise<void>;
}
