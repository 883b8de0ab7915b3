// The cache layer's own errors, both EmberErrors with a stable `code`. A loader's or writer's own
// error is passed through unchanged (the caller knows its type better than we do); these two are
// for the conditions the cache itself detects.

import { EmberError } from '../errors.ts';

/**
 * A load took longer than its `timeoutMs`. Waiting callers are rejected with it (unless a cached
 * value can be served instead), and the loader's AbortSignal is aborted with it as the reason.
 */
export class CacheTimeoutError extends EmberError {
  readonly key: string;
  readonly timeoutMs: number;

  constructor(key: string, timeoutMs: number) {
    super('ETIMEOUT', `loading cache key ${JSON.stringify(key)} took longer than ${timeoutMs} ms; the loader was aborted`);
    this.key = key;
    this.timeoutMs = timeoutMs;
  }
}

/**
 * The key under the cache's prefix holds something the cache cannot read: a value it did not write
 * (another part of the program uses the same prefix), an entry from a different entry version, or a
 * payload the codec rejects (the codec changed between runs). Thrown by get() and peek(); the entry
 * is left as it is, because it may be someone else's data. Choose a prefix nothing else uses, or
 * invalidate(key) to drop the entry.
 */
export class CacheEntryError extends EmberError {
  readonly key: string;
  readonly check: string;

  constructor(key: string, check: string, cause?: unknown) {
    super(
      'EBADENTRY',
      `cache entry ${JSON.stringify(key)} is not readable: ${check}. ` +
        'Use a prefix nothing else writes under, or invalidate(key) to drop it.',
      { cause },
    );
    this.key = key;
    this.check = check;
  }
}
