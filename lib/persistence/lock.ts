// One writer per data directory, with proper-lockfile: the lock is a directory `<dir>/LOCK`
// created atomically (mkdir), whose mtime the holder refreshes every second. A lock whose mtime is
// older than LOCK_STALE_MS belongs to a process that died, and the next opener takes it over.
//
// Beside it, `<dir>/LOCK.owner` names the holder: pid, host, and the inode of the LOCK directory it
// created (so an owner file left from an earlier holder is never mistaken for the current one).
// A second open fails at once when the holder is alive (this process or another on this host, or
// any other host). When the holder is a dead process on this host (SIGKILL, power loss), open marks
// its lock stale at once (its mtime set to the epoch) and proper-lockfile takes it over on the next
// try, in milliseconds. When the owner is unknown (no owner file, or one naming another LOCK),
// open waits until the lock turns stale by itself: LOCK_STALE_MS after the holder last refreshed
// it, up to about 6 s (proper-lockfile stamps a new lock up to a second into the future). A reused
// pid makes a dead holder look alive: that open fails, and one after about 6 s succeeds.

import { hostname } from 'node:os';
import { join } from 'node:path';
import { readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
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
  /** Inode of the LOCK directory this holder created. */
  lock: number;
}

function readOwner(dir: string): LockOwner | null {
  try {
    const owner = JSON.parse(readFileSync(join(dir, LOCK_OWNER_FILE), 'utf8')) as Partial<LockOwner>;
    if (typeof owner.pid !== 'number' || typeof owner.host !== 'string' || typeof owner.lock !== 'number') return null;
    return { pid: owner.pid, host: owner.host, lock: owner.lock };
  } catch {
    return null;
  }
}

function lockInode(dir: string): number | null {
  return statSync(join(dir, LOCK_DIR), { throwIfNoEntry: false })?.ino ?? null;
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
          const owner: LockOwner = { pid: process.pid, host: hostname(), lock: lockInode(dir) ?? -1 };
          writeFileSync(join(dir, LOCK_OWNER_FILE), JSON.stringify(owner));
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
        const current = owner !== null && owner.lock === lockInode(dir);
        if ((current && ownerAlive(owner)) || Date.now() > deadline) throw new StoreLockedError(dir, error);
        if (current && owner.host === hostname()) {
          // Its holder died: make the lock stale now rather than in five seconds.
          try {
            utimesSync(join(dir, LOCK_DIR), 0, 0);
          } catch {
            // Gone already: the next try takes it.
          }
          await new Promise((resolve) => setTimeout(resolve, 10));
          continue;
        }
        await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
      }
    }
  }

  async release(): Promise<void> {
    // The owner file first: once the lock is gone, a stale owner file must not name us.
    rmSync(join(this.dir, LOCK_OWNER_FILE), { force: true });
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
