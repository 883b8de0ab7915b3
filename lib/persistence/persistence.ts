// A store's persistence: the directory lock, recovery at open, the AOF behind the keyspace's record
// seam, and snapshots (bgsave, save rules). The Store owns one when opened with a directory.
//
// One background job at a time (a snapshot now, the AOF rewrite later): they share the keyspace's
// single copy-on-write view. A second request while one runs is refused at once with Redis's
// "already in progress" error; save rules simply try again on their next check.

import { join } from 'node:path';
import { ReplyError, type StorageIOError } from '../errors.ts';
import type { FileSystem } from '../fs/fs.ts';
import { nodeFs } from '../fs/node-fs.ts';
import type { Keyspace } from '../keyspace/keyspace.ts';
import { type AofStatus, type AppendFsync, AppendOnlyFile } from './aof.ts';
import { DirectoryLock } from './lock.ts';
import { type Manifest, writeManifestSync } from './manifest.ts';
import { type OnCorruption, type StoreWarning, recoverDirectory, recoverSnapshotOnly } from './recovery.ts';
import { type SnapshotResult, type SliceHook, writeSnapshotFile } from './snapshot.ts';
import { EMBERKV_VERSION } from '../version.ts';

export type SaveRule = readonly [seconds: number, changes: number];

export interface PersistenceOptions {
  /** Log every write to an append-only file. Default true. */
  appendonly?: boolean;
  /** When the AOF is fsynced: 'everysec' (default), 'always' (before each write returns), 'no'. */
  appendfsync?: AppendFsync;
  /** Damage in the middle of a file: 'refuse' to open (default), or 'truncate' to open with what precedes it. */
  onCorruption?: OnCorruption;
  /** The snapshot file's name in the directory. Default 'dump.rdb'. */
  dbfilename?: string;
  /**
   * Save rules, as Redis's `save <seconds> <changes>`: a snapshot starts when at least `changes`
   * writes happened and more than `seconds` passed since the last one. Default
   * [[3600, 1], [300, 100], [60, 10000]]; [] turns them off.
   */
  save?: readonly SaveRule[];
  /**
   * After a failed snapshot, refuse writes (MISCONF) until one succeeds, while save rules are on.
   * Default true, as Redis. For a pure cache whose data can be rebuilt, false keeps it writable.
   */
  stopWritesOnBgsaveError?: boolean;
  /** The file system; tests pass a faulty one. */
  fs?: FileSystem;
}

export const DEFAULT_SAVE_RULES: readonly SaveRule[] = [
  [3600, 1],
  [300, 100],
  [60, 10000],
];
/** After a failed snapshot, save rules wait this long before trying again (Redis: 5 s). */
export const SAVE_RETRY_DELAY_MS = 5000;
const SAVE_RULES_CHECK_MS = 1000;

/** Which part of persistence refuses writes; each is lifted on its own. */
export type RefusalSource = 'aof' | 'snapshot' | 'lock';

export interface PersistenceHooks {
  warn(warning: StoreWarning): void;
  refuseWrites(source: RefusalSource, message: string): void;
  allowWrites(source: RefusalSource): void;
}

export interface PersistenceStatus extends Partial<AofStatus> {
  aof_enabled: 0 | 1;
  loading_records: number;
  rdb_changes_since_last_save: number;
  rdb_bgsave_in_progress: 0 | 1;
  /** Unix time (seconds) of the last successful save, or of the open. */
  rdb_last_save_time: number;
  rdb_last_bgsave_status: 'ok' | 'err';
  rdb_last_bgsave_time_sec: number;
  rdb_last_cow_size: number;
  rdb_saves: number;
}

function checkOptions(options: PersistenceOptions): void {
  const rules = options.save;
  if (rules !== undefined) {
    if (!Array.isArray(rules)) throw new TypeError('save: expected an array of [seconds, changes] pairs');
    for (const rule of rules) {
      if (!Array.isArray(rule) || rule.length !== 2 || !rule.every((n) => Number.isInteger(n) && n >= 0)) {
        throw new TypeError(`save: each rule is [seconds, changes] with integers >= 0, got ${JSON.stringify(rule)}`);
      }
    }
  }
  if (options.appendfsync !== undefined && !['everysec', 'always', 'no'].includes(options.appendfsync)) {
    throw new TypeError(`appendfsync: expected 'everysec', 'always' or 'no', got ${JSON.stringify(options.appendfsync)}`);
  }
  if (options.onCorruption !== undefined && !['refuse', 'truncate'].includes(options.onCorruption)) {
    throw new TypeError(`onCorruption: expected 'refuse' or 'truncate', got ${JSON.stringify(options.onCorruption)}`);
  }
  if (options.dbfilename !== undefined && !/^[A-Za-z0-9._-]+$/.test(options.dbfilename)) {
    throw new TypeError(`dbfilename: a plain file name (letters, digits, . _ -), got ${JSON.stringify(options.dbfilename)}`);
  }
}

export class Persistence {
  private aof: AppendOnlyFile | null = null;
  private manifest: Manifest = { base: null, incrs: [] };
  private loadedRecords = 0;
  private job: { kind: 'bgsave' | 'rewrite'; promise: Promise<unknown> } | null = null;
  private readonly snapshotName: string;
  private saveRules: readonly SaveRule[];
  private readonly stopWritesOnBgsaveError: boolean;
  private saveTimer: NodeJS.Timeout | null = null;
  private lastSaveMs: number;
  private lastBgsaveStatus: 'ok' | 'err' = 'ok';
  private lastBgsaveFailMs = 0;
  private lastBgsaveDurationMs = -1;
  private lastCowBytes = 0;
  private saves = 0;
  private closed = false;
  /** Test hook: runs between snapshot slices. */
  betweenSlices: SliceHook | undefined;

  private constructor(
    readonly dir: string,
    private readonly fs: FileSystem,
    private readonly lock: DirectoryLock,
    private readonly ks: Keyspace,
    private readonly hooks: PersistenceHooks,
    options: PersistenceOptions,
  ) {
    this.snapshotName = options.dbfilename ?? 'dump.rdb';
    this.saveRules = options.save ?? DEFAULT_SAVE_RULES;
    this.stopWritesOnBgsaveError = options.stopWritesOnBgsaveError ?? true;
    this.lastSaveMs = ks.now();
  }

  /** Locks dir, recovers its data into ks, and starts logging. Returns warnings from recovery. */
  static async open(
    dir: string,
    ks: Keyspace,
    options: PersistenceOptions,
    hooks: PersistenceHooks,
  ): Promise<{ persistence: Persistence; warnings: StoreWarning[] }> {
    checkOptions(options);
    const fs = options.fs ?? nodeFs;
    fs.mkdirSync(dir);
    const lock = await DirectoryLock.acquire(dir, (error) => {
      hooks.warn({ code: 'lock-compromised', message: `the lock on ${dir} was lost (${error.message}); writes are refused so two stores never write the same files` });
      hooks.refuseWrites('lock', `MISCONF the lock on ${dir} was lost; close the store and open it again`);
    });
    const persistence = new Persistence(dir, fs, lock, ks, hooks, options);
    try {
      const warnings = await persistence.start(options);
      persistence.startSaveRules();
      return { persistence, warnings };
    } catch (error) {
      persistence.aof?.abandon();
      await lock.release();
      throw error;
    }
  }

  private async start(options: PersistenceOptions): Promise<StoreWarning[]> {
    const ks = this.ks;
    if (options.appendonly === false) {
      this.loadedRecords = await recoverSnapshotOnly(this.fs, this.dir, ks, this.snapshotName);
      return [];
    }
    const recovered = await recoverDirectory(this.fs, this.dir, ks, options.onCorruption ?? 'refuse', this.snapshotName);
    this.manifest = recovered.manifest;
    this.loadedRecords = recovered.records;
    const policy = options.appendfsync ?? 'everysec';
    const hooks = {
      onWriteError: (error: StorageIOError) => {
        this.hooks.warn({ code: 'aof-write-error', message: `${error.message}; writes are refused until the disk accepts them again (retried every second)`, file: error.file });
        this.hooks.refuseWrites('aof', `MISCONF Errors writing to the AOF file: ${error.message}`);
      },
      onRecovered: () => {
        this.hooks.warn({ code: 'aof-write-recovered', message: `writing to ${this.dir} works again; writes are accepted` });
        this.hooks.allowWrites('aof');
      },
      now: () => ks.now(),
    };
    if (recovered.tailBytes === -1) {
      this.aof = AppendOnlyFile.create(this.fs, recovered.tailFile, policy, hooks);
      this.fs.fsyncDirectorySync(this.dir);
      writeManifestSync(this.fs, this.dir, this.manifest);
    } else {
      this.aof = AppendOnlyFile.resume(this.fs, recovered.tailFile, recovered.tailBytes, policy, hooks);
    }
    ks.sink = this.aof;
    return recovered.warnings;
  }

  // ---------------------------------------------------------------------------------------------
  // Snapshots

  /**
   * Writes a snapshot of the keyspace as it is now to the snapshot file, in the background.
   * Rejects at once with Redis's error if a background job is running.
   */
  bgsave(): Promise<SnapshotResult> {
    if (this.closed) return Promise.reject(new ReplyError('ERR the store is closing'));
    if (this.job !== null) {
      return Promise.reject(
        new ReplyError(
          this.job.kind === 'bgsave'
            ? 'ERR Background save already in progress'
            : "ERR Background append only file rewriting in progress: can't BGSAVE right now",
        ),
      );
    }
    const promise = this.runBgsave();
    this.job = { kind: 'bgsave', promise };
    return promise.finally(() => {
      this.job = null;
    });
  }

  private async runBgsave(): Promise<SnapshotResult> {
    const dirtyAtStart = this.ks.dirty;
    try {
      const result = await writeSnapshotFile(
        this.fs,
        this.dir,
        this.snapshotName,
        this.ks,
        { createdMs: this.ks.now(), version: EMBERKV_VERSION },
        { betweenSlices: this.betweenSlices },
      );
      this.ks.dirty -= dirtyAtStart;
      this.lastSaveMs = this.ks.now();
      this.lastBgsaveStatus = 'ok';
      this.lastBgsaveDurationMs = result.durationMs;
      this.lastCowBytes = result.cowBytes;
      this.saves++;
      this.hooks.allowWrites('snapshot');
      return result;
    } catch (error) {
      this.lastBgsaveStatus = 'err';
      this.lastBgsaveFailMs = this.ks.now();
      const message = (error as Error).message;
      const refuse = this.stopWritesOnBgsaveError && this.saveRules.length > 0;
      this.hooks.warn({
        code: 'bgsave-error',
        message: `the snapshot failed: ${message}${refuse ? '; writes are refused until a snapshot succeeds (stopWritesOnBgsaveError)' : ''}`,
        file: join(this.dir, this.snapshotName),
      });
      if (refuse) {
        this.hooks.refuseWrites(
          'snapshot',
          `MISCONF emberkv is configured to save snapshots, but the last one failed (${message}). Writes are refused until a snapshot succeeds (stopWritesOnBgsaveError); reads go on.`,
        );
      }
      throw error;
    }
  }

  private startSaveRules(): void {
    this.saveTimer = setInterval(() => this.checkSaveRules(), SAVE_RULES_CHECK_MS);
    this.saveTimer.unref();
  }

  /** Starts a snapshot if a save rule says so; exposed for tests that drive time. */
  checkSaveRules(): void {
    if (this.job !== null || this.closed || this.saveRules.length === 0) return;
    const now = this.ks.now();
    if (this.lastBgsaveStatus === 'err' && now - this.lastBgsaveFailMs < SAVE_RETRY_DELAY_MS) return;
    const due = this.saveRules.some(([seconds, changes]) => this.ks.dirty >= changes && now - this.lastSaveMs > seconds * 1000);
    if (due) this.bgsave().catch(() => {});
  }

  get lastsave(): number {
    return Math.floor(this.lastSaveMs / 1000);
  }

  // ---------------------------------------------------------------------------------------------
  // Flush, close, status

  /** Writes and fsyncs everything accepted so far. */
  async flush(): Promise<void> {
    await this.aof?.flush();
  }

  /**
   * Waits for a background job, flushes, closes the files and releases the directory. Without an
   * AOF, a final snapshot keeps what changed since the last one. Throws (staying open) on failure.
   */
  async close(): Promise<void> {
    if (this.job !== null) await this.job.promise.catch(() => {});
    if (this.aof === null && this.ks.dirty > 0) await this.bgsave();
    this.closed = true;
    if (this.saveTimer !== null) clearInterval(this.saveTimer);
    try {
      await this.aof?.close();
    } catch (error) {
      this.closed = false;
      this.startSaveRules();
      throw error;
    }
    if (this.ks.sink === this.aof) this.ks.sink = null;
    await this.lock.release();
  }

  status(): PersistenceStatus {
    const aof = this.aof?.status();
    return {
      aof_enabled: this.aof === null ? 0 : 1,
      loading_records: this.loadedRecords,
      ...aof,
      rdb_changes_since_last_save: this.ks.dirty,
      rdb_bgsave_in_progress: this.job?.kind === 'bgsave' ? 1 : 0,
      rdb_last_save_time: this.lastsave,
      rdb_last_bgsave_status: this.lastBgsaveStatus,
      rdb_last_bgsave_time_sec: this.lastBgsaveDurationMs < 0 ? -1 : Math.round(this.lastBgsaveDurationMs / 1000),
      rdb_last_cow_size: this.lastCowBytes,
      rdb_saves: this.saves,
    };
  }

  get files(): Manifest {
    return this.manifest;
  }
}
