// Shared benchmark plumbing. Every figure is ops/s next to a baseline measured in the same process
// moments before (a plain Map, usually), because these machines are noisy: the ratio is what
// compares across runs. Each measurement runs a warm-up pass, then takes the median of `rounds`.

import { constants as perfConstants, type PerformanceEntry, PerformanceObserver } from 'node:perf_hooks';

export interface Measurement {
  name: string;
  opsPerSecond: number;
}

const rows: string[] = [];

/** Seeded pseudo-random numbers, so runs see the same keys in the same order. */
export function seededRandom(seed = 12345): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 4294967296;
  };
}

/**
 * ops/s of `run`, which performs `ops` operations per call: warm-up once, then the median of
 * `rounds` timed calls. `setup` runs before each call, untimed.
 */
export function measure(name: string, ops: number, run: () => void, options: { rounds?: number; setup?: () => void } = {}): Measurement {
  const rounds = options.rounds ?? 5;
  options.setup?.();
  run();
  const rates: number[] = [];
  for (let i = 0; i < rounds; i++) {
    options.setup?.();
    const started = process.hrtime.bigint();
    run();
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    rates.push(ops / seconds);
  }
  rates.sort((a, b) => a - b);
  return { name, opsPerSecond: rates[Math.floor(rates.length / 2)] };
}

function formatRate(rate: number): string {
  if (rate >= 1e6) return `${(rate / 1e6).toFixed(2)} M/s`;
  if (rate >= 1e3) return `${(rate / 1e3).toFixed(1)} k/s`;
  return `${rate.toFixed(1)} /s`;
}

/** Prints one row: the measurement, its baseline, the ratio, and the target if any. */
export function report(subject: Measurement, baseline: Measurement | null, target?: { ratio?: number; opsPerSecond?: number }): void {
  const ratio = baseline === null ? null : subject.opsPerSecond / baseline.opsPerSecond;
  let verdict = '';
  if (target?.ratio !== undefined && ratio !== null) verdict = ratio >= target.ratio ? `meets >= ${(target.ratio * 100).toFixed(0)}%` : `MISSES >= ${(target.ratio * 100).toFixed(0)}%`;
  if (target?.opsPerSecond !== undefined) {
    verdict = subject.opsPerSecond >= target.opsPerSecond ? `meets >= ${formatRate(target.opsPerSecond)}` : `MISSES >= ${formatRate(target.opsPerSecond)}`;
  }
  const row = `| ${subject.name} | ${formatRate(subject.opsPerSecond)} | ${baseline === null ? '' : `${baseline.name} ${formatRate(baseline.opsPerSecond)}`} | ${ratio === null ? '' : `${(ratio * 100).toFixed(0)}%`} | ${verdict} |`;
  rows.push(row);
  console.log(row);
}

export function note(text: string): void {
  rows.push(`| ${text} | | | | |`);
  console.log(`| ${text} | | | | |`);
}

export function header(title: string): void {
  console.log(`\n### ${title}\n\nnode ${process.version}, ${process.platform}/${process.arch}\n`);
  console.log('| benchmark | rate | baseline (same run) | ratio | target |');
  console.log('|---|---|---|---|---|');
}

/**
 * Runs `action` and watches the event loop for `windowMs` afterwards while allocating short-lived
 * objects as an app would: the synchronous duration of the action, the longest event-loop pause
 * and the longest collector pause seen. Run it once with a no-op action as the control: pauses
 * that show up there too are the collector's ordinary work, not the action's.
 */
export async function eventLoopPause(
  action: () => void,
  windowMs = 2000,
): Promise<{ syncMs: number; maxPauseMs: number; maxGcMs: number; majorGcs: number }> {
  // Settle what earlier work left for the collector, so the window measures this action alone.
  (globalThis as { gc?: () => void }).gc?.();
  let maxGcMs = 0;
  let majorGcs = 0;
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      maxGcMs = Math.max(maxGcMs, entry.duration);
      const detail = (entry as PerformanceEntry & { detail?: { kind?: number } }).detail;
      if (detail?.kind === perfConstants.NODE_PERFORMANCE_GC_MAJOR) majorGcs++;
    }
  });
  observer.observe({ entryTypes: ['gc'] });
  let last = performance.now();
  let maxGap = 0;
  const ticker = setInterval(() => {
    const now = performance.now();
    maxGap = Math.max(maxGap, now - last);
    last = now;
  }, 1);
  await new Promise((resolve) => setTimeout(resolve, 50));
  maxGap = 0;
  maxGcMs = 0;
  const started = performance.now();
  action();
  const syncMs = performance.now() - started;
  const deadline = performance.now() + windowMs;
  let garbage = 0;
  while (performance.now() < deadline) {
    garbage += Array.from({ length: 1000 }, (_, j) => ({ j })).length;
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  clearInterval(ticker);
  observer.disconnect();
  return { syncMs, maxPauseMs: Math.max(maxGap - 1, syncMs, garbage < 0 ? 1 : 0), maxGcMs, majorGcs };
}
