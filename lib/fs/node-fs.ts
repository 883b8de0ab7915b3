// The real file system: node:fs, nothing added. The only module that imports node:fs (the lock,
// via proper-lockfile, is the one other user of the disk).

import * as fs from 'node:fs';
import type { FileStat, FileSystem } from './fs.ts';

function statOf(stats: fs.Stats): FileStat {
  return { size: stats.size, mtimeMs: stats.mtimeMs, isDirectory: stats.isDirectory() };
}

function writeAllSync(fd: number, bytes: Uint8Array, position: number): void {
  let done = 0;
  while (done < bytes.byteLength) {
    done += fs.writeSync(fd, bytes, done, bytes.byteLength - done, position + done);
  }
}

export const nodeFs: FileSystem = {
  openAppendSync: (path) => fs.openSync(path, fs.constants.O_RDWR | fs.constants.O_CREAT),
  openReadSync: (path) => fs.openSync(path, 'r'),
  createSync: (path) => fs.openSync(path, 'wx'),
  closeSync: (fd) => fs.closeSync(fd),

  writeSync: writeAllSync,
  write: async (fd, bytes, position) => {
    let done = 0;
    while (done < bytes.byteLength) {
      const { bytesWritten } = await new Promise<{ bytesWritten: number }>((resolve, reject) =>
        fs.write(fd, bytes, done, bytes.byteLength - done, position + done, (error, bytesWritten) =>
          error ? reject(error) : resolve({ bytesWritten }),
        ),
      );
      done += bytesWritten;
    }
  },
  readSync: (fd, into, position) => fs.readSync(fd, into, 0, into.byteLength, position),
  read: (fd, into, position) =>
    new Promise((resolve, reject) =>
      fs.read(fd, into, 0, into.byteLength, position, (error, bytesRead) => (error ? reject(error) : resolve(bytesRead))),
    ),

  fdatasyncSync: (fd) => fs.fdatasyncSync(fd),
  fdatasync: (fd) => new Promise((resolve, reject) => fs.fdatasync(fd, (error) => (error ? reject(error) : resolve()))),
  truncateSync: (fd, length) => fs.ftruncateSync(fd, length),
  fstatSync: (fd) => statOf(fs.fstatSync(fd)),

  statSync: (path) => {
    const stats = fs.statSync(path, { throwIfNoEntry: false });
    return stats === undefined ? null : statOf(stats);
  },
  readdirSync: (path) => fs.readdirSync(path),
  mkdirSync: (path) => void fs.mkdirSync(path, { recursive: true }),
  renameSync: (from, to) => fs.renameSync(from, to),
  unlinkSync: (path) => fs.unlinkSync(path),
  rename: (from, to) => new Promise((resolve, reject) => fs.rename(from, to, (error) => (error ? reject(error) : resolve()))),
  unlink: (path) => new Promise((resolve, reject) => fs.unlink(path, (error) => (error ? reject(error) : resolve()))),
  readFileSync: (path) => fs.readFileSync(path),
  fsyncDirectory: (path) =>
    new Promise((resolve, reject) =>
      fs.open(path, 'r', (openError, fd) => {
        if (openError) return reject(openError);
        fs.fsync(fd, (syncError) => fs.close(fd, () => (syncError ? reject(syncError) : resolve())));
      }),
    ),
  fsyncDirectorySync: (path) => {
    const fd = fs.openSync(path, 'r');
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  },
};
