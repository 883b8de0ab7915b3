// One writer per data directory, with proper-lockfile: the lock is a directory `<dir>/LOCK`
// created atomically (mkdir), whose mtime the holder refreshes every second. A lock whose mtime is
// older than LOCK_STALE_MS belongs to a process that died, and the next opener takes it over.
//
// Beside it, `<dir>/LOCK.owner` names the holder (pid, host). A second open fails at once when the
// holder is alive (this process or another on this host, or any other host). When the holder is a
// dead process on this host (SIGKILL, power loss), open waits until the lock turns stale: at most
// LOCK_STALE_MS (5 s) after the holder last refreshed it, then takes it over. A reused pid makes a
// dead holder look alive: that open fails, and the next one after 5 s succeeds.

import { hostname } from 'node:os';
import { join } from 'node:path';
import { readFileSync, writeFileSync } from 'node:fs';
import lockfile from 'proper-lockfile';
import { StorageIOError, StoreLockedError } from '../errors.ts';

export const LOCK_DIR = 'LOCK';
export const LOCK_OWNER_FILE = 'LOCK.owner';
/** proper-lockfile's smallest sensible staleness; refreshed every LOCK_UPDATE_MS. */
export const LOCK_STALE_MS = 5000;
export const LOCK_UPDATE_MS = 1000;
const RETRY_MS = 200;

interface LockOwner {
  pid: number;
  host: string;
}

function readOwner(dir: string): LockOwner | null {
  try {
    const owner = JSON.parse(readFileSync(join(dir, LOCK_OWNER_FILE), 'utf8')) as Partial<LockOwner>;
    return typeof owner.pid === 'number' && typeof owner.host === 'string' ? { pid: owner.pid, host: owner.host } : null;
  } catch {
    return null;
  }
}

/** Whether the owner may still be running: unknown hosts count as alive. */
function ownerAlive(owner: LockOwner): boolean {
  if (owner.host !== hostname()) return true;
  if (owner.pid === process.pid) return true;
  try {
    process.kill(owner.pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export class DirectoryLock {
  private constructor(
    readonly dir: string,
    private readonly releaseLock: () => Promise<void>,
  ) {}

  /**
   * Takes the directory's lock, waiting out a dead holder's stale lock (at most about
   * LOCK_STALE_MS). Throws StoreLockedError when a live store holds it.
   * `onCompromised` runs if the lock is lost later (its refresh failed, or it was taken over after
   * this process stalled for longer than LOCK_STALE_MS).
   */
  static async acquire(dir: string, onCompromised: (error: Error) => void): Promise<DirectoryLock> {
    const deadline = Date.now() + LOCK_STALE_MS + 2 * LOCK_UPDATE_MS;
    for (;;) {
      try {
        const release = await lockfile.lock(dir, {
          lockfilePath: join(dir, LOCK_DIR),
          stale: LOCK_STALE_MS,
          update: LOCK_UPDATE_MS,
          realpath: false,
          onCompromised,
        });
        try {
          writeFileSync(join(dir, LOCK_OWNER_FILE), JSON.stringify({ pid: process.pid, host: hostname() }));
        } catch (error) {
          await release();
          throw new StorageIOError(join(dir, LOCK_OWNER_FILE), 'write', error);
        }
        return new DirectoryLock(dir, release);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ELOCKED') {
          if (error instanceof StorageIOError) throw error;
          throw new StorageIOError(join(dir, LOCK_DIR), 'take the lock', error);
        }
        const owner = readOwner(dir);
        if ((owner !== null && ownerAlive(owner)) || Date.now() > deadline) throw new StoreLockedError(dir, error);
        await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
      }
    }
  }

  async release(): Promise<void> {
    try {
      await this.releaseLock();
    } catch (error) {
      // Already released or compromised: nothing left to give back.
      if ((error as NodeJS.ErrnoException).code !== 'ERELEASED' && (error as NodeJS.ErrnoException).code !== 'ECOMPROMISED') {
        throw new StorageIOError(join(this.dir, LOCK_DIR), 'release the lock', error);
      }
    }
  }
}
