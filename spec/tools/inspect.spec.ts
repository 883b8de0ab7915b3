// emberkv-inspect, run as people run it: a child process on files the library wrote, sound and
// damaged byte by byte as the AOF and snapshot fault specs damage them. Each report must name the
// offset open() names; after `fix --yes`, verify must pass and open() must load everything before
// the damage; dump must equal the keyspace open() loads; verify and info of a 1M-key file must run
// in bounded memory; bad input gets one line and exit 2.

import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync, appendFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CorruptFileError, open, type Store } from '../../lib/index.ts';
import { nodeFs } from '../../lib/fs/node-fs.ts';
import { walkFrames } from '../../lib/persistence/frame-walk.ts';
import { writeManifestSync } from '../../lib/persistence/manifest.ts';
import { FrameEncoder } from '../../lib/persistence/record-codec.ts';
import { loadSnapshotFile } from '../../lib/persistence/snapshot-reader.ts';
import { copyDir, openCollecting, stateAt, tempRoot, writeLog, type WrittenLog } from '../support/data-dir.ts';
import { describeValue, dumpStore, type DumpedKey } from '../support/model.ts';

const ROOT = new URL('../..', import.meta.url).pathname;
const temp = tempRoot('inspect');
const quiet = { activeExpiry: false, save: [] as Array<[number, number]>, autoAofRewritePercentage: 0, onWarning: () => {} };

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the tool as a child process, as `npx emberkv-inspect ...` would. */
function inspect(...args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'tools/inspect.ts', ...args], {
      cwd: ROOT,
      env: { ...process.env, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

async function inspectJson(expectedCode: number, ...args: string[]): Promise<any> {
  const run = await inspect(...args, '--json');
  assert.is(run.code, expectedCode, `${args.join(' ')}: exit ${run.code}\n${run.stdout}\n${run.stderr}`);
  return JSON.parse(run.stdout);
}

/** Dump lines in the shape of dumpStore (spec/support/model.ts), to compare the two. */
function fromDump(stdout: string): Record<string, DumpedKey> {
  const out: Record<string, DumpedKey> = {};
  const describe = (value: string | { base64: string }) =>
    typeof value === 'string' ? describeValue(value) : describeValue(new Uint8Array(Buffer.from(value.base64, 'base64')));
  for (const line of stdout.split('\n')) {
    if (line === '') continue;
    const { key, type, value, expiresAt } = JSON.parse(line);
    let shown: DumpedKey['value'];
    if (type === 'string') shown = describe(value);
    else if (type === 'hash') {
      shown = Object.entries(value as Record<string, string | { base64: string }>).map(([field, v]): [string, string] => [field, describe(v)]);
      shown.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    } else {
      shown = (value as Array<[string, number | string]>).map(([member, score]): [number, string] => [
        typeof score === 'number' ? score : score === 'inf' ? Infinity : -Infinity,
        member,
      ]);
    }
    assert.not.ok(key in out, `key ${key} dumped twice`);
    out[key] = { type, value: shown, expiresAt: expiresAt ?? 0 };
  }
  return out;
}

/** Dump equals what open() loads: as of now (expired keys left out), and with --expired, all of it. */
async function assertDumpEquals(path: string, store: Store, code = 0): Promise<void> {
  const now = await inspect('dump', path);
  assert.is(now.code, code, now.stderr);
  assert.equal(fromDump(now.stdout), dumpStore(store, Date.now()));
  const all = await inspect('dump', path, '--expired');
  assert.is(all.code, code, all.stderr);
  assert.equal(fromDump(all.stdout), dumpStore(store, 0));
}

/** Records writeLog wrote for commands from..to-1: every fifth command is a MULTI of three. */
function recordsOf(from: number, to: number): number {
  let records = 0;
  for (let i = from; i < to; i++) records += i % 5 === 4 ? 3 : 1;
  return records;
}

/** Runs independent cases side by side: each spawns children, which mostly wait on startup. */
async function each<T>(items: readonly T[], run: (item: T, index: number) => Promise<void>): Promise<void> {
  await Promise.all(items.map(run));
}

function flip(path: string, offset: number, bit = 0): void {
  const bytes = readFileSync(path);
  bytes[offset] ^= 1 << bit;
  writeFileSync(path, bytes);
}

function backups(dir: string, name: string): string[] {
  return readdirSync(dir).filter((file) => file.startsWith(`${name}.bak-`));
}

/** Runs fix --yes and checks what must hold after: verify passes, a backup holds the old bytes. */
async function fixAndCheck(dir: string, file: string, fixPath = join(dir, file)): Promise<void> {
  const before = readFileSync(join(dir, file));
  const fixed = await inspect('fix', fixPath, '--yes');
  assert.is(fixed.code, 0, `${fixed.stdout}\n${fixed.stderr}`);
  assert.match(fixed.stdout, /sound \(verified after the cut\)/);
  const verified = await inspect('verify', dir);
  assert.is(verified.code, 0, verified.stdout);
  const copies = backups(dir, file);
  assert.is(copies.length, 1, 'one backup next to the file');
  assert.ok(readFileSync(join(dir, copies[0])).equals(before), 'the backup holds the file as it was');
}

let log: WrittenLog;
let logAof: string;
/** A directory after a rewrite: base snapshot + an incremental file with records, and dump.rdb. */
let rewritten: string;
let rewrittenState: Record<string, DumpedKey>;
/** A snapshot-only store (appendonly: false): dump.rdb and nothing else. */
let snapshotOnly: string;

test.before(async () => {
  log = await writeLog(temp.path('log'), 40);
  logAof = join(log.dir, 'appendonly.1.aof');

  rewritten = temp.path('rewritten');
  const store = await open(rewritten, quiet);
  for (let i = 0; i < 300; i++) store.set(`s:${i}`, `value ${i}`, i % 7 === 0 ? { ex: 3600 } : undefined);
  const fields: Record<string, string> = {};
  for (let i = 0; i < 1500; i++) fields[`f${i}`] = `v${i}`;
  store.hset('big:hash', fields);
  store.hset('bin:hash', { a: new Uint8Array([0, 255, 1]), b: 'text' });
  store.zadd('big:zset', Array.from({ length: 1200 }, (_, i) => [(i * 7919) % 1000, `m${i}`] as [number, string]));
  store.zadd('inf', [[Infinity, 'top'], [-Infinity, 'bottom'], [0, 'zero']]);
  store.set('bytes', new Uint8Array([1, 2, 3, 0xfe]));
  store.set('gone', 'soon', { px: 1 });
  await store.bgrewriteaof();
  for (let i = 0; i < 50; i++) store.set(`after:${i}`, `v${i}`);
  store.hset('big:hash', { f0: 'changed' });
  store.zadd('big:zset', [[-1, 'm5']]);
  await store.bgsave();
  await store.flush();
  rewrittenState = dumpStore(store, 0);
  await store.close();
  await new Promise((resolve) => setTimeout(resolve, 5)); // 'gone' has expired

  snapshotOnly = temp.path('snapshot-only');
  const snap = await open(snapshotOnly, { ...quiet, appendonly: false });
  snap.set('a', '1');
  snap.hset('h', { x: 'y' });
  snap.zadd('z', [[2, 'b']]);
  snap.set('ttl', 'x', { ex: 3600 });
  await snap.close();
});

// -------------------------------------------------------------------------------------------------

test('bad input: one line on stderr naming what and what to do, exit 2, never a stack trace', async () => {
  const random = temp.path('random');
  writeFileSync(random, Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919 + 13) & 255)));
  const empty = temp.path('empty');
  writeFileSync(empty, '');
  const zeros = temp.path('zeros');
  writeFileSync(zeros, Buffer.alloc(100));
  const noStore = temp.path('no-store');
  copyDir(join(ROOT, 'docs'), noStore);
  const cases: string[][] = [
    ['verify', random],
    ['info', empty],
    ['dump', zeros],
    ['verify', noStore],
    ['info', join(noStore, 'missing')],
    ['frobnicate', log.dir],
    ['verify'],
    ['verify', log.dir, '--bogus'],
    ['dump', log.dir, '--type', 'list'],
  ];
  const stderr = new Map<string, string>();
  await each(cases, async (args) => {
    const run = await inspect(...args);
    assert.is(run.code, 2, `${args.join(' ')}: ${run.stderr}`);
    assert.is(run.stdout, '', args.join(' '));
    const lines = run.stderr.trimEnd().split('\n');
    assert.is(lines.length, 1, `${args.join(' ')}: ${run.stderr}`);
    assert.match(lines[0], /^emberkv-inspect: .+ — .+/);
    stderr.set(args.join(' '), run.stderr);
  });
  assert.match(stderr.get(`verify ${random}`)!, /not an emberkv file/);
  assert.match(stderr.get(`verify ${noStore}`)!, /no emberkv store/);
  const help = await inspect('--help');
  assert.is(help.code, 0);
  for (const command of ['info', 'verify', 'dump', 'cat', 'bigkeys', 'fix']) assert.match(help.stdout, new RegExp(`\\n  ${command} `));
});

test('info: format, sizes, counts by type, TTLs, time span, manifest', async () => {
  const aof = await inspectJson(0, 'info', logAof);
  assert.is(aof.kind, 'aof');
  assert.is(aof.version, 2);
  assert.is(aof.bytes, log.sizes.at(-1));
  assert.is(aof.batches, 8, 'every fifth command of writeLog is a MULTI of three');
  assert.is(aof.records, recordsOf(0, 40));
  assert.equal(aof.recordsByType, { string: 8 + 8 + 16, hash: 8, zset: 8, keyspace: 8 });
  assert.is(aof.commands.HSET, 8);
  assert.is(aof.clockFrames, 1, 'the fake clock never moves: one clock frame');
  assert.is(aof.firstClock, new Date(log.clock.ms).toISOString());
  assert.equal(aof.problems, []);

  const snapshot = await inspectJson(0, 'info', join(rewritten, 'dump.rdb'));
  assert.is(snapshot.kind, 'snapshot');
  assert.is(snapshot.writtenBy, '0.1.0');
  assert.ok(snapshot.createdMs > Date.now() - 60_000);
  assert.equal(snapshot.keysByType, { string: 300 + 50 + 2, hash: 2, zset: 2 });
  assert.equal(snapshot.elementsByType, { hash: 1502, zset: 1203 });
  assert.is(snapshot.keysWithTtl, 44);
  assert.is(snapshot.keysExpired, 1);

  const dir = await inspectJson(0, 'info', rewritten);
  assert.equal(dir.manifest, { base: 'base.2.rdb', incrs: ['appendonly.2.aof'] });
  assert.match(dir.manifestText, /^emberkv-manifest 1\nbase base\.2\.rdb\nincr appendonly\.2\.aof\ncrc32 [0-9a-f]{8}\n$/);
  assert.equal(dir.files.map((file: { name: string; role: string }) => [file.name, file.role]), [
    ['base.2.rdb', 'base'],
    ['appendonly.2.aof', 'incr'],
    ['dump.rdb', 'snapshot'],
  ]);
  assert.is(dir.files[1].records, 52);
  assert.is(dir.lockedBy, null);
  assert.is(dir.verdict, 'sound');

  const people = await inspect('info', rewritten);
  assert.is(people.code, 0);
  assert.match(people.stdout, /incr appendonly\.2\.aof/);
  assert.match(people.stdout, /base\.2\.rdb\s+base\s+[\d.]+ KB\s+\d[\d,]* keys: string \d+/);
  assert.match(people.stdout, /status\s+sound/);
  assert.not.match(people.stdout, /\x1b\[/, 'no colour when stdout is not a terminal');
});

test('verify: every sound input exits 0', async () => {
  const paths = [log.dir, logAof, rewritten, join(rewritten, 'dump.rdb'), snapshotOnly];
  await each(paths, async (path) => {
    const run = await inspect('verify', path);
    assert.is(run.code, 0, `${path}: ${run.stdout}${run.stderr}`);
    assert.match(run.stdout, /^sound: /m);
  });
});

test('torn tail: verify names where the torn record starts; fix cuts it; open() loads every complete record', async () => {
  const kept = log.sizes.at(-2)!;
  const damages: Array<[string, (file: string) => void, number]> = [
    ['cut in the frame header', (file) => truncateSync(file, kept + 3), kept],
    ['flipped bit in the last record', (file) => flip(file, log.sizes.at(-1)! - 2), kept],
    ['zero-filled tail', (file) => appendFileSync(file, Buffer.alloc(4096)), log.sizes.at(-1)!],
  ];
  await each(damages, async ([what, damage, expectedOffset], index) => {
    const dir = temp.path('torn');
    copyDir(log.dir, dir);
    const file = join(dir, 'appendonly.1.aof');
    damage(file);
    for (const path of index === 0 ? [dir, file] : [dir]) {
      const report = await inspectJson(1, 'verify', path);
      assert.is(report.problems.length, 1, what);
      const [problem] = report.problems;
      assert.is(problem.file, file);
      assert.is(problem.offset, expectedOffset, `${what}: offset`);
      assert.is(problem.kind, 'torn-tail', what);
      assert.is(problem.atOpen, 'cut');
      assert.is(problem.droppedByRepair.records, 0, 'nothing complete follows a torn tail');
    }
    if (index === 0) {
      const people = await inspect('verify', dir);
      assert.match(people.stdout, new RegExp(`at byte ${expectedOffset.toLocaleString('en-US')}: torn tail`));
      assert.match(people.stdout, /repairable without loss beyond that record/);
    }
    await fixAndCheck(dir, 'appendonly.1.aof');
    const { store, warnings } = await openCollecting(dir, { clock: log.clock.now });
    assert.equal(warnings, [], `${what}: nothing left to cut at open`);
    assert.equal(dumpStore(store), stateAt(log, expectedOffset), what);
    await store.close();
  });
});

test('mid-file corruption: verify names the offset open() refuses at; fix keeps everything before it', async () => {
  const start = log.sizes[19];
  const end = log.sizes[20];
  await each([start, start + 5, end - 1], async (offset, index) => {
    const dir = temp.path('middle');
    copyDir(log.dir, dir);
    const file = join(dir, 'appendonly.1.aof');
    flip(file, offset, offset % 8);
    const refused = await refusalOfCopy(dir, { clock: log.clock.now });
    assert.instance(refused, CorruptFileError);
    const report = await inspectJson(1, 'verify', dir);
    const [problem] = report.problems;
    assert.is(problem.file, file);
    assert.is(problem.offset, (refused as CorruptFileError).offset, `flip at ${offset}: the offset open() names`);
    assert.is(problem.offset, start);
    assert.is(problem.kind, 'corrupt');
    assert.is(problem.damage, 'mid-file-corruption');
    assert.is(problem.atOpen, 'refuse');
    assert.is(problem.droppedByRepair.records, recordsOf(21, 40), 'the good records after the damaged one');
    assert.is(problem.repair, `emberkv-inspect fix ${file} --yes`);
    assert.is(report.verdict, 'refuses');

    if (index === 0) {
      // Without --yes: says what it drops, changes nothing.
      const before = readFileSync(file);
      const dry = await inspect('fix', dir);
      assert.is(dry.code, 1);
      assert.match(dry.stdout, new RegExp(`drops\\s+bytes ${start.toLocaleString('en-US')}\\.\\.`));
      assert.match(dry.stdout, new RegExp(`the damaged frame and ${recordsOf(21, 40)} good records after it`));
      assert.match(dry.stdout, /Nothing changed\. Run again with --yes/);
      assert.ok(readFileSync(file).equals(before));
      assert.equal(backups(dir, 'appendonly.1.aof'), []);
    }

    await fixAndCheck(dir, 'appendonly.1.aof');
    const { store, warnings } = await openCollecting(dir, { clock: log.clock.now });
    assert.equal(warnings, []);
    assert.equal(dumpStore(store), stateAt(log, start), `flip at ${offset}: everything before the damage`);
    await store.close();
  });
});

test('every damaged region is named, each with its offset, and cat shows them in place', async () => {
  const dir = temp.path('two');
  copyDir(log.dir, dir);
  const file = join(dir, 'appendonly.1.aof');
  flip(file, log.sizes[9] + 9);
  flip(file, log.sizes[29] + 9);
  const report = await inspectJson(1, 'verify', file);
  assert.equal(
    report.problems.map((problem: { offset: number; firstInFile: boolean }) => [problem.offset, problem.firstInFile]),
    [
      [log.sizes[9], true],
      [log.sizes[29], false],
    ],
  );
  const cat = await inspect('cat', file);
  assert.is(cat.code, 1);
  const lines = cat.stdout.split('\n');
  const damaged = lines.filter((line) => line.includes('!! damaged'));
  assert.is(damaged.length, 2);
  assert.match(damaged[0], new RegExp(`^\\s*${log.sizes[9]}\\s+!! damaged: frame checksum mismatch, and a valid frame follows at byte ${log.sizes[10]}`));
  assert.ok(lines.some((line) => new RegExp(`^\\s*${log.sizes[10]}\\s+\\S`).test(line)), 'cat goes on after the damage');
});

test('a frame that passes its checksum but does not replay is corruption at its offset', async () => {
  const dir = temp.path('forged');
  copyDir(log.dir, dir);
  const file = join(dir, 'appendonly.1.aof');
  const encoder = new FrameEncoder();
  encoder.record(['NOSUCHCOMMAND', 'x']);
  const bytes = readFileSync(file);
  const at = log.sizes[9];
  writeFileSync(file, Buffer.concat([bytes.subarray(0, at), encoder.take(), bytes.subarray(at)]));
  const refused = await refusalOfCopy(dir, { clock: log.clock.now });
  assert.instance(refused, CorruptFileError);
  const report = await inspectJson(1, 'verify', dir);
  assert.is(report.problems[0].offset, (refused as CorruptFileError).offset);
  assert.is(report.problems[0].offset, at);
  assert.match(report.problems[0].reason, /unknown or read-only command NOSUCHCOMMAND/);
  await fixAndCheck(dir, 'appendonly.1.aof');
  const { store } = await openCollecting(dir, { clock: log.clock.now });
  assert.equal(dumpStore(store), stateAt(log, at));
  await store.close();
});

test('headers: a damaged one is named at byte 0 and not cut; an empty last file gets a fresh one', async () => {
  const dir = temp.path('header');
  copyDir(log.dir, dir);
  flip(join(dir, 'appendonly.1.aof'), 12);
  const report = await inspectJson(1, 'verify', dir);
  assert.is(report.problems[0].offset, 0);
  assert.match(report.problems[0].reason, /header fails its checksum/);
  const refused = await inspect('fix', dir, '--yes');
  assert.is(refused.code, 1);
  assert.match(refused.stderr, /^emberkv-inspect: .*header is damaged.* — .*restore it from a backup\n$/);
  assert.equal(backups(dir, 'appendonly.1.aof'), []);

  const emptied = temp.path('emptied');
  copyDir(log.dir, emptied);
  writeFileSync(join(emptied, 'appendonly.1.aof'), Buffer.alloc(10));
  const empty = await inspectJson(1, 'verify', emptied);
  assert.is(empty.problems[0].kind, 'torn-tail');
  assert.is(empty.problems[0].atOpen, 'fresh-header');
  await fixAndCheck(emptied, 'appendonly.1.aof');
  assert.is(readFileSync(join(emptied, 'appendonly.1.aof')).length, 16);
  const { store, warnings } = await openCollecting(emptied);
  assert.equal(warnings, []);
  assert.is(store.dbsize(), 0);
  await store.close();
});

test('damage in a file that is not the last: later files hold records that depended on the dropped ones', async () => {
  // Two incremental files, as a rewrite's first manifest leaves them: the log, then more records.
  const build = async (): Promise<string> => {
    const dir = temp.path('two-files');
    copyDir(log.dir, dir);
    const next = temp.path('next');
    const store = await open(next, { ...quiet, clock: log.clock.now, appendfsync: 'always' });
    for (let i = 0; i < 5; i++) store.set(`later:${i}`, 'x');
    store.incr('counter');
    await store.close();
    writeFileSync(join(dir, 'appendonly.2.aof'), readFileSync(join(next, 'appendonly.1.aof')));
    writeManifestSync(nodeFs, dir, { base: null, incrs: ['appendonly.1.aof', 'appendonly.2.aof'] });
    return dir;
  };
  const sound = await build();
  assert.is((await inspect('verify', sound)).code, 0);

  for (const via of ['directory', 'file'] as const) {
    const dir = await build();
    const first = join(dir, 'appendonly.1.aof');
    flip(first, log.sizes[19] + 9);
    const report = await inspectJson(1, 'verify', dir);
    assert.is(report.problems[0].file, first);
    assert.is(report.problems[0].offset, log.sizes[19]);
    const target = via === 'directory' ? dir : first;
    const dry = await inspect('fix', target);
    assert.is(dry.code, 1);
    assert.match(dry.stdout, /appendonly\.2\.aof: 6 records written after the dropped ones/);
    assert.match(dry.stdout, /The damage is not in the last file/);
    await fixAndCheck(dir, 'appendonly.1.aof', target);
    assert.equal(backups(dir, 'appendonly.2.aof').length, 1, 'the later file is backed up');
    assert.not.ok(existsSync(join(dir, 'appendonly.2.aof')));
    assert.match(readFileSync(join(dir, 'manifest'), 'utf8'), /^emberkv-manifest 1\nincr appendonly\.1\.aof\ncrc32 /);
    const { store } = await openCollecting(dir, { clock: log.clock.now });
    assert.equal(dumpStore(store), stateAt(log, log.sizes[19]), `via the ${via}: the store as it was at the damage`);
    await store.close();
  }

  // A torn tail is allowed only in the last file holding records: here it is corruption.
  const torn = await build();
  truncateSync(join(torn, 'appendonly.1.aof'), log.sizes.at(-1)! - 3);
  const tornReport = await inspectJson(1, 'verify', torn);
  assert.is(tornReport.problems[0].kind, 'corrupt');
  assert.match(tornReport.problems[0].reason, /not the last one/);
});

test('snapshots: verify names the frame loading refuses at; no torn-tail rule; fix will not cut one', async () => {
  const source = join(rewritten, 'dump.rdb');
  const frames: number[] = [];
  const walk = await walkFrames(nodeFs, source, (_bytes, _start, _end, offset) => void frames.push(offset));
  const fileBytes = walk.fileBytes;
  const frameAt = (offset: number) => frames.filter((start) => start <= offset).at(-1)!;
  const libraryOffset = async (path: string): Promise<number> => {
    const store = await open(undefined, quiet);
    try {
      await loadSnapshotFile(nodeFs, path, store.ks, { skipExpired: false, remedy: '' });
      return -1;
    } catch (error) {
      assert.instance(error, CorruptFileError);
      return (error as CorruptFileError).offset;
    } finally {
      await store.close();
    }
  };
  const cases: Array<[string, (path: string) => void, number]> = [
    ['flipped bit in a middle frame', (path) => flip(path, Math.floor(fileBytes / 2)), frameAt(Math.floor(fileBytes / 2))],
    ['cut in the middle', (path) => truncateSync(path, Math.floor(fileBytes / 3)), frameAt(Math.floor(fileBytes / 3))],
    ['END frame missing', (path) => truncateSync(path, frames.at(-1)!), frames.at(-1)!],
    ['flipped bit in the first frame', (path) => flip(path, 20), 16],
  ];
  await each(cases, async ([what, damage, expected]) => {
    const path = temp.path('snap');
    writeFileSync(path, readFileSync(source));
    damage(path);
    const report = await inspectJson(1, 'verify', path);
    assert.is(report.problems[0].offset, expected, `${what}: offset`);
    assert.is(report.problems[0].offset, await libraryOffset(path), `${what}: the offset loading names`);
    assert.is(report.problems[0].kind, 'corrupt', `${what}: a snapshot has no torn tail`);
    const fix = await inspect('fix', path, '--yes');
    assert.is(fix.code, 1);
    assert.match(fix.stderr, /^emberkv-inspect: .* — a snapshot is all or nothing and cannot be cut; restore it from a backup/);
    assert.equal(backups(dirname(path), basename(path)), []);
  });
  // In a directory, a damaged base refuses to open; a damaged dump.rdb beside a manifest does not.
  const dir = temp.path('bad-base');
  copyDir(rewritten, dir);
  flip(join(dir, 'base.2.rdb'), Math.floor((readFileSync(join(dir, 'base.2.rdb')).length * 2) / 3));
  flip(join(dir, 'dump.rdb'), 100);
  const report = await inspectJson(1, 'verify', dir);
  const named = report.problems.map((problem: { file: string; atOpen: string }) => `${basename(problem.file)} ${problem.atOpen}`);
  assert.is(named[0], 'base.2.rdb refuse');
  assert.is(named.at(-1), 'dump.rdb not-loaded');
  assert.is(report.verdict, 'refuses');
});

test('repeated keys and elements in a snapshot are found, with the offset of the repeat', async () => {
  // A file no writer makes: built frame by frame, each frame with a valid checksum.
  const encoder = new FrameEncoder();
  const frame = (kind: number, body: (e: FrameEncoder) => void) => {
    const start = encoder.open(kind);
    body(encoder);
    encoder.close(start);
  };
  frame(0x10, (e) => (e.writeFloat64(Date.now()), e.writeArg('test'), e.writeVarint(3)));
  frame(0x11, (e) => (e.writeByte(0), e.writeArg('a'), e.writeFloat64(0), e.writeArg('1')));
  frame(0x11, (e) => (e.writeByte(1), e.writeArg('h'), e.writeFloat64(0), e.writeVarint(0)));
  frame(0x12, (e) => (e.writeByte(1), e.writeArg('h'), e.writeVarint(2), e.writeArg('f'), e.writeArg('1'), e.writeArg('g'), e.writeArg('2')));
  const repeatAt = encoder.length;
  frame(0x12, (e) => (e.writeByte(1), e.writeArg('h'), e.writeVarint(1), e.writeArg('f'), e.writeArg('3')));
  const keyAt = encoder.length;
  frame(0x11, (e) => (e.writeByte(0), e.writeArg('a'), e.writeFloat64(0), e.writeArg('2')));
  frame(0x1f, (e) => e.writeVarint(3));
  const { encodeFileHeader } = await import('../../lib/persistence/format.ts');
  const path = temp.path('repeats');
  writeFileSync(path, Buffer.concat([encodeFileHeader('snapshot'), encoder.take()]));
  const report = await inspectJson(1, 'verify', path);
  assert.equal(
    report.problems.map((problem: { offset: number; reason: string }) => [problem.offset, problem.reason]),
    [
      [16 + repeatAt, 'field "f" of "h" appears twice'],
      [16 + keyAt, 'key "a" appears twice'],
    ],
  );
});

test('dump of a directory equals the keyspace open() loads from it', async () => {
  await each([log.dir, rewritten, snapshotOnly], async (dir) => {
    const { store } = await reopenCopy(dir, { ...quiet, appendonly: dir !== snapshotOnly });
    await assertDumpEquals(dir, store);
    await store.close();
  });
  // One file on its own: an AOF replayed from empty; a snapshot streamed.
  const { store: fromLog } = await reopenCopy(log.dir);
  await assertDumpEquals(logAof, fromLog);
  await fromLog.close();
  const loaded = await open(undefined, quiet);
  await loadSnapshotFile(nodeFs, join(rewritten, 'dump.rdb'), loaded.ks, { skipExpired: false, remedy: '' });
  await assertDumpEquals(join(rewritten, 'dump.rdb'), loaded);
  assert.equal(dumpStore(loaded, 0), rewrittenState, 'the snapshot holds the store as it was');
  await loaded.close();

  // Damaged: a torn tail dumps what open() keeps; mid-file damage what truncate mode would keep.
  const torn = temp.path('torn-dump');
  copyDir(log.dir, torn);
  truncateSync(join(torn, 'appendonly.1.aof'), log.sizes.at(-1)! - 2);
  const tornRun = await inspect('dump', torn, '--expired');
  assert.is(tornRun.code, 0);
  assert.match(tornRun.stderr, /^emberkv-inspect: .*at byte \d+: .* — open\(\) cuts it/);
  assert.equal(fromDump(tornRun.stdout), stateAt(log, log.sizes.at(-2)!));
  assert.is(readFileSync(join(torn, 'appendonly.1.aof')).length, log.sizes.at(-1)! - 2, 'dump changed nothing');
  const middle = temp.path('middle-dump');
  copyDir(log.dir, middle);
  flip(join(middle, 'appendonly.1.aof'), log.sizes[19] + 9);
  const middleRun = await inspect('dump', middle, '--expired');
  assert.is(middleRun.code, 1, 'open() refuses this store');
  assert.equal(fromDump(middleRun.stdout), stateAt(log, log.sizes[19]));

  // Filters, and bytes marked as binary.
  const hashes = await inspect('dump', rewritten, '--type', 'hash', '--match', 'b*');
  const lines = hashes.stdout.trim().split('\n').map((line) => JSON.parse(line));
  assert.equal(lines.map((line) => line.key).sort(), ['big:hash', 'bin:hash']);
  assert.equal(lines.find((line) => line.key === 'bin:hash').value, { a: { base64: 'AP8B' }, b: 'text' });
  const strings = await inspect('dump', join(rewritten, 'dump.rdb'), '--match', 'bytes');
  assert.equal(JSON.parse(strings.stdout), { key: 'bytes', type: 'string', value: { base64: 'AQID/g==' }, expiresAt: null });
});

// Opens a copy, so the directory under test stays as the inspector saw it (open() repairs).
async function reopenCopy(dir: string, options: Parameters<typeof openCollecting>[1] = quiet) {
  const probe = temp.path('probe');
  copyDir(dir, probe);
  return openCollecting(probe, options);
}

/** What open() throws on a copy of dir; null when it opens. */
async function refusalOfCopy(dir: string, options: Parameters<typeof openCollecting>[1]): Promise<unknown> {
  return reopenCopy(dir, options).then(
    () => null,
    (error: unknown) => error,
  );
}

test('cat: each record as a command at its byte offset; --from/--to select frames', async () => {
  const all = (await inspect('cat', logAof, '--json')).stdout.trim().split('\n').map((line) => JSON.parse(line));
  assert.equal(all[0], { offset: 16, bytes: 17, frame: 'clock', ms: log.clock.ms, time: new Date(log.clock.ms).toISOString() });
  const recordOffsets = all.filter((frame) => frame.frame !== 'clock').map((frame) => frame.offset);
  assert.equal(recordOffsets, [33, ...log.sizes.slice(0, -1)], 'one frame per command (each written alone), starting where the previous ended');
  assert.is(all[1].frame, 'records');
  assert.equal(all[1].commands, [['SET', 's0', 'value-0']]);
  assert.equal(all[2].commands, [['HSET', 'h1', 'f1', { base64: Buffer.from([1, 7]).toString('base64') }]]);
  assert.is(all[5].frame, 'batch');
  assert.equal(all[5].commands.map((command: unknown[]) => command[0]), ['SET', 'INCRBY', 'PEXPIREAT'], 'as the write path logs them');

  const some = (await inspect('cat', logAof, '--json', '--from', String(log.sizes[9]), '--to', String(log.sizes[19]))).stdout.trim().split('\n');
  assert.equal(some.map((line) => JSON.parse(line).offset), log.sizes.slice(9, 19));

  const people = await inspect('cat', logAof);
  assert.is(people.code, 0);
  const lines = people.stdout.split('\n');
  assert.match(lines[1], /^\s*33  SET s0 value-0$/);
  assert.match(lines[2], /^\s*\d+  HSET h1 f1 b"\\x01\\x07"$/);
  assert.ok(lines.some((line) => /^\s*\d+  MULTI$/.test(line)));
  assert.ok(lines.some((line) => /^\s+EXEC$/.test(line)));

  const snapshot = await inspect('cat', join(rewritten, 'base.2.rdb'));
  assert.is(snapshot.code, 0);
  assert.match(snapshot.stdout, /^\s*16  META created .* by emberkv 0\.1\.0, \d[\d,]* keys when it began$/m);
  assert.match(snapshot.stdout, /KEY  hash   big:hash 0: \(elements in MORE frames\)/);
  assert.match(snapshot.stdout, /\d+  END \d[\d,]* keys$/m);
});

test('bigkeys: the largest keys per type by elements and by bytes, and a warning past the limit', async () => {
  const dir = temp.path('big');
  const store = await open(dir, quiet);
  const fields: Record<string, string> = {};
  for (let i = 0; i < 3000; i++) fields[`field:${i}`] = 'x'.repeat(i % 50);
  store.hset('sessions', fields);
  store.hset('small', { a: 'b' });
  store.zadd('board', Array.from({ length: 2500 }, (_, i) => [i, `player:${i}`] as [number, string]));
  store.zadd('tiny', [[1, 'a']]);
  store.set('blob', new Uint8Array(100_000));
  for (let i = 0; i < 100; i++) store.set(`s:${i}`, 'v'.repeat(i));
  await store.bgsave();
  await store.close();

  const fromDirectory = await inspectJson(0, 'bigkeys', dir, '--warn-elements', '2000', '--top', '3');
  const fromSnapshot = await inspectJson(0, 'bigkeys', join(dir, 'dump.rdb'), '--warn-elements', '2000', '--top', '3');
  assert.is(fromDirectory.keys, 105);
  assert.is(fromDirectory.byType.hash.biggestByElements.key, 'sessions');
  assert.is(fromDirectory.byType.hash.biggestByElements.elements, 3000);
  assert.is(fromDirectory.byType.zset.biggestByElements.key, 'board');
  assert.is(fromDirectory.byType.string.biggestByBytes.key, 'blob');
  assert.is(fromDirectory.byType.string.biggestByBytes.bytes, 100_000);
  assert.equal(fromDirectory.topByBytes.map((size: { key: string }) => size.key), ['sessions', 'blob', 'board']);
  assert.equal(fromDirectory.warnings.map((size: { key: string }) => size.key), ['sessions', 'board']);
  const measures = (report: any) => JSON.stringify([report.keys, report.topByBytes, report.topByElements].map((list) => (Array.isArray(list) ? list.map(({ memory: _, ...size }: any) => size) : list)));
  assert.is(measures(fromDirectory), measures(fromSnapshot), 'replayed and streamed sizes agree');

  const people = await inspect('bigkeys', dir, '--warn-elements', '2000');
  assert.match(people.stdout, /hash\s+2\s+3,001\s+.*sessions \(3,000 fields\)/);
  assert.match(people.stdout, /warning: hash "sessions" has 3,000 fields, past 2,000: split it/);
  assert.match(people.stdout, /warning: zset "board" has 2,500 members/);
  const filtered = await inspectJson(0, 'bigkeys', dir, '--type', 'zset');
  assert.is(filtered.keys, 2);
});

test('reads work while a store has the directory open, and change nothing', async () => {
  const dir = temp.path('live');
  const store = await open(dir, quiet);
  for (let i = 0; i < 100; i++) store.set(`k${i}`, `v${i}`);
  store.hset('h', { a: '1' });
  await store.flush();
  const before = readdirSync(dir).sort();
  const info = await inspectJson(0, 'info', dir);
  assert.is(info.lockedBy.pid, process.pid);
  assert.is((await inspect('verify', dir)).code, 0);
  await assertDumpEquals(dir, store);
  assert.equal(readdirSync(dir).sort(), before);
  const fix = await inspect('fix', dir, '--yes');
  assert.is(fix.code, 0, 'a sound store has nothing to fix (and no lock is needed to say so)');
  store.set('more', 'x');
  await store.flush();
  await store.close();
});

test('1M keys: verify and info stream in bounded memory', async () => {
  const dir = temp.path('million');
  const store = await open(dir, quiet);
  for (let i = 0; i < 1_000_000; i++) store.set(`key:${i}`, `value-${i}`, i % 10 === 0 ? { ex: 3600 } : undefined);
  await store.bgsave();
  await store.close();
  const limitBytes = 250 * 1024 * 1024;
  const figures: string[] = [];
  for (const [command, file] of [
    ['verify', 'appendonly.1.aof'],
    ['info', 'appendonly.1.aof'],
    ['verify', 'dump.rdb'],
    ['info', 'dump.rdb'],
  ]) {
    const run = await inspect(command, join(dir, file), '--debug-rss', '--json');
    assert.is(run.code, 0, run.stderr);
    const rss = Number(/rss-peak-bytes (\d+)/.exec(run.stderr)?.[1]);
    figures.push(`${command} ${file} ${(rss / 2 ** 20).toFixed(0)} MB`);
    assert.ok(rss < limitBytes, `${command} ${file}: peak RSS ${(rss / 2 ** 20).toFixed(0)} MB`);
    if (command === 'info') {
      const report = JSON.parse(run.stdout);
      if (file === 'dump.rdb') {
        assert.is(report.keys, 1_000_000);
        assert.is(report.keysWithTtl, 100_000);
      } else assert.is(report.records, 1_000_000);
    }
  }
  console.log(`peak RSS of the tool on 1M keys (${(readFileSync(join(dir, 'appendonly.1.aof')).length / 2 ** 20).toFixed(0)} MB AOF): ${figures.join(', ')}`);
  rmSync(dir, { recursive: true, force: true });
});

test.after(() => temp.remove());
test.run();
