// The directory lock (lib/persistence/lock.ts): one store per directory. A second open while a live
// store holds it fails at once with StoreLockedError, from this process or another; a holder killed
// with SIGKILL leaves its lock behind, and the next open takes it over once stale, with no cleanup.

import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { EmberError, open, StoreLockedError } from '../../lib/index.ts';
import { LOCK_DIR, LOCK_OWNER_FILE, LOCK_STALE_MS, LOCK_UPDATE_MS } from '../../lib/persistence/lock.ts';
import { CRASH_WRITER, REPO_ROOT } from '../support/crash-writer.ts';

const root = mkdtempSync(join(tmpdir(), 'emberkv-lock-'));
let counter = 0;
const freshDir = () => join(root, `d${counter++}`);
/** "At once": a refused open must not wait out a timeout. */
const REFUSAL_MS_MAX = 1000;
/** A dead holder named by LOCK.owner is taken over at once: this bounds "at once" with slack. */
const TAKEOVER_MS_MAX = 1500;
/**
 * Without an owner record, a dead holder's lock turns stale LOCK_STALE_MS after its mtime, which
 * proper-lockfile sets up to 1 s ahead; lock.ts gives up after LOCK_STALE_MS + 2 * LOCK_UPDATE_MS.
 */
const STALE_TAKEOVER_MS_MAX = LOCK_STALE_MS + 2 * LOCK_UPDATE_MS;

/** Runs `code` (an ES module body) in a new Node process with tsx; resolves with its stdout. */
function runNode(code: string): Promise<{ stdout: string; stderr: string; code: number | null }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('close', (exit) => resolve({ stdout, stderr, code: exit }));
  });
}

const indexUrl = pathToFileURL(join(REPO_ROOT, 'lib/index.ts')).href;

test('a second open in the same process rejects at once with StoreLockedError naming the directory; after close it opens', async () => {
  const dir = freshDir();
  const first = await open(dir);
  first.set('k', 'v');
  const started = performance.now();
  let caught: unknown = null;
  try {
    const second = await open(dir);
    await second.close();
  } catch (error) {
    caught = error;
  }
  const elapsedMs = performance.now() - started;
  assert.instance(caught, StoreLockedError);
  assert.instance(caught, EmberError);
  const error = caught as StoreLockedError;
  assert.is(error.code, 'ELOCKED');
  assert.is(error.name, 'StoreLockedError');
  assert.is(error.directory, dir);
  assert.ok(error.message.includes(dir), error.message);
  assert.ok(elapsedMs < REFUSAL_MS_MAX, `refused after ${Math.round(elapsedMs)} ms`);
  // The refused open changed nothing: the first store still writes, and a later open sees it.
  first.set('k', 'w');
  await first.close();
  const again = await open(dir);
  assert.is(again.get('k'), 'w');
  await again.close();
});

test('a second opener in another process fails at once with StoreLockedError while this process holds the store', async () => {
  const dir = freshDir();
  const store = await open(dir);
  try {
    const { stdout, stderr } = await runNode(`
      const { open } = await import(${JSON.stringify(indexUrl)});
      const started = performance.now();
      try {
        const store = await open(${JSON.stringify(dir)});
        await store.close();
        console.log(JSON.stringify({ opened: true }));
      } catch (error) {
        console.log(JSON.stringify({ code: error.code, name: error.name, directory: error.directory, ms: performance.now() - started }));
      }
    `);
    const line = stdout.trim().split('\n').at(-1) ?? '';
    let reported: { code?: string; name?: string; directory?: string; ms?: number; opened?: boolean };
    try {
      reported = JSON.parse(line);
    } catch {
      throw new Error(`the child printed no result:\n${stdout}\n${stderr}`);
    }
    assert.is(reported.opened, undefined, 'the child opened a directory this process holds');
    assert.is(reported.code, 'ELOCKED');
    assert.is(reported.name, 'StoreLockedError');
    assert.is(reported.directory, dir);
    assert.ok(reported.ms! < REFUSAL_MS_MAX, `the child was refused after ${Math.round(reported.ms!)} ms`);
    // Still ours: writes go on.
    store.set('after', 'child');
  } finally {
    await store.close();
  }
});

test('reopen after SIGKILL of a child that held the store: takes the dead holder\'s lock over at once, no cleanup', async () => {
  const dir = freshDir();
  const child = spawn(process.execPath, ['--import', 'tsx', CRASH_WRITER, dir, 'always', '7', '0'], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const closed = new Promise<NodeJS.Signals | null>((resolve) => child.on('close', (_code, signal) => resolve(signal)));
  await new Promise<void>((resolve, reject) => {
    let seen = '';
    child.stdout.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      if (seen.includes('\n0\n')) resolve(); // op 0 returned: with 'always', it is on disk
    });
    child.on('close', (code) => reject(new Error(`the writer exited (${code}) before its first op:\n${stderr}`)));
  });
  await new Promise((resolve) => setTimeout(resolve, 100));
  child.kill('SIGKILL');
  assert.is(await closed, 'SIGKILL');
  const killedAt = Date.now();

  // What the dead holder left: its lock directory, and LOCK.owner naming it.
  assert.ok(existsSync(join(dir, LOCK_DIR)), 'the killed holder left its lock');
  const owner = JSON.parse(readFileSync(join(dir, LOCK_OWNER_FILE), 'utf8')) as { pid: number };
  assert.is(owner.pid, child.pid);

  const store = await open(dir);
  const openedAt = Date.now();
  console.log(`reopen after SIGKILL took ${openedAt - killedAt} ms`);
  assert.ok(openedAt - killedAt < TAKEOVER_MS_MAX, `reopen after SIGKILL took ${openedAt - killedAt} ms`);
  // What the child wrote is there (op 0 at least: it reported it done, with appendfsync 'always').
  assert.ok(store.dbsize() > 0);
  assert.is(JSON.parse(readFileSync(join(dir, LOCK_OWNER_FILE), 'utf8')).pid, process.pid);
  await store.close();
});

test('a lock with no owner record is taken over only once stale, never earlier', async () => {
  const dir = freshDir();
  const first = await open(dir);
  await first.close();
  // A holder that died between creating LOCK/ and writing LOCK.owner: nothing says who it was.
  mkdirSync(join(dir, LOCK_DIR));
  const created = statSync(join(dir, LOCK_DIR)).mtimeMs;
  const started = Date.now();
  const store = await open(dir);
  const openedAt = Date.now();
  assert.ok(openedAt >= created + LOCK_STALE_MS, `taken ${Math.round(created + LOCK_STALE_MS - openedAt)} ms before it was stale`);
  assert.ok(openedAt - started < STALE_TAKEOVER_MS_MAX, `took ${openedAt - started} ms`);
  await store.close();
  assert.not.ok(existsSync(join(dir, LOCK_OWNER_FILE)), 'a clean close removes the owner record');
});

test.after(() => rmSync(root, { recursive: true, force: true }));

test.run();
