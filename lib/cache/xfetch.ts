// Probabilistic early expiration, the XFetch rule of Vattani, Chierichetti and Lowenstein,
// "Optimal Probabilistic Cache Stampede Prevention", PVLDB 8(8), 2015:
//
//   refresh now  iff  now - delta * beta * ln(u) >= expiry,   u uniform in (0, 1]
//
// delta is how long the last load took, beta >= 0 scales eagerness (1 is the paper's optimum;
// above 1 refreshes earlier). -ln(u) is an exponential variable with mean 1, so each read refreshes
// with probability exp(-(expiry - now) / (delta * beta)): tiny while expiry is far, e^-1 one delta
// before it, 1 at it. Under steady load one read wins well before expiry, refreshes, and the key
// never goes missing; a slow loader (large delta) starts earlier, which is what it needs. The paper
// proves this exponential gap optimal among schemes that decide per read without coordination.
//
// Here the winning read does not wait: it returns the current value and the refresh runs in the
// background, single-flighted, so no other read triggers a second one (docs/CACHE.md).

/**
 * The largest -ln(u) can be: random() < 1 is at most 1 - 2^-53 (the double below 1), so
 * u = 1 - random() >= 2^-53 and -ln(u) <= 53 ln 2 = 36.7. A read further than delta * beta * 36.7
 * from expiry cannot refresh, whatever the draw, so it skips the draw: most hits cost a compare.
 */
export const XFETCH_EXPONENT_MAX = 53 * Math.LN2;

/**
 * Whether this read should start an early refresh. `random` returns [0, 1) like Math.random, so
 * 1 - random() is the paper's u in (0, 1] and ln(u) is finite.
 * Requires: loadMs >= 0, beta >= 0, nowMs < expiresAtMs (the entry is fresh).
 */
export function shouldRefreshEarly(nowMs: number, expiresAtMs: number, loadMs: number, beta: number, random: () => number): boolean {
  const scaleMs = loadMs * beta;
  if (expiresAtMs - nowMs > scaleMs * XFETCH_EXPONENT_MAX) return false;
  return nowMs - scaleMs * Math.log(1 - random()) >= expiresAtMs;
}

/** The probability that one read at `nowMs` refreshes: exp(-(expiry - now) / (delta * beta)). */
export function earlyRefreshProbability(nowMs: number, expiresAtMs: number, loadMs: number, beta: number): number {
  if (nowMs >= expiresAtMs) return 1;
  if (loadMs * beta <= 0) return 0;
  return Math.exp(-(expiresAtMs - nowMs) / (loadMs * beta));
}
