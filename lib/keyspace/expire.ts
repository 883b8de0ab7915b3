// The active expiry cycle, after Redis's activeExpireCycle (expire.c): keys with a TTL are also
// reclaimed when nobody reads them. Each run walks the TTL index with a cursor, 20 keys a round,
// and goes on while more than 10% of a round had expired, within a small time budget, so that a
// million keys expiring at once never stalls the event loop for more than a few milliseconds.
// When the budget ran out (expired keys are piling up) the next run comes sooner. The timer is
// unref'd: it never keeps the process alive.

import type { Keyspace } from './keyspace.ts';

export const EXPIRE_KEYS_PER_ROUND = 20;
/** Keep going while more than this share of a round had expired. */
export const EXPIRE_STALE_PERCENT = 10;
/** Longest a run may take. */
export const EXPIRE_RUN_BUDGET_MS = 2;
/** Pause between runs while idle, and while catching up. */
export const EXPIRE_INTERVAL_MS = 100;
export const EXPIRE_CATCH_UP_INTERVAL_MS = 10;

export class ActiveExpiry {
  private cursor = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly ks: Keyspace) {}

  start(): void {
    if (this.timer === null) this.schedule(EXPIRE_INTERVAL_MS);
  }

  stop(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  private schedule(delayMs: number): void {
    this.timer = setTimeout(() => {
      const finished = this.run(EXPIRE_RUN_BUDGET_MS);
      this.schedule(finished ? EXPIRE_INTERVAL_MS : EXPIRE_CATCH_UP_INTERVAL_MS);
    }, delayMs);
    this.timer.unref();
  }

  /**
   * One run: rounds of sampling until a round finds few expired keys or the budget is spent.
   * Returns false when it stopped for the budget. Exposed for tests, which drive it directly.
   */
  run(budgetMs: number): boolean {
    const ks = this.ks;
    if (ks.loading) return true;
    const started = performance.now();
    const now = ks.now();
    for (;;) {
      const volatile = ks.volatile;
      if (volatile.length === 0) return true;
      let sampled = 0;
      let expired = 0;
      while (sampled < EXPIRE_KEYS_PER_ROUND && volatile.length > 0) {
        if (this.cursor >= volatile.length) this.cursor = 0;
        const entry = volatile[this.cursor];
        sampled++;
        if (entry.expiresAt <= now) {
          // Swap-remove moves the last key into this cursor position: look at it next.
          ks.expire(entry);
          expired++;
        } else {
          this.cursor++;
        }
      }
      if (expired * 100 <= sampled * EXPIRE_STALE_PERCENT) return true;
      if (performance.now() - started >= budgetMs) return false;
    }
  }
}
