// A FileSystem for fault tests: the real one underneath, plus
//   - injected failures: the next N calls of an operation (optionally on matching paths) fail with
//     an errno such as ENOSPC or EIO, or fail until heal();
//   - a crash simulation: every file loses (or keeps garbled) the bytes written since its last
//     fsync, as a power cut would leave it.
// In the spirit of LevelDB's fault_injection_test and SQLite's test6.c.

import type { FileStat, FileSystem } from '../../lib/fs/fs.ts';
import { nodeFs } from '../../lib/fs/node-fs.ts';

export type Operation = 'write' | 'fsync' | 'rename' | 'create' | 'truncate' | 'unlink' | 'read';

interface Fault {
  operation: Operation;
  path: RegExp | null;
  /** Calls to let through before failing. */
  skip: number;
  /** Failures left; Infinity fails until heal(). */
  times: number;
  code: string;
}

function errnoError(code: string, operation: string, path: string): NodeJS.ErrnoException {
  const error = new Error(`${code}: injected failure, ${operation} '${path}'`) as NodeJS.ErrnoException;
  error.code = code;
  return error;
}

export class FaultyFs implements FileSystem {
  private faults: Fault[] = [];
  private paths = new Map<number, string>();
  /** Per path: size known durable (after its last fsync). */
  private synced = new Map<string, number>();
  readonly calls: Array<{ operation: Operation; path: string }> = [];

  /** Fails `times` calls of `operation` (after `skip` successful ones) with `code`. */
  fail(operation: Operation, options: { code?: string; times?: number; skip?: number; path?: RegExp } = {}): void {
    this.faults.push({
      operation,
      path: options.path ?? null,
      skip: options.skip ?? 0,
      times: options.times ?? 1,
      code: options.code ?? 'EIO',
    });
  }

  private dead = false;

  /** The process died: every later call fails, as nothing runs after a crash. */
  kill(): void {
    this.dead = true;
  }

  /** Removes every pending fault. */
  heal(): void {
    this.faults = [];
  }

  private check(operation: Operation, path: string): void {
    if (this.dead) throw errnoError('EBADF', `${operation} after the simulated crash`, path);
    this.calls.push({ operation, path });
    for (const fault of this.faults) {
      if (fault.operation !== operation || (fault.path !== null && !fault.path.test(path))) continue;
      if (fault.skip > 0) {
        fault.skip--;
        continue;
      }
      if (fault.times <= 0) continue;
      fault.times--;
      throw errnoError(fault.code, operation, path);
    }
  }

  private pathOf(fd: number): string {
    return this.paths.get(fd) ?? `fd ${fd}`;
  }

  /**
   * What a power cut leaves: each file written through this fs is cut back to its last synced
   * size, or (garble) keeps its unsynced tail with bytes flipped.
   */
  crash(mode: 'drop' | 'garble' = 'drop'): void {
    for (const [path, size] of this.synced) {
      const stat = nodeFs.statSync(path);
      if (stat === null || stat.size <= size) continue;
      const fd = nodeFs.openAppendSync(path);
      try {
        if (mode === 'drop') nodeFs.truncateSync(fd, size);
        else {
          const tail = Buffer.alloc(stat.size - size);
          nodeFs.readSync(fd, tail, size);
          for (let i = 0; i < tail.length; i += 7) tail[i] ^= 0x5a;
          nodeFs.writeSync(fd, tail, size);
        }
      } finally {
        nodeFs.closeSync(fd);
      }
    }
  }

  openAppendSync(path: string): number {
    const fd = nodeFs.openAppendSync(path);
    this.paths.set(fd, path);
    if (!this.synced.has(path)) this.synced.set(path, nodeFs.fstatSync(fd).size);
    return fd;
  }

  openReadSync(path: string): number {
    this.check('read', path);
    const fd = nodeFs.openReadSync(path);
    this.paths.set(fd, path);
    return fd;
  }

  createSync(path: string): number {
    this.check('create', path);
    const fd = nodeFs.createSync(path);
    this.paths.set(fd, path);
    this.synced.set(path, 0);
    return fd;
  }

  closeSync(fd: number): void {
    nodeFs.closeSync(fd);
    this.paths.delete(fd);
  }

  writeSync(fd: number, bytes: Uint8Array, position: number): void {
    const path = this.pathOf(fd);
    try {
      this.check('write', path);
    } catch (error) {
      // A failing write may still have written part of its bytes, as a full disk does.
      if (bytes.byteLength > 1) nodeFs.writeSync(fd, bytes.subarray(0, bytes.byteLength >> 1), position);
      throw error;
    }
    nodeFs.writeSync(fd, bytes, position);
  }

  async write(fd: number, bytes: Uint8Array, position: number): Promise<void> {
    this.check('write', this.pathOf(fd));
    await nodeFs.write(fd, bytes, position);
  }

  readSync(fd: number, into: Uint8Array, position: number): number {
    return nodeFs.readSync(fd, into, position);
  }

  read(fd: number, into: Uint8Array, position: number): Promise<number> {
    return nodeFs.read(fd, into, position);
  }

  fdatasyncSync(fd: number): void {
    const path = this.pathOf(fd);
    this.check('fsync', path);
    nodeFs.fdatasyncSync(fd);
    this.synced.set(path, nodeFs.fstatSync(fd).size);
  }

  async fdatasync(fd: number): Promise<void> {
    const path = this.pathOf(fd);
    this.check('fsync', path);
    const size = nodeFs.fstatSync(fd).size;
    await nodeFs.fdatasync(fd);
    this.synced.set(path, size);
  }

  truncateSync(fd: number, length: number): void {
    this.check('truncate', this.pathOf(fd));
    nodeFs.truncateSync(fd, length);
    const path = this.pathOf(fd);
    this.synced.set(path, Math.min(this.synced.get(path) ?? length, length));
  }

  fstatSync(fd: number): FileStat {
    return nodeFs.fstatSync(fd);
  }

  statSync(path: string): FileStat | null {
    return nodeFs.statSync(path);
  }

  readdirSync(path: string): string[] {
    return nodeFs.readdirSync(path);
  }

  mkdirSync(path: string): void {
    nodeFs.mkdirSync(path);
  }

  renameSync(from: string, to: string): void {
    this.check('rename', to);
    nodeFs.renameSync(from, to);
    const size = this.synced.get(from);
    this.synced.delete(from);
    if (size !== undefined) this.synced.set(to, size);
  }

  unlinkSync(path: string): void {
    this.check('unlink', path);
    nodeFs.unlinkSync(path);
    this.synced.delete(path);
  }

  async rename(from: string, to: string): Promise<void> {
    this.check('rename', to);
    await nodeFs.rename(from, to);
    const size = this.synced.get(from);
    this.synced.delete(from);
    if (size !== undefined) this.synced.set(to, size);
  }

  async unlink(path: string): Promise<void> {
    this.check('unlink', path);
    await nodeFs.unlink(path);
    this.synced.delete(path);
  }

  readFileSync(path: string): Uint8Array {
    this.check('read', path);
    return nodeFs.readFileSync(path);
  }

  async fsyncDirectory(path: string): Promise<void> {
    this.check('fsync', path);
    await nodeFs.fsyncDirectory(path);
  }

  fsyncDirectorySync(path: string): void {
    this.check('fsync', path);
    nodeFs.fsyncDirectorySync(path);
  }
}
