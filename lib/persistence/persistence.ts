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
import { type RewriteResult, type RewriteStep, rewriteAof } from './rewrite.ts';
import { EMBERKV_VERSION } from '../version.ts';
import { parseMemory } from '../server/config.ts';

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
  /**
   * Rewrite the AOF in the background when it has grown by this percentage since the last rewrite
   * (or since open) and is over autoAofRewriteMinSize, as Redis's auto-aof-rewrite-percentage.
   * Default 100; 0 turns it off.
   */
  autoAofRewritePercentage?: number;
  /** Bytes (or '64mb'-style) the AOF must exceed before it is rewritten automatically. Default 64 MB. */
  autoAofRewriteMinSize?: number | string;
  /** The file system; tests pass a faulty one. */
  fs?: FileSystem;
}

export const DEFAULT_SAVE_RULES: readonly SaveRule[] = [
  [3600, 1],
  [300, 100],
  [60, 10000],
];
/** After three failed automatic rewrites in a row, wait 1, 2, 4 ... 60 minutes between tries. */
export const REWRITE_BACKOFF_AFTER_FAILURES = 3;
export const REWRITE_BACKOFF_MAX_MS = 60 * 60 * 1000;

/** Sizes given as bytes or with Redis's units ('64mb' = 64 * 1024^2, '64m' = 64 * 10^6). */
export function parseBytes(value: number | string, name: string): number {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return value;
  const bytes = typeof value === 'string' ? parseMemory(value.trim()) : null;
  if (bytes === null) throw new TypeError(`${name}: expected bytes as a non-negative integer or a string like '64mb', got ${JSON.stringify(value)}`);
  return bytes;
}

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
  aof_rewrite_in_progress: 0 | 1;
  aof_rewrites: number;
  aof_last_bgrewrite_status: 'ok' | 'err';
  /** Bytes of the base and incremental files at the last rewrite (or at open). */
  aof_base_size: number;
  /** Bytes of the base and incremental files now (what automatic rewrites compare). */
  aof_current_size: number;
  aof_last_cow_size: number;
  aof_last_rewrite_time_sec: number;
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
  /** The settings CONFIG SET may change while the store runs. */
  readonly settings: {
    saveRules: readonly SaveRule[];
    stopWritesOnBgsaveError: boolean;
    rewritePercentage: number;
    rewriteMinBytes: number;
  };
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
  /** Test hook: runs at each step of a rewrite (see rewrite.ts). */
  rewriteFaultPoint: ((step: RewriteStep) => void | Promise<void>) | undefined;
  private policy: AppendFsync = 'everysec';
  private aofHooks: Parameters<typeof AppendOnlyFile.create>[3] | null = null;
  private aofBaseBytes = 0;
  private rewrites = 0;
  private lastRewriteStatus: 'ok' | 'err' = 'ok';
  private rewriteFailuresInRow = 0;
  private rewriteRetryAtMs = 0;
  private lastRewriteCowBytes = 0;
  private lastRewriteDurationMs = -1;

  private constructor(
    readonly dir: string,
    private readonly fs: FileSystem,
    private readonly lock: DirectoryLock,
    private readonly ks: Keyspace,
    private readonly hooks: PersistenceHooks,
    options: PersistenceOptions,
  ) {
    this.snapshotName = options.dbfilename ?? 'dump.rdb';
    this.settings = {
      saveRules: options.save ?? DEFAULT_SAVE_RULES,
      stopWritesOnBgsaveError: options.stopWritesOnBgsaveError ?? true,
      rewritePercentage: options.autoAofRewritePercentage ?? 100,
      rewriteMinBytes: parseBytes(options.autoAofRewriteMinSize ?? 64 * 1024 * 1024, 'autoAofRewriteMinSize'),
    };
    this.lastSaveMs = ks.now();
    if (!Number.isInteger(this.settings.rewritePercentage) || this.settings.rewritePercentage < 0) {
      throw new TypeError(`autoAofRewritePercentage: expected an integer >= 0, got ${this.settings.rewritePercentage}`);
    }
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
    this.policy = policy;
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
    this.aofHooks = hooks;
    this.aofBaseBytes = this.aofTotalBytes();
    return recovered.warnings;
  }

  /** Bytes of every file the manifest names (the current one as written so far). */
  private aofTotalBytes(): number {
    let total = 0;
    for (const name of [this.manifest.base, ...this.manifest.incrs]) {
      if (name === null) continue;
      total += name === this.manifest.incrs.at(-1) && this.aof !== null ? this.aof.currentSize : (this.fs.statSync(join(this.dir, name))?.size ?? 0);
    }
    return total;
  }

  // ---------------------------------------------------------------------------------------------
  // AOF rewrite

  /**
   * Rewrites the AOF in the background: a base snapshot of the keyspace as it is at this call plus
   * a fresh incremental file replace every file before them (rewrite.ts). Rejects at once with
   * Redis's error if a background job is running.
   */
  bgrewriteaof(): Promise<RewriteResult> {
    const refusal = this.jobRefusal('rewrite');
    if (refusal !== null) return Promise.reject(refusal);
    const promise = this.runRewrite();
    this.job = { kind: 'rewrite', promise };
    return promise.finally(() => {
      this.job = null;
    });
  }

  /** Why a background job cannot start now (Redis's texts), or null when it can. */
  jobRefusal(kind: 'bgsave' | 'rewrite'): ReplyError | null {
    if (this.closed) return new ReplyError('ERR the store is closing');
    if (kind === 'rewrite' && this.aof === null) return new ReplyError('ERR the append-only file is off (appendonly: false)');
    if (this.job === null) return null;
    if (kind === 'bgsave') {
      return new ReplyError(
        this.job.kind === 'bgsave' ? 'ERR Background save already in progress' : "ERR Background append only file rewriting in progress: can't BGSAVE right now",
      );
    }
    return new ReplyError(
      this.job.kind === 'rewrite'
        ? 'ERR Background append only file rewriting already in progress'
        : 'ERR Background save in progress: the rewrite can run once it finishes',
    );
  }

  /** The fsync policy now; CONFIG SET appendfsync changes it for the file being written. */
  get appendfsync(): AppendFsync {
    return this.policy;
  }

  setAppendfsync(policy: AppendFsync): void {
    this.policy = policy;
    if (this.aof !== null) this.aof.policy = policy;
  }

  get snapshotFile(): string {
    return this.snapshotName;
  }

  private async runRewrite(): Promise<RewriteResult> {
    const fs = this.fs;
    try {
      const result = await rewriteAof({
        fs,
        dir: this.dir,
        ks: this.ks,
        manifest: () => this.manifest,
        setManifest: (manifest) => {
          this.manifest = manifest;
        },
        current: () => this.aof!,
        createNext: (path) => AppendOnlyFile.createAsync(fs, this.dir, path, this.policy, this.aofHooks!),
        switchTo: (next) => {
          this.aof = next;
          this.ks.sink = next;
        },
        faultPoint: this.rewriteFaultPoint,
        betweenSlices: this.betweenSlices,
      });
      this.rewrites++;
      this.lastRewriteStatus = 'ok';
      this.rewriteFailuresInRow = 0;
      this.lastRewriteCowBytes = result.cowBytes;
      this.lastRewriteDurationMs = result.durationMs;
      this.aofBaseBytes = this.aofTotalBytes();
      return result;
    } catch (error) {
      this.lastRewriteStatus = 'err';
      this.rewriteFailuresInRow++;
      if (this.rewriteFailuresInRow >= REWRITE_BACKOFF_AFTER_FAILURES) {
        const delay = Math.min(REWRITE_BACKOFF_MAX_MS, 60_000 * 2 ** (this.rewriteFailuresInRow - REWRITE_BACKOFF_AFTER_FAILURES));
        this.rewriteRetryAtMs = this.ks.now() + delay;
      }
      this.hooks.warn({ code: 'rewrite-error', message: `the AOF rewrite failed: ${(error as Error).message}; the previous files stay in charge` });
      throw error;
    }
  }

  /** Starts an automatic rewrite if the AOF grew enough; exposed for tests. */
  checkRewrite(): void {
    if (this.job !== null || this.closed || this.aof === null || this.settings.rewritePercentage === 0) return;
    if (this.rewriteRetryAtMs > this.ks.now()) return;
    const total = this.aofTotalBytes();
    if (total <= this.settings.rewriteMinBytes) return;
    const base = Math.max(1, this.aofBaseBytes);
    const growth = Math.floor((total * 100) / base) - 100;
    if (growth >= this.settings.rewritePercentage) this.bgrewriteaof().catch(() => {});
  }

  // ---------------------------------------------------------------------------------------------
  // Snapshots

  /**
   * Writes a snapshot of the keyspace as it is now to the snapshot file, in the background.
   * Rejects at once with Redis's error if a background job is running.
   */
  bgsave(): Promise<SnapshotResult> {
    const refusal = this.jobRefusal('bgsave');
    if (refusal !== null) return Promise.reject(refusal);
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
      const refuse = this.settings.stopWritesOnBgsaveError && this.settings.saveRules.length > 0;
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
    this.saveTimer = setInterval(() => {
      this.checkSaveRules();
      this.checkRewrite();
    }, SAVE_RULES_CHECK_MS);
    this.saveTimer.unref();
  }

  /** Starts a snapshot if a save rule says so; exposed for tests that drive time. */
  checkSaveRules(): void {
    if (this.job !== null || this.closed || this.settings.saveRules.length === 0) return;
    const now = this.ks.now();
    if (this.lastBgsaveStatus === 'err' && now - this.lastBgsaveFailMs < SAVE_RETRY_DELAY_MS) return;
    const due = this.settings.saveRules.some(([seconds, changes]) => this.ks.dirty >= changes && now - this.lastSaveMs > seconds * 1000);
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

  /**
   * Test hook: stops like a killed process would. No flush, no fsync, files closed as they are,
   * the lock released so the directory can be reopened in the same process.
   */
  async abandon(): Promise<void> {
    this.closed = true;
    if (this.saveTimer !== null) clearInterval(this.saveTimer);
    this.aof?.abandon();
    if (this.ks.sink === this.aof) this.ks.sink = null;
    (this.ks.observer as { detach?: () => void } | null)?.detach?.();
    this.ks.observer = null;
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
      aof_rewrite_in_progress: this.job?.kind === 'rewrite' ? 1 : 0,
      aof_rewrites: this.rewrites,
      aof_last_bgrewrite_status: this.lastRewriteStatus,
      aof_base_size: this.aofBaseBytes,
      aof_current_size: this.aof === null ? 0 : this.aofTotalBytes(),
      aof_last_cow_size: this.lastRewriteCowBytes,
      aof_last_rewrite_time_sec: this.lastRewriteDurationMs < 0 ? -1 : Math.round(this.lastRewriteDurationMs / 1000),
    };
  }

  get files(): Manifest {
    return this.manifest;
  }
}
