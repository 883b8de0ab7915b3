// The published package works: `npm pack` builds dist/ (prepack runs `npm run build`), and a
// project that installs the tarball gets a working `npx emberkv-inspect` and `import('emberkv')`.
// Installing needs the npm registry (for the package's dependencies): without it, one SKIP line.

import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

const ROOT = new URL('../..', import.meta.url).pathname;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(command: string, args: string[], cwd: string, timeoutMs: number): Promise<Run> {
  return new Promise((resolve) => {
    execFile(command, args, { cwd, timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
      resolve({ code, stdout, stderr: error !== null && error.killed ? `${stderr}\n(killed after ${timeoutMs} ms)` : stderr });
    });
  });
}

/** Why the registry cannot be used, or null when it answers. */
async function registryProblem(): Promise<string | null> {
  const ping = await run('npm', ['ping', '--fetch-retries=0', '--fetch-timeout=10000'], ROOT, 15_000);
  if (ping.code === 0) return null;
  const lines = ping.stderr.split('\n').map((line) => line.replace(/^npm (error|ERR!) /, '').trim());
  return lines.find((line) => /^(code |errno |request to |FetchError|network)/.test(line) || /ECONN|ENOTFOUND|ETIMEDOUT|EAI_AGAIN/.test(line)) ?? `npm ping exited with ${ping.code}`;
}

const problem = await registryProblem();
if (problem !== null) {
  console.log(`SKIP pack check: the npm registry is unreachable (${problem})`);
  test('registry unreachable: the pack check is skipped', () => {});
} else {
  test('npm pack builds dist/; the installed tarball runs npx emberkv-inspect and import("emberkv")', async () => {
    const packDir = mkdtempSync(join(tmpdir(), 'emberkv-pack-'));
    const project = mkdtempSync(join(tmpdir(), 'emberkv-project-'));
    try {
      const pack = await run('npm', ['pack', '--pack-destination', packDir], ROOT, 120_000);
      assert.is(pack.code, 0, `npm pack failed (the build must typecheck):\n${pack.stdout}\n${pack.stderr}`);
      const tarball = readdirSync(packDir).find((name) => name.endsWith('.tgz'));
      assert.ok(tarball !== undefined, 'npm pack wrote a tarball');

      writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'emberkv-pack-check', private: true, type: 'module' }));
      const install = await run('npm', ['install', join(packDir, tarball!), '--no-audit', '--no-fund'], project, 120_000);
      assert.is(install.code, 0, `npm install failed:\n${install.stderr}`);
      for (const file of ['dist/lib/index.js', 'dist/lib/index.d.ts', 'dist/tools/inspect.js']) {
        assert.ok(existsSync(join(project, 'node_modules', 'emberkv', file)), `the package holds ${file}`);
      }
      // The local bin exists, so npx runs it (and never fetches a package of that name).
      assert.ok(existsSync(join(project, 'node_modules', '.bin', 'emberkv-inspect')));

      const help = await run('npx', ['emberkv-inspect', '--help'], project, 30_000);
      assert.is(help.code, 0, help.stderr);
      assert.match(help.stdout, /^Usage: emberkv-inspect <command> <path>/m);

      const script = `import('emberkv').then(async ({ open }) => {
        const store = await open('data');
        store.set('k', 'v');
        store.hset('h', { f: 'x' });
        await store.close();
        const again = await open('data');
        console.log(again.get('k'), again.hget('h', 'f'));
        await again.close();
      })`;
      const imported = await run(process.execPath, ['-e', script], project, 30_000);
      assert.is(imported.code, 0, imported.stderr);
      assert.is(imported.stdout, 'v x\n');
      const memory = await run(process.execPath, ['-e', "import('emberkv').then(async (m) => { const s = await m.open(); s.set('a', '1'); console.log(s.get('a')); })"], project, 30_000);
      assert.is(memory.stdout, '1\n', memory.stderr);

      const verify = await run('npx', ['emberkv-inspect', 'verify', 'data'], project, 30_000);
      assert.is(verify.code, 0, verify.stderr);
      assert.match(verify.stdout, /^sound: 1 file, 2 records/m);
    } finally {
      rmSync(packDir, { recursive: true, force: true });
      rmSync(project, { recursive: true, force: true });
    }
  });
}

test.run();
