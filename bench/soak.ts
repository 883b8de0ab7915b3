// The crash soak: `npm run soak [-- --cycles N --lanes N --cycles-per-dir N --seed N]`.
//
// Runs N kill/reopen cycles (default 1000) of spec/support/crash-writer.ts: a writer process writes
// numbered ops into a directory and is killed with SIGKILL 20-300 ms after it opened the store;
// the directory is reopened, and the reopened keyspace must be exactly one prefix of the op
// sequence, keeping every op the policy promises (see the writer's header). Policies rotate
// always / everysec / no per cycle; each lane reuses one directory for --cycles-per-dir cycles
// (default 25), so one directory sees many crashes under every policy, then starts a fresh one
// (the AOF is never rewritten, so replay time would otherwise only grow).
//
// Prints, per policy, the worst data-loss window (ops reported done by the writer but missing after
// the reopen; for 'always' it must be 0), torn tails cut, the writer's throughput, and how long the
// reopen took (max, p99): replay plus taking the dead writer's lock over. Lanes run side by side
// (--lanes, default 8). Exits 1 on any broken expectation (failing directories
// are kept), 2 if the writer cannot start at all (a broken checkout: nothing was tested).

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { AppendFsync } from '../lib/index.ts';
import { crashCycle, hash32, percentile, type CycleResult } from '../spec/support/crash-writer.ts';

const { values } = parseArgs({
  options: {
    cycles: { type: 'string', default: '1000' },
    lanes: { type: 'string', default: '8' },
    'cycles-per-dir': { type: 'string', default: '25' },
    seed: { type: 'string' },
  },
});
const cycles = Number(values.cycles);
const lanes = Math.min(Number(values.lanes), cycles);
const cyclesPerDir = Number(values['cycles-per-dir']);
const campaignSeed = values.seed !== undefined ? Number(values.seed) : Math.floor(Math.random() * 2 ** 31);
for (const [name, value] of [['cycles', cycles], ['lanes', lanes], ['cycles-per-dir', cyclesPerDir]] as const) {
  if (!Number.isInteger(value) || value < 1) throw new TypeError(`--${name} must be a positive integer, got ${value}`);
}

const POLICIES: AppendFsync[] = ['always', 'everysec', 'no'];
const KILL_DELAY_MS_MIN = 20;
const KILL_DELAY_MS_MAX = 300;

const root = mkdtempSync(join(tmpdir(), 'emberkv-soak-'));
const results: CycleResult[] = [];
const failures: string[] = [];
const keptDirs: string[] = [];
let aborted: string | null = null;
let next = 0;
const started = performance.now();

console.log(`soak: ${cycles} cycles, ${lanes} lanes, ${cyclesPerDir} cycles per directory, seed ${campaignSeed}, in ${root}`);

async function runLane(lane: number): Promise<void> {
  let dirCount = 0;
  let dir = '';
  let seed = 0;
  let cyclesInDir = cyclesPerDir;
  let recovered = 0;
  for (let cycle = next++; cycle < cycles; cycle = next++) {
    if (cyclesInDir === cyclesPerDir) {
      if (dir !== '') rmSync(dir, { recursive: true, force: true });
      dir = join(root, `lane-${lane}-${dirCount++}`);
      seed = hash32(campaignSeed, lane, dirCount);
      cyclesInDir = 0;
      recovered = 0;
    }
    const policy = POLICIES[cycle % POLICIES.length];
    const killDelayMs = KILL_DELAY_MS_MIN + (hash32(campaignSeed, cycle, 99) % (KILL_DELAY_MS_MAX - KILL_DELAY_MS_MIN + 1));
    if (aborted !== null) break;
    let result: CycleResult;
    try {
      result = await crashCycle({ dir, policy, seed, startOp: recovered, killDelayMs });
    } catch (error) {
      // The writer did not start: the checkout is broken, not the store. Stop every lane.
      aborted ??= `cycle ${cycle} (${dir}, ${policy}): ${(error as Error).message}`;
      break;
    }
    results.push(result);
    cyclesInDir++;
    if (result.problems.length > 0) {
      failures.push(`cycle ${cycle} (${dir}, delay ${killDelayMs} ms):\n${result.problems.join('\n')}`);
      keptDirs.push(dir);
      dir = ''; // keep it for inspection; continue in a fresh one
      cyclesInDir = cyclesPerDir;
      continue;
    }
    recovered = result.recoveredOps;
    if (results.length % 50 === 0) {
      const seconds = (performance.now() - started) / 1000;
      console.log(`  ${results.length}/${cycles} cycles, ${failures.length} failures, ${seconds.toFixed(0)} s`);
    }
  }
  if (dir !== '') rmSync(dir, { recursive: true, force: true });
}

await Promise.all(Array.from({ length: lanes }, (_, lane) => runLane(lane)));
const seconds = (performance.now() - started) / 1000;

const ms = (value: number) => `${Math.round(value)} ms`;
console.log(`\n${results.length} cycles in ${seconds.toFixed(0)} s (seed ${campaignSeed})`);
console.log('policy     kills  loss max  loss mean  lossy kills  torn tails  writer ops/s (median)  reopen p50 / p99 / max');
let alwaysLoss = 0;
for (const policy of POLICIES) {
  const mine = results.filter((result) => result.policy === policy && result.recoveredOps !== -1);
  if (mine.length === 0) continue;
  const lost = mine.map((result) => result.lostOps);
  const opens = mine.map((result) => result.openMs);
  const lossMax = Math.max(...lost);
  if (policy === 'always') alwaysLoss = lossMax;
  console.log(
    `${policy.padEnd(9)}  ${String(mine.length).padStart(5)}  ${String(lossMax).padStart(8)}  ` +
      `${(lost.reduce((sum, value) => sum + value, 0) / lost.length).toFixed(2).padStart(9)}  ` +
      `${String(lost.filter((value) => value > 0).length).padStart(11)}  ` +
      `${String(mine.filter((result) => result.warnings.length > 0).length).padStart(10)}  ` +
      `${String(Math.round(percentile(mine.map((result) => result.opsPerSecond), 50))).padStart(21)}  ` +
      `${ms(percentile(opens, 50))} / ${ms(percentile(opens, 99))} / ${ms(Math.max(...opens))}`,
  );
}
const allOpens = results.map((result) => result.openMs);
console.log(`reopen after SIGKILL, all policies (replay and lock takeover): p50 ${ms(percentile(allOpens, 50))}, p99 ${ms(percentile(allOpens, 99))}, max ${ms(Math.max(...allOpens))}`);
console.log(`loss window = ops the writer reported done that the reopened store lacks; 'always' must be 0 (was ${alwaysLoss})`);

if (aborted !== null) {
  console.log(`\nABORTED after ${results.length} cycles, the writer could not start:\n${aborted}`);
  process.exitCode = 2;
} else if (results.length < cycles) {
  console.log(`\nonly ${results.length} of ${cycles} cycles ran`);
  process.exitCode = 2;
}
if (failures.length > 0 || alwaysLoss !== 0) {
  const shown = keptDirs.slice(0, 5).join(', ') + (keptDirs.length > 5 ? `, ... (${keptDirs.length} in ${root})` : '');
  console.log(`\n${failures.length} failed cycles (directories kept: ${shown}):`);
  for (const failure of failures.slice(0, 10)) console.log(failure);
  process.exitCode = 1;
} else if (aborted === null) {
  rmSync(root, { recursive: true, force: true });
}
