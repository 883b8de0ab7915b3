// Helpers for tests on data directories: temp dirs, building a store whose AOF offsets are known,
// copying a directory to damage a copy.

import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { open, type Store, type StoreWarning } from '../../lib/index.ts';
import { dumpStore, FakeClock, type DumpedKey } from './model.ts';

export function tempRoot(name: string): { path: (leaf: string) => string; remove: () => void } {
  const root = mkdtempSync(join(tmpdir(), `emberkv-${name}-`));
  let counter = 0;
  return {
    path: (leaf: string) => join(root, `${leaf}-${counter++}`),
    remove: () => rmSync(root, { recursive: true, force: true }),
  };
}

export interface WrittenLog {
  dir: string;
  aof: string;
  /** File size after each command i (so commands 0..i are in the first sizes[i] bytes). */
  sizes: number[];
  /** Keyspace after commands 0..i. */
  states: Array<Record<string, DumpedKey>>;
  /** Size before the first command (header and nothing else). */
  emptySize: number;
  clock: FakeClock;
}

/** Writes `count` mixed commands with appendfsync 'always', recording file sizes and states. */
export async function writeLog(dir: string, count: number): Promise<WrittenLog> {
  const clock = new FakeClock();
  const store = await open(dir, { clock: clock.now, activeExpiry: false, appendfsync: 'always' });
  const aof = join(dir, 'appendonly.1.aof');
  const { statSync } = await import('node:fs');
  const emptySize = statSync(aof).size;
  const sizes: number[] = [];
  const states: Array<Record<string, DumpedKey>> = [];
  for (let i = 0; i < count; i++) {
    switch (i % 5) {
      case 0:
        store.set(`s${i % 7}`, `value-${i}`);
        break;
      case 1:
        store.call('HSET', `h${i % 3}`, `f${i}`, new Uint8Array([i & 255, 7]));
        break;
      case 2:
        store.call('ZADD', 'z', i * 1.5, `m${i % 11}`);
        break;
      case 3:
        store.call('INCR', 'counter');
        break;
      default:
        store.multi().call('SET', `b${i}`, 'x').call('INCR', 'counter').call('PEXPIRE', `b${i}`, 1_000_000).exec();
    }
    sizes.push(statSync(aof).size);
    states.push(dumpStore(store));
  }
  await store.close();
  return { dir, aof, sizes, states, emptySize, clock };
}

/** The expected keyspace when only the first `bytes` bytes of the AOF survive. */
export function stateAt(log: WrittenLog, bytes: number): Record<string, DumpedKey> {
  let state: Record<string, DumpedKey> = {};
  for (let i = 0; i < log.sizes.length; i++) if (log.sizes[i] <= bytes) state = log.states[i];
  return state;
}

export function copyDir(from: string, to: string): void {
  cpSync(from, to, { recursive: true });
}

/** Opens with warnings collected; rejects if it takes more than `timeoutMs` (no hang). */
export async function openCollecting(
  dir: string,
  options: Parameters<typeof open>[1] = {},
  timeoutMs = 10_000,
): Promise<{ store: Store; warnings: StoreWarning[] }> {
  const warnings: StoreWarning[] = [];
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`open(${dir}) did not finish in ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    const store = await Promise.race([open(dir, { activeExpiry: false, ...options, onWarning: (w) => warnings.push(w) }), timeout]);
    return { store, warnings };
  } finally {
    clearTimeout(timer);
  }
}
