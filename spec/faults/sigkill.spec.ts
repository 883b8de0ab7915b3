// SIGKILL: a writer process is killed at a random moment, and the directory it wrote must reopen
// (a torn tail cut with a warning, the dead writer's lock taken over without cleanup) holding exactly
// a prefix of the op sequence, with nothing lost that the writer had already been told is safe:
//   'always'    every op the writer reported done: its record was written and fsynced before the
//               command returned. The op in flight at the kill may or may not be there.
//   'everysec'  every op from an earlier event-loop turn than the writer's last one: the AOF writes
//               a turn's records at the end of the turn, and a SIGKILL loses only what the process
//               held in memory (unlike a power cut, the OS keeps written bytes without an fsync).
//               Ops of the last turn may be missing; how many is reported as the loss window.
// In both, no gaps and no half batch: the reopened keyspace equals expectedState(seed, n) for
// exactly one n. spec/support/crash-writer.ts holds the writer, the model and these checks.
//
// Each lane reuses one directory across its kills (kill, check, restart from the recovered n), and
// alternates the policy, so one directory sees many crashes under both. Lanes run side by side:
// every reopen waits ~5 s for the dead writer's lock to turn stale (lib/persistence/lock.ts), idle
// time the lanes share. Replay a run with EMBERKV_SEED=<seed printed below>.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { open, type AppendFsync } from '../../lib/index.ts';
import { LOCK_STALE_MS, LOCK_UPDATE_MS } from '../../lib/persistence/lock.ts';
import {
  crashCycle,
  expectedState,
  findPrefixes,
  hash32,
  opAt,
  percentile,
  readState,
  runOp,
  type CycleResult,
} from '../support/crash-writer.ts';

const LANES = 8;
const KILLS_PER_LANE = 4;
const KILL_DELAY_MS_MIN = 20;
const KILL_DELAY_MS_MAX = 300;
/** lock.ts polls every 200 ms; the rest is slack for this process's own load (8 lanes checking). */
const OPEN_LATE_MS_MAX = 2000;

const campaignSeed = Number(process.env.EMBERKV_SEED ?? Math.floor(Math.random() * 2 ** 31));
const root = mkdtempSync(join(tmpdir(), 'emberkv-sigkill-'));
const results: CycleResult[] = [];

/** Runs one lane's kills; returns its failure (the lane stops at its first), or null. */
async function runLane(lane: number): Promise<string | null> {
  const dir = join(root, `lane-${lane}`);
  const seed = hash32(campaignSeed, lane);
  let recovered = 0;
  for (let kill = 0; kill < KILLS_PER_LANE; kill++) {
    const policy: AppendFsync = (lane + kill) % 2 === 0 ? 'always' : 'everysec';
    const killDelayMs = KILL_DELAY_MS_MIN + (hash32(seed, kill, 99) % (KILL_DELAY_MS_MAX - KILL_DELAY_MS_MIN + 1));
    const result = await crashCycle({ dir, policy, seed, startOp: recovered, killDelayMs });
    results.push(result);
    if (result.problems.length > 0) {
      return `lane ${lane} kill ${kill} (EMBERKV_SEED=${campaignSeed}, delay ${killDelayMs} ms):\n${result.problems.join('\n')}`;
    }
    recovered = result.recoveredOps;
  }
  return null;
}

test('the checker: the model agrees with a store, and a gap or half a batch is no prefix', async () => {
  const seed = hash32(campaignSeed, 1234);
  const n = 400;
  const batch = Array.from({ length: n }, (_, i) => opAt(seed, i)).filter((op) => op.kind === 'batch').at(-1)!;
  const skipped = Math.floor(n / 2);
  const whole = await open();
  const gapped = await open();
  for (let i = 0; i < n; i++) {
    runOp(whole, opAt(seed, i));
    if (i !== skipped) runOp(gapped, opAt(seed, i));
  }
  assert.equal(readState(whole), expectedState(seed, n));
  assert.equal(findPrefixes(seed, readState(whole), n + 10), [n]);
  assert.equal(findPrefixes(seed, readState(gapped), n + 10), [], `op ${skipped} missing`);
  whole.del(batch.commands[1][1]); // batch:b:<i> gone, batch:a:<i> kept
  assert.equal(findPrefixes(seed, readState(whole), n + 10), [], `half of batch ${batch.index}`);
  await whole.close();
  await gapped.close();
});

test(`${LANES * KILLS_PER_LANE} SIGKILLs across always/everysec: each reopen holds exactly one prefix and every op it must keep`, async () => {
  console.log(`EMBERKV_SEED=${campaignSeed}`);
  // Every lane runs to its end (or first failure) before anything is asserted, so no writer is left running.
  const failures = (await Promise.all(Array.from({ length: LANES }, (_, lane) => runLane(lane)))).filter((failure) => failure !== null);
  assert.equal(failures, []);
  assert.is(results.length, LANES * KILLS_PER_LANE);
  for (const policy of ['always', 'everysec'] as const) {
    const mine = results.filter((result) => result.policy === policy);
    assert.ok(mine.length >= 10, `${policy}: ${mine.length} kills`);
    const lost = mine.map((result) => result.lostOps);
    const tornTails = mine.filter((result) => result.warnings.length > 0).length;
    const rate = mine.map((result) => result.opsPerSecond);
    console.log(
      `${policy}: ${mine.length} kills, ops reported done but missing: max ${Math.max(...lost)} (per kill: ${lost.join(' ')}), ` +
        `torn tails cut: ${tornTails}, writer ops/s median ${Math.round(percentile(rate, 50))}`,
    );
    if (policy === 'always') assert.is(Math.max(...lost), 0);
  }
});

test('after every SIGKILL the next open takes the dead writer\'s lock over, no cleanup, once it is stale', () => {
  assert.ok(results.length > 0);
  for (const result of results) {
    // The dead writer's pid was in LOCK.owner, its lock was left behind, and open still succeeded
    // (crashCycle awaited it and checked it did not take the lock before it was stale).
    assert.is(result.lockOwnerPid, result.childPid);
    // A lock's mtime is at most ~1 s ahead (proper-lockfile rounds a new lock's mtime up to the next
    // second), so it turns stale at most LOCK_STALE_MS + LOCK_UPDATE_MS after the kill.
    assert.ok(result.staleAfterKillMs <= LOCK_STALE_MS + LOCK_UPDATE_MS + 50, `stale ${Math.round(result.staleAfterKillMs)} ms after the kill`);
    // Then lock.ts notices within its 200 ms poll, plus this busy process's event-loop lag.
    assert.ok(result.openLateMs < OPEN_LATE_MS_MAX, `open came ${Math.round(result.openLateMs)} ms after the lock turned stale`);
  }
  const waits = results.map((result) => result.openMs);
  const stale = results.map((result) => result.staleAfterKillMs);
  const late = results.map((result) => result.openLateMs);
  console.log(
    `open after SIGKILL: min ${Math.round(Math.min(...waits))} ms, median ${Math.round(percentile(waits, 50))} ms, ` +
      `p99 ${Math.round(percentile(waits, 99))} ms, max ${Math.round(Math.max(...waits))} ms; ` +
      `lock stale after the kill: ${Math.round(Math.min(...stale))}..${Math.round(Math.max(...stale))} ms; ` +
      `open after stale: median ${Math.round(percentile(late, 50))} ms, max ${Math.round(Math.max(...late))} ms`,
  );
});

test.after(() => rmSync(root, { recursive: true, force: true }));

test.run();
