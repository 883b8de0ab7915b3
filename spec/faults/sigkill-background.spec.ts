// SIGKILL in the middle of background work: a child writes numbered operations while it rewrites
// its AOF (or saves snapshots) over and over, and is killed at a random moment, so kills land at
// every stage of a rewrite or a bgsave. After each kill the directory must open, hold exactly some
// prefix of the operations (with appendfsync 'always', every one reported done), and keep no temp
// files or files its manifest does not name. Snapshot-only stores come back as their last complete
// snapshot: the previous one stays valid until the new one is renamed into place.

import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { AppendFsync } from '../../lib/index.ts';
import { crashCycle, hash32, type CycleOptions } from '../support/crash-writer.ts';

const KILLS = 8;
const campaignSeed = Number(process.env.EMBERKV_SEED ?? Math.floor(Math.random() * 2 ** 31));
const root = mkdtempSync(join(tmpdir(), 'emberkv-sigkill-bg-'));

/** Kills one child after another on one directory; returns the kills that landed mid-job. */
async function campaign(name: string, background: NonNullable<CycleOptions['background']>, lane: number): Promise<void> {
  const dir = join(root, name);
  const seed = hash32(campaignSeed, lane);
  let recovered = 0;
  let jobsCompleted = 0;
  for (let kill = 0; kill < KILLS; kill++) {
    const policy: AppendFsync = kill % 2 === 0 ? 'always' : 'everysec';
    const killDelayMs = 60 + (hash32(seed, kill, 7) % 400);
    const result = await crashCycle({ dir, policy, seed, startOp: recovered, killDelayMs, background });
    assert.equal(result.problems, [], `${name} kill ${kill} (EMBERKV_SEED=${campaignSeed}, delay ${killDelayMs} ms)`);
    const names = readdirSync(dir);
    assert.equal(names.filter((n) => n.endsWith('.tmp')), [], `${name}: temp files removed at open`);
    if (!background.snapshotsOnly) {
      const manifest = readFileSync(join(dir, 'manifest'), 'utf8');
      for (const file of names.filter((n) => /^(appendonly|base)\.\d+\./.test(n))) assert.ok(manifest.includes(file), `${name}: ${file} is in the manifest`);
      if (manifest.includes('\nbase ')) jobsCompleted++;
    } else if (names.includes('dump.rdb')) jobsCompleted++;
    recovered = result.recoveredOps;
  }
  console.log(`${name}: ${KILLS} kills, last state held ${recovered} operations; a completed job was on disk after ${jobsCompleted}`);
  assert.ok(jobsCompleted > 0, `${name}: the background jobs did run to completion at times`);
}

test('SIGKILL at random moments of AOF rewrites under write load', async () => {
  await Promise.all([0, 1].map((lane) => campaign(`rewrite-${lane}`, { rewriteEveryMs: 25 }, lane)));
});

test('SIGKILL during bgsave: the previous snapshot stays intact and loads', async () => {
  await Promise.all([2, 3].map((lane) => campaign(`bgsave-${lane}`, { bgsaveEveryMs: 15, snapshotsOnly: true }, lane)));
});

test.after(() => rmSync(root, { recursive: true, force: true }));
test.run();
