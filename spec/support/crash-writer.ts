// The SIGKILL crash harness, both halves in one file so they cannot drift apart:
//
//   child   `node --import tsx spec/support/crash-writer.ts <dir> <policy> <seed> [startOp]` opens the
//           store in <dir> and runs ops startOp, startOp+1, ... forever, in bursts of 1-8 ops per
//           event-loop turn, reporting each op on stdout once it returned. The parent kills it.
//   parent  crashCycle() spawns the child, kills it with SIGKILL at a chosen moment, reopens the
//           directory, finds which prefix of the op sequence the reopened store holds, and checks
//           it against what the child reported (see "What a cycle checks" below).
//
// The op sequence is a pure function of (seed, i): opAt(seed, i). Op i is one of SET, INCR, HSET,
// HINCRBY, ZADD, ZINCRBY, SET PX (a day, so nothing expires during a run), or a MULTI batch of 2-5
// commands (batch:a:<i>, batch:b:<i>, a shared counter, a hash and a sorted set). expectedState(seed, n)
// is the keyspace after ops 0..n-1, computed by a plain model.
//
// Every op strictly advances the keyspace and nothing ever moves back: string values carry the op
// number, counters only grow, HINCRBY/ZINCRBY add positive amounts, ZADD sets a score of
// 1000*(i+1) (above anything the member held: ZINCRBY adds less than 1 per op), and nothing is
// deleted. So the states after 0, 1, 2, ... ops are pairwise different and a reopened store equals
// expectedState(seed, n) for at most one n; findPrefixes() still searches every n to show it.
// A lost record in the middle yields a state no prefix has, unless a later op hides it (a SET
// overwritten later; an INCR when the last op increments the same counter): then no reader can
// tell, and the state is accepted as that prefix. Batches have their own keys, so half a batch always
// shows, and so does a lost batch with any op after it.
//
// Child stdout protocol, one line each, written with writeSync(1): when the call returns the line is
// in the kernel's pipe buffer, which the parent can still drain after the writer died:
//   ready <startOp>   the store is open
//   t <i>             a new event-loop turn starts; ops < i ran in earlier turns
//   <i>               op i returned
//
// Why "t <i>" matters (appendfsync 'everysec' and 'no'): the AOF writes a turn's records with one
// write(2) in a setImmediate queued by the turn's first record. A burst is itself a setImmediate
// callback that queues the next burst after its ops, so the AOF's write for burst k runs before burst
// k+1 starts. Once the child printed "t <i>", ops < i are in the OS and a SIGKILL cannot lose them.
// Ops of the last turn may be lost: their write had not happened yet. With 'always' the record is
// written and fsynced before the command returns, so every reported op must survive.

import { spawn } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { open, type AppendFsync, type Store, type StoreWarning } from '../../lib/index.ts';
import { LOCK_DIR } from '../../lib/persistence/lock.ts';

// -------------------------------------------------------------------------------------------------
// The op sequence

/** TTL of the SET PX keys: far longer than any run, so none expires before it is checked. */
export const TTL_MS = 24 * 60 * 60 * 1000;
/** Ops per burst (one event-loop turn) are 1..BURST_OPS_MAX. */
export const BURST_OPS_MAX = 8;

/** A 32-bit hash of the parts (murmur3's finalizer per part): the only source of randomness. */
export function hash32(...parts: number[]): number {
  let h = 0x9e3779b9;
  for (const part of parts) {
    h = Math.imul(h ^ (part >>> 0), 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
  }
  return h >>> 0;
}

const SALT_KIND = 1;
const SALT_KEY = 2;
const SALT_FIELD = 3;
const SALT_AMOUNT = 4;
const SALT_BATCH = 5;
const SALT_BURST = 6;

export type OpKind = 'set' | 'incr' | 'hset' | 'hincrby' | 'zadd' | 'zincrby' | 'setpx' | 'batch';
/** Weighted: each kind's share of the sequence. */
const KINDS: OpKind[] = ['set', 'set', 'incr', 'incr', 'hset', 'hincrby', 'zadd', 'zincrby', 'setpx', 'batch'];

export interface Op {
  index: number;
  kind: OpKind;
  /** The op in Redis's form: one command, or a batch's commands (run as one MULTI). */
  commands: string[][];
}

export function opAt(seed: number, index: number): Op {
  const kind = KINDS[hash32(seed, index, SALT_KIND) % KINDS.length];
  const pick = (count: number) => hash32(seed, index, SALT_KEY) % count;
  const field = (count: number) => hash32(seed, index, SALT_FIELD) % count;
  const amount = hash32(seed, index, SALT_AMOUNT);
  const value = `v${index}`;
  switch (kind) {
    case 'set':
      return { index, kind, commands: [['SET', `s:${pick(16)}`, value]] };
    case 'incr':
      return { index, kind, commands: [['INCR', `c:${pick(4)}`]] };
    case 'hset':
      return { index, kind, commands: [['HSET', `h:${pick(4)}`, `f${field(6)}`, value]] };
    case 'hincrby':
      return { index, kind, commands: [['HINCRBY', `h:${pick(4)}`, `n${field(4)}`, String(1 + (amount % 9))]] };
    case 'zadd':
      return { index, kind, commands: [['ZADD', `z:${pick(4)}`, String(1000 * (index + 1)), `m${field(8)}`]] };
    case 'zincrby':
      // Sixteenths in (0, 1): exact in a double, and less than the gap between two ZADD scores.
      return { index, kind, commands: [['ZINCRBY', `z:${pick(4)}`, String((1 + (amount % 15)) / 16), `m${field(8)}`]] };
    case 'setpx':
      return { index, kind, commands: [['SET', `t:${pick(8)}`, value, 'PX', String(TTL_MS)]] };
    case 'batch': {
      const all = [
        ['SET', `batch:a:${index}`, value],
        ['SET', `batch:b:${index}`, value],
        ['INCR', 'batch:count'],
        ['HINCRBY', 'batch:h', `f${field(3)}`, String(1 + (amount % 9))],
        ['ZADD', 'batch:z', String(1000 * (index + 1)), `m${field(4)}`],
      ];
      const size = 2 + (hash32(seed, index, SALT_BATCH) % 4);
      return { index, kind, commands: all.slice(0, size) };
    }
  }
}

/** Ops in the burst that starts at op `index`. */
export function burstSize(seed: number, index: number): number {
  return 1 + (hash32(seed, index, SALT_BURST) % BURST_OPS_MAX);
}

/** Runs one op on a store: single commands through the typed methods, batches through multi(). */
export function runOp(store: Store, op: Op): void {
  const [command] = op.commands;
  if (op.kind === 'batch') {
    const multi = store.multi();
    for (const [name, ...args] of op.commands) multi.call(name, ...args);
    const results = multi.exec();
    for (const result of results) if (result instanceof Error) throw result;
    return;
  }
  const [, key, a, b] = command;
  switch (op.kind) {
    case 'set':
      store.set(key, a);
      return;
    case 'incr':
      store.incr(key);
      return;
    case 'hset':
      store.hset(key, { [a]: b });
      return;
    case 'hincrby':
      store.hincrby(key, a, Number(b));
      return;
    case 'zadd':
      store.zadd(key, [[Number(a), b]]);
      return;
    case 'zincrby':
      store.zincrby(key, Number(a), b);
      return;
    case 'setpx':
      store.set(key, a, { px: TTL_MS });
      return;
  }
}

// -------------------------------------------------------------------------------------------------
// The model and the comparison
//
// A state is a map from key to a canonical text of its type, value and TTL, so two states are equal
// exactly when their maps are.

type ModelValue =
  | { type: 'string'; value: string; ttl: boolean }
  | { type: 'hash'; fields: Map<string, string> }
  | { type: 'zset'; members: Map<string, number> };

export type State = Map<string, string>;

function canonical(value: ModelValue | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (value.type === 'string') return `string ${JSON.stringify(value.value)}${value.ttl ? ' ttl' : ''}`;
  if (value.type === 'hash') return `hash ${JSON.stringify([...value.fields].sort((x, y) => (x[0] < y[0] ? -1 : 1)))}`;
  const members = [...value.members].sort((x, y) => x[1] - y[1] || (x[0] < y[0] ? -1 : 1));
  return `zset ${JSON.stringify(members)}`;
}

/** The plain model: applies ops in Redis's form, returns the keys each op touched. */
class Model {
  readonly keys = new Map<string, ModelValue>();

  apply(op: Op): string[] {
    return op.commands.map((command) => this.run(command));
  }

  private run([name, key, a, b]: string[]): string {
    const current = this.keys.get(key);
    switch (name) {
      case 'SET':
        this.keys.set(key, { type: 'string', value: a, ttl: b === 'PX' });
        return key;
      case 'INCR': {
        const before = current === undefined ? 0 : Number((current as { value: string }).value);
        this.keys.set(key, { type: 'string', value: String(before + 1), ttl: false });
        return key;
      }
      case 'HSET':
      case 'HINCRBY': {
        const hash = current ?? { type: 'hash', fields: new Map<string, string>() };
        if (hash.type !== 'hash') throw new Error(`model: ${key} is not a hash`);
        hash.fields.set(a, name === 'HSET' ? b : String(Number(hash.fields.get(a) ?? '0') + Number(b)));
        this.keys.set(key, hash);
        return key;
      }
      case 'ZADD':
      case 'ZINCRBY': {
        const zset = current ?? { type: 'zset', members: new Map<string, number>() };
        if (zset.type !== 'zset') throw new Error(`model: ${key} is not a sorted set`);
        zset.members.set(b, name === 'ZADD' ? Number(a) : (zset.members.get(b) ?? 0) + Number(a));
        this.keys.set(key, zset);
        return key;
      }
      default:
        throw new Error(`model: no ${name}`);
    }
  }

  canonical(key: string): string | undefined {
    return canonical(this.keys.get(key));
  }
}

/** The keyspace after ops 0..n-1 of the seed's sequence. */
export function expectedState(seed: number, n: number): State {
  const model = new Model();
  for (let i = 0; i < n; i++) model.apply(opAt(seed, i));
  const state: State = new Map();
  for (const key of model.keys.keys()) state.set(key, model.canonical(key)!);
  return state;
}

/** A store's keyspace as a State, read through the public API. */
export function readState(store: Store): State {
  const state: State = new Map();
  for (const key of store.keys('*')) {
    const type = store.type(key);
    if (type === 'string') {
      const value = store.get(key);
      const ttl = store.pttl(key);
      const shown = typeof value === 'string' ? JSON.stringify(value) : `bytes ${JSON.stringify(value)}`;
      // A TTL key must still have a TTL, and no longer than the one it was set with.
      const ttlText = ttl === -1 ? '' : ttl > 0 && ttl <= TTL_MS ? ' ttl' : ` ttl=${ttl}`;
      state.set(key, `string ${shown}${ttlText}`);
    } else if (type === 'hash') {
      const fields = Object.entries(store.hgetall(key)).map(([field, value]) => [field, typeof value === 'string' ? value : `bytes ${value}`]);
      state.set(key, `hash ${JSON.stringify(fields.sort((x, y) => (x[0] < y[0] ? -1 : 1)))}`);
    } else if (type === 'zset') {
      // Kept in the store's own order (score, then member): the model sorts the same way.
      state.set(key, `zset ${JSON.stringify(store.zrange(key, 0, -1, { withScores: true }))}`);
    } else {
      state.set(key, `unexpected type ${type}`);
    }
  }
  return state;
}

/**
 * Every n in [0, maxN] with expectedState(seed, n) equal to `actual`. Runs the model once,
 * keeping the set of keys where model and actual differ, so each n costs only its op's keys.
 */
export function findPrefixes(seed: number, actual: State, maxN: number): number[] {
  const model = new Model();
  const differing = new Set(actual.keys());
  const found: number[] = [];
  for (let n = 0; ; n++) {
    if (differing.size === 0) found.push(n);
    if (n === maxN) return found;
    for (const key of model.apply(opAt(seed, n))) {
      if (model.canonical(key) === actual.get(key)) differing.delete(key);
      else differing.add(key);
    }
  }
}

/** The first few keys where two states differ, for failure messages. */
export function describeDifference(expected: State, actual: State, limit = 5): string {
  const lines: string[] = [];
  for (const key of new Set([...expected.keys(), ...actual.keys()])) {
    if (expected.get(key) === actual.get(key)) continue;
    lines.push(`  ${key}: expected ${expected.get(key) ?? '(missing)'}, found ${actual.get(key) ?? '(missing)'}`);
    if (lines.length === limit) break;
  }
  return lines.join('\n');
}

// -------------------------------------------------------------------------------------------------
// The parent: one kill/reopen cycle

export const REPO_ROOT = new URL('../..', import.meta.url).pathname;
export const CRASH_WRITER = 'spec/support/crash-writer.ts';

export interface CycleOptions {
  dir: string;
  policy: AppendFsync;
  seed: number;
  /** Ops already in the directory (the previous cycle's recovered n); the child continues there. */
  startOp: number;
  /** SIGKILL this long after the child printed `ready`. */
  killDelayMs: number;
  /** Background work the child keeps running while it writes (so the kill lands inside it). */
  background?: {
    /** Start an AOF rewrite this often (ms). */
    rewriteEveryMs?: number;
    /** Start a snapshot this often (ms). */
    bgsaveEveryMs?: number;
    /** Snapshots only: no AOF (the reopened state is the last complete snapshot). */
    snapshotsOnly?: boolean;
  };
}

export interface CycleResult {
  policy: AppendFsync;
  startOp: number;
  /** Ops reported done: the child printed i for every i < reportedOps (and i >= startOp). */
  reportedOps: number;
  /** Every op below this ran in an earlier turn than the last "t" line. */
  turnFloor: number;
  /** The n whose expected state the reopened store holds (-1: none). */
  recoveredOps: number;
  /** Every n that matched (exactly one when all is well). */
  matches: number[];
  /** Ops reported done but missing after the reopen. */
  lostOps: number;
  /** Ops the child ran per second between ready and the kill. */
  opsPerSecond: number;
  /** How long open(dir) took after the kill (LOCK.owner names a dead pid: it takes the lock at once). */
  openMs: number;
  /** From the kill to open(dir) resolving. */
  sinceKillMs: number;
  /** The pid LOCK.owner named after the kill (the dead child's, when all is well). */
  lockOwnerPid: number | null;
  childPid: number;
  warnings: StoreWarning[];
  /** Every broken expectation, in words; empty when the cycle passed. */
  problems: string[];
}

interface ChildReport {
  ready: boolean;
  lastDone: number;
  turnFloor: number;
  stderr: string;
}

/** Spawns the writer; resolves once it printed `ready` (or rejects if it exits first). */
function startChild(options: CycleOptions) {
  const child = spawn(process.execPath, ['--import', 'tsx', CRASH_WRITER, options.dir, options.policy, String(options.seed), String(options.startOp)], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, EMBERKV_CRASH_BACKGROUND: JSON.stringify(options.background ?? {}) },
  });
  const report: ChildReport = { ready: false, lastDone: options.startOp - 1, turnFloor: options.startOp, stderr: '' };
  let partial = '';
  let onReady: () => void = () => {};
  const ready = new Promise<void>((resolve) => (onReady = resolve));
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    const lines = (partial + chunk).split('\n');
    partial = lines.pop()!;
    for (const line of lines) {
      if (line.startsWith('t ')) report.turnFloor = Number(line.slice(2));
      else if (line.startsWith('ready ')) (report.ready = true), onReady();
      else report.lastDone = Number(line);
    }
  });
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => (report.stderr += chunk));
  const closed = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal })),
  );
  return { child, report, ready: Promise.race([ready.then(() => null), closed]), closed };
}

function readLockOwnerPid(dir: string): number | null {
  try {
    return (JSON.parse(readFileSync(join(dir, 'LOCK.owner'), 'utf8')) as { pid: number }).pid;
  } catch {
    return null;
  }
}

/**
 * One cycle: start the writer on `dir`, SIGKILL it, reopen, find the prefix, check it. Whatever the
 * store does wrong is in `problems`; it throws only if the writer could not start (a broken checkout).
 */
export async function crashCycle(options: CycleOptions): Promise<CycleResult> {
  const { policy, seed, startOp } = options;
  const problems: string[] = [];
  const { child, report, ready, closed } = startChild(options);
  const early = await ready;
  if (early !== null) {
    throw new Error(`the writer exited before it was ready (${early.signal ?? early.code}):\n${report.stderr}`);
  }
  const readyAt = performance.now();
  await new Promise((resolve) => setTimeout(resolve, options.killDelayMs));
  const stillRunning = child.exitCode === null && child.signalCode === null;
  if (!stillRunning) problems.push(`the writer exited on its own before the kill:\n${report.stderr}`);
  child.kill('SIGKILL');
  const killedAt = performance.now();
  const exit = await closed; // stdout drained: every line the child wrote is in `report`
  if (stillRunning && exit.signal !== 'SIGKILL') problems.push(`the writer ended with ${exit.signal ?? exit.code}, not SIGKILL`);
  const lockOwnerPid = readLockOwnerPid(options.dir);
  const lockMtimeMs = statSync(join(options.dir, LOCK_DIR), { throwIfNoEntry: false })?.mtimeMs ?? Number.NaN;
  const reportedOps = report.lastDone + 1;
  const opsPerSecond = ((reportedOps - startOp) * 1000) / Math.max(1, killedAt - readyAt);

  const warnings: StoreWarning[] = [];
  const openStarted = performance.now();
  let actual: State;
  try {
    const store = await open(options.dir, {
      appendonly: options.background?.snapshotsOnly !== true,
      save: [],
      onWarning: (warning) => warnings.push(warning),
    });
    try {
      actual = readState(store);
    } finally {
      await store.close();
    }
  } catch (error) {
    // The finding this harness exists for: report it as a problem, not as a harness failure.
    problems.push(`(${policy}, seed ${seed}) open after the kill failed: ${(error as Error).stack ?? error}`);
    actual = new Map([['(open failed)', String(error)]]);
  }
  const opened = performance.now();

  // The child can have run at most one op past its last report (the one it was in when killed).
  const maxN = reportedOps + 1;
  const matches = findPrefixes(seed, actual, maxN);
  const recoveredOps = matches.length === 1 ? matches[0] : -1;
  const where = `${policy}, seed ${seed}, ops ${startOp}..${reportedOps - 1} reported, turn floor ${report.turnFloor}`;
  if (matches.length === 0) {
    // Not a prefix: show the nearest (the reported count) to say what is off.
    problems.push(`(${where}) the reopened store is no prefix of the op sequence (n <= ${maxN}); against n=${reportedOps}:\n` +
      describeDifference(expectedState(seed, reportedOps), actual));
  } else if (matches.length > 1) {
    problems.push(`(${where}) the reopened store matches several prefixes: ${matches.join(', ')}`);
  } else {
    if (recoveredOps < startOp) problems.push(`(${where}) lost ops from an earlier cycle: holds ${recoveredOps} < ${startOp}`);
    const logged = options.background?.snapshotsOnly !== true;
    if (logged && policy === 'always' && recoveredOps < reportedOps) {
      problems.push(`(${where}) appendfsync always lost ops reported done: holds ${recoveredOps} of ${reportedOps}`);
    }
    if (logged && policy !== 'always' && recoveredOps < report.turnFloor) {
      problems.push(`(${where}) lost ops from an earlier event-loop turn: holds ${recoveredOps}, turn floor ${report.turnFloor}`);
    }
  }
  for (const warning of warnings) {
    if (warning.code !== 'torn-tail') problems.push(`(${where}) unexpected warning at open: ${warning.code}: ${warning.message}`);
  }
  if (Number.isNaN(lockMtimeMs)) problems.push(`(${where}) the killed writer left no lock directory`);
  if (lockOwnerPid !== child.pid) problems.push(`(${where}) LOCK.owner named pid ${lockOwnerPid}, the writer was ${child.pid}`);
  return {
    policy,
    startOp,
    reportedOps,
    turnFloor: report.turnFloor,
    recoveredOps,
    matches,
    lostOps: recoveredOps === -1 ? Number.NaN : Math.max(0, reportedOps - recoveredOps),
    opsPerSecond,
    openMs: opened - openStarted,
    sinceKillMs: opened - killedAt,
    lockOwnerPid,
    childPid: child.pid ?? -1,
    warnings,
    problems,
  };
}

/** Nearest-rank percentile of `values` (p in 0..100). */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

// -------------------------------------------------------------------------------------------------
// The child

async function writerMain(args: string[]): Promise<void> {
  const [dir, policyText, seedText, startText = '0'] = args;
  if (dir === undefined || !['always', 'everysec', 'no'].includes(policyText) || !/^\d+$/.test(seedText ?? '')) {
    process.stderr.write('usage: crash-writer.ts <dir> <always|everysec|no> <seed> [startOp]\n');
    process.exit(2);
  }
  const seed = Number(seedText);
  const background = JSON.parse(process.env.EMBERKV_CRASH_BACKGROUND ?? '{}') as NonNullable<CycleOptions['background']>;
  const store = await open(dir, {
    appendfsync: policyText as AppendFsync,
    appendonly: background.snapshotsOnly !== true,
    save: [],
    onWarning: (warning) => process.stderr.write(`warning ${warning.code}: ${warning.message}\n`),
  });
  // Background jobs on a timer; "already in progress" refusals are expected and ignored.
  if (background.rewriteEveryMs !== undefined) setInterval(() => void store.bgrewriteaof().catch(() => {}), background.rewriteEveryMs);
  if (background.bgsaveEveryMs !== undefined) setInterval(() => void store.bgsave().catch(() => {}), background.bgsaveEveryMs);
  // Stdout is a pipe: writeSync on fd 1 returns once the line is in the kernel's pipe buffer.
  const say = (line: string) => {
    for (let retry = 0; ; retry++) {
      try {
        writeLine(line);
        return;
      } catch (error) {
        // A full non-blocking pipe: the parent is behind; wait for it (busy, but rare and brief).
        if ((error as NodeJS.ErrnoException).code !== 'EAGAIN' || retry > 1_000_000) throw error;
      }
    }
  };
  say(`ready ${startText}`);
  let next = Number(startText);
  const burst = () => {
    say(`t ${next}`);
    for (let left = burstSize(seed, next); left > 0; left--) {
      runOp(store, opAt(seed, next));
      say(String(next));
      next++;
    }
    setImmediate(burst);
  };
  setImmediate(burst);
  // Never outlive a parent that forgot us.
  setTimeout(() => process.exit(3), 120_000).unref();
}

let writeLine: (line: string) => void = () => {};

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { writeSync } = await import('node:fs');
  writeLine = (line) => void writeSync(1, `${line}\n`);
  await writerMain(process.argv.slice(2));
}
