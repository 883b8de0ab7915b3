// The append-only file writer: the keyspace's record sink when a store has a directory.
//
// Ordering, and why (after Redis's flushAppendOnlyFile):
//   1. A command changes memory, then hands its record here; the record is encoded into a buffer.
//      No I/O happens inside the command (except with appendfsync 'always').
//   2. At the end of the event-loop turn (setImmediate), or at once when the buffer passes
//      AOF_BUFFER_BYTES_MAX, the buffer is written to the file with one positional write(2) on the
//      main thread. From then on a process crash (SIGKILL included) loses nothing: the bytes are in
//      the OS. Writes land at an explicit offset, so a failed partial write is simply overwritten
//      by its retry.
//   3. 'everysec': once a second, fdatasync runs off the main thread (libuv's pool). Power loss can
//      lose the writes since the last completed fsync: about one second. 'always': write and
//      fdatasync before the command returns. 'no': the OS decides when to flush.
//   4. Written bytes are kept until an fsync covers them. If an fsync fails, the kernel may have
//      dropped those pages, so the retry cuts the file back to the last synced size and writes the
//      kept bytes again before syncing (a failed fsync is never retried blindly). So that this copy
//      stays small, an everysec fsync also starts as soon as AOF_UNSYNCED_BYTES_MAX are waiting
//      for one (Redis fsyncs its rewrites every 4 MB for the same kind of reason).
// Failures: a failed write or fsync makes the store refuse writes (the caller's onWriteError), keeps
// every accepted record, and retries once a second; the first success lets writes in again.

import type { FileSystem } from '../fs/fs.ts';
import { StorageIOError } from '../errors.ts';
import type { LogRecord, RecordSink } from '../keyspace/keyspace.ts';
import type { Value } from '../types.ts';
import { encodeFileHeader } from './format.ts';
import { FrameEncoder } from './record-codec.ts';
import { UnsyncedTail } from './unsynced-tail.ts';

export type AppendFsync = 'everysec' | 'always' | 'no';

/** A turn's buffer is written early once it holds this much. */
export const AOF_BUFFER_BYTES_MAX = 4 * 1024 * 1024;
export const AOF_FSYNC_INTERVAL_MS = 1000;
/**
 * 'everysec' fsyncs before the second is up once this many written bytes wait for it. Under a
 * heavy write load a second's bytes (tens of MB) were kept in fresh memory, and allocating it cost
 * everysec SET about a fifth of its rate (bench/RESULTS.md); a bounded copy is recycled instead.
 */
export const AOF_UNSYNCED_BYTES_MAX = 8 * 1024 * 1024;
export const AOF_RETRY_INTERVAL_MS = 1000;
/** A clock frame is written at most this often (for the inspector's time span). */
export const AOF_CLOCK_INTERVAL_MS = 1000;

export interface AofHooks {
  /** A write or fsync failed: refuse writes until onRecovered. */
  onWriteError(error: StorageIOError): void;
  onRecovered(): void;
  /** Milliseconds since the epoch, for clock frames. */
  now(): number;
}

export interface AofStatus {
  aof_last_write_status: 'ok' | 'err';
  aof_last_write_error: string | null;
  /** Bytes in the file being appended to, written to the OS. */
  aof_file_size: number;
  /** Bytes accepted but not yet written to the OS. */
  aof_pending_bytes: number;
  /** Bytes written but not yet covered by an fsync. */
  aof_unsynced_bytes: number;
  /** Times an fsync was due while the previous one was still running (the disk is slow). */
  aof_delayed_fsync: number;
  /** When the last fsync completed, ms since the epoch (0: never). */
  aof_last_fsync_ms: number;
  aof_fsync_policy: AppendFsync;
}

export class AppendOnlyFile implements RecordSink {
  private readonly encoder = new FrameEncoder();
  private size: number;
  private syncedSize: number;
  /** Bytes written since syncedSize, kept to write again if an fsync fails. */
  private readonly unsynced = new UnsyncedTail();
  private flushScheduled = false;
  private fsyncRunning: Promise<void> | null = null;
  private fsyncStartedMs = 0;
  private fsyncTimer: NodeJS.Timeout | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  /** True after a failed fsync until the unsynced bytes were written and synced again. */
  private fsyncFailed = false;
  private lastClockMs = 0;
  private closed = false;
  private lastError: StorageIOError | null = null;
  private delayedFsyncs = 0;
  private lastFsyncMs = 0;

  private constructor(
    private readonly fs: FileSystem,
    readonly path: string,
    private fd: number,
    size: number,
    public policy: AppendFsync,
    private readonly hooks: AofHooks,
  ) {
    this.size = size;
    this.syncedSize = size;
  }

  /** Creates a new AOF file with its header, synced (the caller syncs the directory). */
  static create(fs: FileSystem, path: string, policy: AppendFsync, hooks: AofHooks): AppendOnlyFile {
    let fd: number;
    try {
      fd = fs.createSync(path);
      const header = encodeFileHeader('aof');
      fs.writeSync(fd, header, 0);
      fs.fdatasyncSync(fd);
      return new AppendOnlyFile(fs, path, fd, header.byteLength, policy, hooks);
    } catch (error) {
      throw new StorageIOError(path, 'create the append-only file', error);
    }
  }

  /**
   * Creates a new AOF file with its header off the main thread: header written, fdatasynced, the
   * directory fsynced. For the rewrite, which prepares its next file while writes go on.
   */
  static async createAsync(fs: FileSystem, dir: string, path: string, policy: AppendFsync, hooks: AofHooks): Promise<AppendOnlyFile> {
    let fd = -1;
    try {
      fd = fs.createSync(path);
      const header = encodeFileHeader('aof');
      await fs.write(fd, header, 0);
      await fs.fdatasync(fd);
      await fs.fsyncDirectory(dir);
      return new AppendOnlyFile(fs, path, fd, header.byteLength, policy, hooks);
    } catch (error) {
      if (fd !== -1) fs.closeSync(fd);
      throw new StorageIOError(path, 'create the append-only file', error);
    }
  }

  /** Opens an existing AOF to append after its first `size` bytes (the caller checked them). */
  static resume(fs: FileSystem, path: string, size: number, policy: AppendFsync, hooks: AofHooks): AppendOnlyFile {
    try {
      const fd = fs.openAppendSync(path);
      return new AppendOnlyFile(fs, path, fd, size, policy, hooks);
    } catch (error) {
      throw new StorageIOError(path, 'open the append-only file', error);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // The sink

  append(record: LogRecord): void {
    this.beforeAppend();
    this.encoder.runRecord(record);
    this.afterAppend();
  }

  appendSet(key: string, value: Value): void {
    this.beforeAppend();
    this.encoder.runSet(key, value);
    this.afterAppend();
  }

  appendBatch(records: LogRecord[]): void {
    this.beforeAppend();
    this.encoder.batch(records);
    this.afterAppend();
  }

  private beforeAppend(): void {
    if (this.encoder.length !== 0) return;
    // First record of this turn: stamp the time if a second has passed, and plan the write.
    const now = this.hooks.now();
    if (now - this.lastClockMs >= AOF_CLOCK_INTERVAL_MS) {
      this.lastClockMs = now;
      this.encoder.clock(now);
    }
    if (!this.flushScheduled && this.policy !== 'always') {
      this.flushScheduled = true;
      setImmediate(this.endOfTurn);
    }
  }

  private afterAppend(): void {
    if (this.policy === 'always') {
      // The command returns only once its record is durable; a new failure is thrown to it. While
      // already failing, records wait for the retry (the store refuses writes meanwhile).
      if (this.lastError !== null) return;
      if (this.writePending()) this.syncNow();
      if (this.lastError !== null) throw this.lastError;
    } else if (this.encoder.length >= AOF_BUFFER_BYTES_MAX) {
      this.writePending();
    }
  }

  private readonly endOfTurn = (): void => {
    this.flushScheduled = false;
    if (this.closed) return;
    if (this.writePending() && this.policy === 'everysec') this.planFsync();
  };

  // ---------------------------------------------------------------------------------------------
  // Writing

  /** Writes the buffered frames at the end of the file. Returns false (and starts retries) on failure. */
  private writePending(): boolean {
    if (this.fsyncFailed) return false; // the retry writes everything once the file is repaired
    if (this.encoder.length === 0) return true;
    const bytes = this.encoder.view();
    try {
      this.fs.writeSync(this.fd, bytes, this.size);
    } catch (error) {
      this.fail(new StorageIOError(this.path, 'write to the append-only file', error));
      return false;
    }
    this.size += bytes.byteLength;
    if (this.policy !== 'no') this.unsynced.append(bytes);
    this.encoder.clear();
    if (this.lastError !== null && !this.fsyncFailed) this.recovered();
    return true;
  }

  /**
   * everysec: start an fsync now if a second has passed since the last or AOF_UNSYNCED_BYTES_MAX
   * wait for one, else arm a timer.
   */
  private planFsync(): void {
    if (this.size === this.syncedSize && this.unsynced.length === 0) return;
    if (this.fsyncRunning !== null) {
      if (this.hooks.now() - this.fsyncStartedMs >= 2 * AOF_FSYNC_INTERVAL_MS) this.delayedFsyncs++;
      return;
    }
    const wait = this.unsynced.length >= AOF_UNSYNCED_BYTES_MAX ? 0 : this.fsyncStartedMs + AOF_FSYNC_INTERVAL_MS - Date.now();
    if (wait <= 0) {
      void this.startFsync();
    } else if (this.fsyncTimer === null) {
      this.fsyncTimer = setTimeout(() => {
        this.fsyncTimer = null;
        if (!this.closed) this.planFsync();
      }, wait);
      this.fsyncTimer.unref();
    }
  }

  /** An fdatasync off the main thread covering everything written so far. */
  private startFsync(): Promise<void> {
    const target = this.size;
    const covered = this.unsynced.length;
    this.fsyncStartedMs = Date.now();
    const running = this.fs.fdatasync(this.fd).then(
      () => {
        this.synced(target, covered);
      },
      (error: unknown) => {
        this.fsyncFailed = true;
        this.fail(new StorageIOError(this.path, 'fsync the append-only file', error));
      },
    );
    this.fsyncRunning = running.finally(() => {
      this.fsyncRunning = null;
      if (!this.closed && this.policy === 'everysec' && !this.fsyncFailed) this.planFsync();
    });
    return this.fsyncRunning;
  }

  /** 'always' and the error paths: fdatasync on the main thread. */
  private syncNow(): void {
    if (this.size === this.syncedSize) return;
    try {
      this.fs.fdatasyncSync(this.fd);
      this.synced(this.size, this.unsynced.length);
    } catch (error) {
      this.fsyncFailed = true;
      this.fail(new StorageIOError(this.path, 'fsync the append-only file', error));
    }
  }

  /** An fsync made the file durable up to `target`, which covers the first `covered` kept bytes. */
  private synced(target: number, covered: number): void {
    this.syncedSize = target;
    this.unsynced.drop(covered);
    this.lastFsyncMs = Date.now();
  }

  // ---------------------------------------------------------------------------------------------
  // Failures

  private fail(error: StorageIOError): void {
    const first = this.lastError === null;
    this.lastError = error;
    if (first) this.hooks.onWriteError(error);
    this.scheduleRetry();
  }

  private scheduleRetry(): void {
    if (this.retryTimer !== null || this.closed) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (!this.closed) this.retry();
    }, AOF_RETRY_INTERVAL_MS);
    this.retryTimer.unref();
  }

  /** One attempt to get back to a sound file; returns whether it worked. */
  private retry(): boolean {
    if (this.fsyncFailed && !this.repairAfterFailedFsync()) {
      this.scheduleRetry();
      return false;
    }
    if (!this.writePending()) return false;
    if (this.policy !== 'no') this.syncNow();
    if (this.fsyncFailed) return false;
    this.recovered();
    return true;
  }

  /** Cuts the file back to what an fsync confirmed and writes the kept bytes again, synced. */
  private repairAfterFailedFsync(): boolean {
    try {
      this.fs.truncateSync(this.fd, this.syncedSize);
      const kept = this.unsynced.view();
      this.fs.writeSync(this.fd, kept, this.syncedSize);
      const at = this.syncedSize + kept.byteLength;
      this.fs.fdatasyncSync(this.fd);
      this.size = at;
      this.synced(at, this.unsynced.length);
      this.fsyncFailed = false;
      return true;
    } catch (error) {
      this.lastError = new StorageIOError(this.path, 'rewrite the unsynced tail of the append-only file', error);
      return false;
    }
  }

  private recovered(): void {
    if (this.lastError === null) return;
    this.lastError = null;
    this.hooks.onRecovered();
  }

  // ---------------------------------------------------------------------------------------------
  // Flush, close, status

  /** Writes and fsyncs everything accepted so far; throws StorageIOError if the disk refuses. */
  async flush(): Promise<void> {
    if (this.fsyncRunning !== null) await this.fsyncRunning;
    if (this.lastError !== null && !this.retry()) throw this.lastError;
    if (!this.writePending()) throw this.lastError!;
    if (this.size !== this.syncedSize || this.unsynced.length !== 0) await this.startFsync();
    if (this.lastError !== null) throw this.lastError;
  }

  /** Flushes, then closes the file. On failure the file stays open so close can be retried. */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.flush();
    this.closed = true;
    if (this.fsyncTimer !== null) clearTimeout(this.fsyncTimer);
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    this.fs.closeSync(this.fd);
  }

  /** Drops the file without flushing (a store that failed to open). */
  abandon(): void {
    this.closed = true;
    if (this.fsyncTimer !== null) clearTimeout(this.fsyncTimer);
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    try {
      this.fs.closeSync(this.fd);
    } catch {
      // Already unusable; nothing more to release.
    }
  }

  /** Writes the turn's buffer now; false if the write failed (the failure is being handled). */
  writeNow(): boolean {
    return this.writePending();
  }

  /**
   * Writes what is buffered and fdatasyncs on the main thread: the rewrite's switch, after an async
   * flush, so only the few records accepted since are synced here. Returns false on failure.
   */
  syncTail(): boolean {
    if (!this.writePending()) return false;
    this.syncNow();
    return this.lastError === null;
  }

  /**
   * Stops being the sink's file: writes what is buffered, then syncs and closes, retrying once a
   * second while the disk refuses (writes stay refused meanwhile, through the hooks). Resolves
   * when everything this file accepted is durable.
   */
  async retire(): Promise<void> {
    for (;;) {
      try {
        await this.flush();
        break;
      } catch {
        await new Promise((resolve) => setTimeout(resolve, AOF_RETRY_INTERVAL_MS));
      }
    }
    this.closed = true;
    if (this.fsyncTimer !== null) clearTimeout(this.fsyncTimer);
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    this.fs.closeSync(this.fd);
  }

  get currentSize(): number {
    return this.size;
  }

  status(): AofStatus {
    return {
      aof_last_write_status: this.lastError === null ? 'ok' : 'err',
      aof_last_write_error: this.lastError?.message ?? null,
      aof_file_size: this.size,
      aof_pending_bytes: this.encoder.length,
      aof_unsynced_bytes: this.size - this.syncedSize,
      aof_delayed_fsync: this.delayedFsyncs,
      aof_last_fsync_ms: this.lastFsyncMs,
      aof_fsync_policy: this.policy,
    };
  }
}
