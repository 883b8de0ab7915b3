// The background AOF rewrite (multi-part AOF, as Redis 7): a new base snapshot of the keyspace plus
// a fresh incremental file replace every file before them, while the app keeps reading and writing.
//
// Steps, each safe to crash after (docs/FORMAT.md §7 says how each state loads):
//   1. Create the next incremental file N (header, fdatasync, directory fsync), off the main
//      thread. No manifest names it yet: after a crash it is deleted at open.
//   2. Publish manifest M1 = the current files + N (atomic replace, fsyncs off the main thread).
//      N is empty, so the previous last file may still end in a torn tail: loading allows a torn
//      tail in the last file that holds records.
//   3. Make the old file durable off the main thread (an async fdatasync of everything so far), then
//      switch, synchronously, in one turn: write and fdatasync the few records accepted since (a
//      small sync fsync: the only one on the main thread); start the frozen view (the base holds the
//      keyspace as of this instant); make N the sink. So N never holds a record that follows one
//      the old file could still lose, and writes to N reach the OS at the end of each turn as usual.
//   4. Close the old file.
//   5. Write the base from the view into a temp file in slices; fdatasync; rename to base.N.rdb;
//      fsync the directory.
//   6. Publish manifest M2 = base.N + N.
//   7. Delete the files M2 no longer names.
// On failure before 6, M1 stays in charge (it names everything needed), temp files are removed,
// and the rewrite reports an error; nothing accepted is lost.

import { join } from 'node:path';
import type { FileSystem } from '../fs/fs.ts';
import type { Keyspace } from '../keyspace/keyspace.ts';
import { EMBERKV_VERSION } from '../version.ts';
import type { AppendOnlyFile } from './aof.ts';
import { type Manifest, baseFileName, incrFileName, writeManifest } from './manifest.ts';
import { nextSequence } from './recovery.ts';
import { REWRITE_BUSY_SHARE, type SliceHook, writeSnapshotFile } from './snapshot.ts';

/** Named points of a rewrite where tests inject crashes (before and after each file operation). */
export type RewriteStep =
  | 'before-create-incr'
  | 'after-create-incr'
  | 'before-manifest-1'
  | 'after-manifest-1'
  | 'after-switch'
  | 'after-retire'
  | 'before-base-rename'
  | 'after-base'
  | 'before-manifest-2'
  | 'after-manifest-2'
  | 'after-delete';

export interface RewriteContext {
  fs: FileSystem;
  dir: string;
  ks: Keyspace;
  manifest(): Manifest;
  setManifest(manifest: Manifest): void;
  /** The file currently receiving records. */
  current(): AppendOnlyFile;
  /** Creates the next file (not yet the sink). */
  createNext(path: string): Promise<AppendOnlyFile>;
  /** Makes `next` the sink and the current file. */
  switchTo(next: AppendOnlyFile): void;
  /** Test hooks. */
  faultPoint?: (step: RewriteStep) => void | Promise<void>;
  betweenSlices?: SliceHook;
}

export interface RewriteResult {
  baseBytes: number;
  /** Size of the files the rewrite replaced. */
  previousBytes: number;
  keys: number;
  durationMs: number;
  cowBytes: number;
}

export async function rewriteAof(context: RewriteContext): Promise<RewriteResult> {
  const { fs, dir, ks } = context;
  const started = performance.now();
  const point = async (step: RewriteStep) => {
    if (context.faultPoint !== undefined) await context.faultPoint(step);
  };
  const before = context.manifest();
  const previousBytes = [before.base, ...before.incrs]
    .filter((name): name is string => name !== null)
    .reduce((sum, name) => sum + (fs.statSync(join(dir, name))?.size ?? 0), 0);
  const sequence = nextSequence(before);
  const incrName = incrFileName(sequence);
  const baseName = baseFileName(sequence);

  // 1-2: the next file, then a manifest that names it after the current ones.
  await point('before-create-incr');
  const next = await context.createNext(join(dir, incrName));
  let switched = false;
  let retiring: Promise<void> | null = null;
  let old: AppendOnlyFile | null = null;
  try {
    await point('after-create-incr');
    const withNext: Manifest = { base: before.base, incrs: [...before.incrs, incrName] };
    await point('before-manifest-1');
    await writeManifest(fs, dir, withNext);
    context.setManifest(withNext);
    await point('after-manifest-1');

    // 3: the old file durable, then the switch in one synchronous turn: its last records written and
    // synced, the view started, N the sink.
    old = context.current();
    await old.flush();
    if (!old.syncTail()) throw new Error(`the current append-only file ${old.path} refuses writes`);
    const writing = writeSnapshotFile(fs, dir, baseName, ks, { createdMs: ks.now(), version: EMBERKV_VERSION }, {
      busyShare: REWRITE_BUSY_SHARE,
      betweenSlices: context.betweenSlices,
      beforeRename: () => point('before-base-rename'),
      onStart: () => {
        context.switchTo(next);
        switched = true;
      },
    });
    // Settled either way, so a failure while step 4 waits is never an unhandled rejection.
    const base = writing.then(
      (result) => ({ result, error: null }),
      (error: unknown) => ({ result: null, error }),
    );
    await point('after-switch');

    // 4: the old file, already durable, closed.
    retiring = old.retire();
    await retiring;
    await point('after-retire');

    // 5: the base (renamed into place once complete and synced).
    const written = await base;
    if (written.result === null) throw written.error;
    await point('after-base');

    // 6-7: the manifest naming only the new files, then the old files go.
    const rewritten: Manifest = { base: baseName, incrs: [incrName] };
    await point('before-manifest-2');
    await writeManifest(fs, dir, rewritten);
    context.setManifest(rewritten);
    await point('after-manifest-2');
    // Async: deleting hundreds of MB frees their blocks inside the call (150 ms for 600 MB here).
    for (const name of [before.base, ...before.incrs]) {
      if (name !== null && fs.statSync(join(dir, name)) !== null) await fs.unlink(join(dir, name));
    }
    await point('after-delete');
    const result = written.result;
    return { baseBytes: result.bytes, previousBytes, keys: result.keys, durationMs: performance.now() - started, cowBytes: result.cowBytes };
  } catch (error) {
    if (!switched) {
      next.abandon();
      // Remove N only while no manifest names it.
      if (!context.manifest().incrs.includes(incrName) && fs.statSync(join(dir, incrName)) !== null) {
        fs.unlinkSync(join(dir, incrName));
      }
    } else if (old !== null) {
      // Writes go on into N; the old file, synced at the switch, is closed.
      await (retiring ?? old.retire());
    }
    if (context.manifest().base !== baseName && fs.statSync(join(dir, baseName)) !== null) await fs.unlink(join(dir, baseName));
    throw error;
  }
}
