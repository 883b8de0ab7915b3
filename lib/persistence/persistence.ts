// A store's persistence: the directory lock, recovery at open, and the AOF behind the keyspace's
// record seam. The Store owns one when opened with a directory.

import { join } from 'node:path';
import type { StorageIOError } from '../errors.ts';
import type { FileSystem } from '../fs/fs.ts';
import { nodeFs } from '../fs/node-fs.ts';
import type { Keyspace } from '../keyspace/keyspace.ts';
import { type AofStatus, type AppendFsync, AppendOnlyFile } from './aof.ts';
import { DirectoryLock } from './lock.ts';
import { type Manifest, writeManifestSync } from './manifest.ts';
import { type OnCorruption, type StoreWarning, recoverDirectory } from './recovery.ts';

export interface PersistenceOptions {
  /** Log every write to an append-only file. Default true. */
  appendonly?: boolean;
  /** When the AOF is fsynced: 'everysec' (default), 'always' (before each write returns), 'no'. */
  appendfsync?: AppendFsync;
  /** Damage in the middle of a file: 'refuse' to open (default), or 'truncate' to open with what precedes it. */
  onCorruption?: OnCorruption;
  /** The file system; tests pass a faulty one. */
  fs?: FileSystem;
}

export interface PersistenceHooks {
  warn(warning: StoreWarning): void;
  refuseWrites(message: string): void;
  allowWrites(): void;
}

export interface PersistenceStatus extends Partial<AofStatus> {
  aof_enabled: 0 | 1;
  loading_records: number;
}

export class Persistence {
  private aof: AppendOnlyFile | null = null;
  private manifest: Manifest = { base: null, incrs: [] };
  private loadedRecords = 0;

  private constructor(
    readonly dir: string,
    private readonly fs: FileSystem,
    private readonly lock: DirectoryLock,
    private readonly hooks: PersistenceHooks,
  ) {}

  /** Locks dir, recovers its data into ks, and starts logging. Returns warnings from recovery. */
  static async open(
    dir: string,
    ks: Keyspace,
    options: PersistenceOptions,
    hooks: PersistenceHooks,
  ): Promise<{ persistence: Persistence; warnings: StoreWarning[] }> {
    const fs = options.fs ?? nodeFs;
    fs.mkdirSync(dir);
    const lock = await DirectoryLock.acquire(dir, (error) => {
      hooks.warn({ code: 'lock-compromised', message: `the lock on ${dir} was lost (${error.message}); writes are refused so two stores never write the same files` });
      hooks.refuseWrites(`MISCONF the lock on ${dir} was lost; close the store and open it again`);
    });
    const persistence = new Persistence(dir, fs, lock, hooks);
    try {
      const warnings = await persistence.start(ks, options);
      return { persistence, warnings };
    } catch (error) {
      persistence.aof?.abandon();
      await lock.release();
      throw error;
    }
  }

  private async start(ks: Keyspace, options: PersistenceOptions): Promise<StoreWarning[]> {
    const recovered = await recoverDirectory(this.fs, this.dir, ks, options.onCorruption ?? 'refuse');
    this.manifest = recovered.manifest;
    this.loadedRecords = recovered.records;
    if (options.appendonly === false) return recovered.warnings;
    const policy = options.appendfsync ?? 'everysec';
    const hooks = {
      onWriteError: (error: StorageIOError) => {
        this.hooks.warn({ code: 'aof-write-error', message: `${error.message}; writes are refused until the disk accepts them again (retried every second)`, file: error.file });
        this.hooks.refuseWrites(`MISCONF Errors writing to the AOF file: ${error.message}`);
      },
      onRecovered: () => {
        this.hooks.warn({ code: 'aof-write-recovered', message: `writing to ${this.dir} works again; writes are accepted` });
        this.hooks.allowWrites();
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

  /** Writes and fsyncs everything accepted so far. */
  async flush(): Promise<void> {
    await this.aof?.flush();
  }

  /** Flushes, closes the files and releases the directory. Throws (staying open) if the flush fails. */
  async close(ks: Keyspace): Promise<void> {
    await this.aof?.close();
    if (ks.sink === this.aof) ks.sink = null;
    await this.lock.release();
  }

  status(): PersistenceStatus {
    const aof = this.aof?.status();
    return { aof_enabled: this.aof === null ? 0 : 1, loading_records: this.loadedRecords, ...aof };
  }

  get files(): Manifest {
    return this.manifest;
  }

  pathOf(name: string): string {
    return join(this.dir, name);
  }
}
