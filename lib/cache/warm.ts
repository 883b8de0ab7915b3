// Warm-up: fill a cache before traffic arrives, from [key, value] pairs you already have or from
// keys to load. Pairs are stored at once (a synchronous SET each); keys are loaded through the
// cache's single-flight path, at most `concurrency` at a time, so warming cannot stampede the source
// any more than `concurrency` callers would, and a get() for a key being warmed joins its load.
//
// The source is read one item at a time and only as fast as loads finish (back-pressure), so an
// async iterable over a large table or file is never buffered whole. A failed load is counted and
// reported as a 'loadError' event, and warming goes on; an error from the source itself or from
// storing a pair stops warming and rejects.

/** One item to warm: a key to load, or a key with its value. */
export type WarmItem<T> = string | readonly [key: string, value: T];

export interface WarmProgress {
  /** Pairs written. */
  stored: number;
  /** Keys loaded and written (a loader's undefined counts too). */
  loaded: number;
  /** Keys already fresh in the cache, left alone (unless `force`). */
  skipped: number;
  /** Keys whose load failed or timed out. */
  failed: number;
  /** All of the above: items finished so far. */
  done: number;
}

export interface WarmDriverOptions {
  concurrency: number;
  onProgress: ((progress: WarmProgress) => void) | undefined;
  signal: AbortSignal | undefined;
}

export interface WarmHandlers<T> {
  /** Writes a pair; throws to stop warming. */
  storeValue(key: string, value: T): void;
  /** Loads a key; resolves with what happened; rejects only to stop warming (misuse). */
  loadKey(key: string): Promise<'loaded' | 'skipped' | 'failed'>;
}

export async function runWarm<T>(
  source: Iterable<WarmItem<T>> | AsyncIterable<WarmItem<T>>,
  options: WarmDriverOptions,
  handlers: WarmHandlers<T>,
): Promise<WarmProgress> {
  const progress: WarmProgress = { stored: 0, loaded: 0, skipped: 0, failed: 0, done: 0 };
  // Tasks never reject (a rejected task nobody awaits yet would be an unhandled rejection): an
  // exception from onProgress or loadKey is kept here and rethrown by the loop.
  let fatal: { error: unknown } | undefined;
  const report = (): void => {
    progress.done = progress.stored + progress.loaded + progress.skipped + progress.failed;
    try {
      options.onProgress?.({ ...progress });
    } catch (error) {
      fatal ??= { error };
    }
  };
  const rethrow = (): void => {
    if (fatal !== undefined) throw fatal.error;
  };
  const running = new Set<Promise<void>>();
  try {
    for await (const item of source) {
      options.signal?.throwIfAborted();
      rethrow();
      if (typeof item === 'string') {
        const task: Promise<void> = handlers.loadKey(item).then(
          (outcome) => {
            running.delete(task);
            progress[outcome]++;
            report();
          },
          (error: unknown) => {
            running.delete(task);
            fatal ??= { error };
          },
        );
        running.add(task);
        if (running.size >= options.concurrency) await Promise.race(running);
      } else if (Array.isArray(item) && item.length === 2 && typeof item[0] === 'string') {
        handlers.storeValue(item[0], item[1] as T);
        progress.stored++;
        report();
      } else {
        throw new TypeError('warm() items are keys (strings) or [key, value] pairs');
      }
    }
  } finally {
    // Loads already started finish either way, so nothing is left running behind the caller.
    await Promise.all(running);
  }
  rethrow();
  return { ...progress, done: progress.stored + progress.loaded + progress.skipped + progress.failed };
}
