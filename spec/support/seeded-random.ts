// A small seeded generator (mulberry32) for tests that need many random values cheaply and a
// failure that replays from its seed. 32-bit integer state: a generator in doubles loses precision
// and falls into a short cycle, which would quietly turn random scores into ties.

/** Returns a function giving values in [0, 1), the same sequence for the same seed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
