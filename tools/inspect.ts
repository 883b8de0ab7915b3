#!/usr/bin/env node
// emberkv-inspect: the one command for the person debugging an app's emberkv store. It answers
// what is in the files, whether they are sound, and how to get the data back.
//
//   emberkv-inspect <info|verify|dump|cat|bigkeys|fix> <path> [options]      (--help lists them)
//
// <path> is a data directory (followed through its manifest), one append-only file or one snapshot;
// the file header says which. Exit status: 0 sound or done, 1 problems found (or a fix not done),
// 2 bad usage or input that is not an emberkv store. Errors are one line on stderr:
// `emberkv-inspect: <what> — <what to do>`, never a stack trace.
//
// Invariants, and why:
//   - Nothing but `fix --yes` writes, and no read takes the directory lock: the tool must be usable
//     while the app has the store open (a write in progress then reads as a torn tail, and says so).
//   - Every byte is read through the library's own readers (check.ts scanFrames via frame-walk.ts,
//     record-codec.ts, snapshot-stream.ts, and recovery.ts's replayFile via read-only.ts), so
//     "damaged at byte N", "torn tail" and "what open() loads" mean here exactly what they mean at
//     open. The one thing added is walking on past damage, to name every damaged region.
//   - Files are streamed frame by frame: info, verify and cat keep memory flat however big the file.
//     dump and bigkeys of a snapshot stream too; of an AOF or a directory whose AOF holds records
//     they build the keyspace, as open() does (an AOF's meaning is the state after replaying it).
//   - fix writes a synced backup of every file it changes before changing it, and holds the
//     directory lock while it works (a store appending to the file being cut would be a disaster).
//
// Files, one concern each: inspect/errors.ts (exit statuses, InspectError) · format.ts (text) ·
// output.ts (stdout, notes, progress bar) · context.ts · target.ts (what the path is) · analyze.ts
// (AOF, snapshot and directory analysis) · keys.ts (keys as open() loads them) · one file per
// command: info.ts, verify.ts, dump.ts, cat.ts, bigkeys.ts, fix.ts. This file: usage, options, main.

import { parseArgs } from 'node:util';
import { nodeFs } from '../lib/fs/node-fs.ts';
import { compileGlob } from '../lib/keyspace/glob.ts';
import { TYPE_NAMES, type TypeName } from '../lib/keyspace/keyspace.ts';
import { EMBERKV_VERSION } from '../lib/version.ts';
import { bigkeys } from './inspect/bigkeys.ts';
import { cat } from './inspect/cat.ts';
import type { Context, Options } from './inspect/context.ts';
import { dump } from './inspect/dump.ts';
import { EXIT_OK, EXIT_USAGE, InspectError } from './inspect/errors.ts';
import { fix } from './inspect/fix.ts';
import { info } from './inspect/info.ts';
import type { KeyFilter } from './inspect/keys.ts';
import { Output, Progress, withProgress } from './inspect/output.ts';
import { resolveTarget } from './inspect/target.ts';
import { verify } from './inspect/verify.ts';

/** bigkeys warns about hashes and sorted sets past this many elements (split them). */
const BIG_VALUE_ELEMENTS = 1_000_000;

const USAGE = `emberkv-inspect — what is in an emberkv store's files, whether they are sound, how to get the data back

Usage: emberkv-inspect <command> <path> [options]

<path> is a data directory (the one given to open(); its manifest says which files load), an
append-only file (appendonly.N.aof) or a snapshot (dump.rdb, base.N.rdb): the header says which.

Commands
  info      format, version, sizes, counts by type, keys with TTLs, time span, manifest
  verify    check every checksum and record: exit 0 when sound, else 1, naming each problem's
            file and byte offset, torn tail (repairable) or mid-file corruption
  dump      the content as JSON lines {"key","type","value","expiresAt"}, as open() loads it;
            bytes values as {"base64": ...}
  cat       the records of an AOF as commands with byte offsets (a snapshot: its frames)
  bigkeys   the largest keys by type, by elements and by bytes; warns about huge hashes and zsets
  fix       cut an AOF back to its last good record, after a backup; says what it drops, then
            does it only with --yes

Options
  --json               for scripts: one JSON document (dump and cat: JSON lines)
  --match PATTERN      dump, bigkeys: keys matching a Redis glob pattern (user:*)
  --type TYPE          dump, bigkeys: string, hash or zset keys only
  --expired            dump: also keys whose TTL has passed (still in the files)
  --from N, --to N     cat: frames starting at byte offsets N <= offset < M
  --full               cat: long values whole
  --top N              bigkeys: how many keys to list (default 10)
  --warn-elements N    bigkeys: warn past N fields or members (default 1000000)
  --yes                fix: do it
  --dbfilename NAME    the snapshot's name in a directory (default dump.rdb)
  --no-progress        no progress bar (shown on stderr, on a terminal, for work over a second);
                       --progress shows it even when stderr is not a terminal
  -h, --help           this text;  --version  the emberkv version

Exit status: 0 sound or done, 1 problems found (or fix not done), 2 bad usage or unreadable input.
Nothing but fix --yes writes, and reads take no lock: safe while the app has the store open.
info, verify and cat stream any file in flat memory, as do dump and bigkeys of a snapshot; dump
and bigkeys of an AOF (or a directory whose AOF holds records) replay it in memory, as open() does.
`;

const COMMANDS = ['info', 'verify', 'dump', 'cat', 'bigkeys', 'fix'] as const;
type CommandName = (typeof COMMANDS)[number];

/** Options each command accepts, beyond --json, --dbfilename and the progress switches. */
const COMMAND_OPTIONS: Record<CommandName, readonly string[]> = {
  info: [],
  verify: [],
  dump: ['match', 'type', 'expired'],
  cat: ['from', 'to', 'full'],
  bigkeys: ['match', 'type', 'top', 'warn-elements'],
  fix: ['yes'],
};

function parseCount(text: string | undefined, name: string, fallback: number | null): number | null {
  if (text === undefined) return fallback;
  if (!/^\d+$/.test(text.replace(/[_,]/g, ''))) throw new InspectError(`--${name} takes a whole number, got ${JSON.stringify(text)}`, 'see emberkv-inspect --help');
  return Number(text.replace(/[_,]/g, ''));
}

async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        json: { type: 'boolean' },
        yes: { type: 'boolean' },
        match: { type: 'string' },
        type: { type: 'string' },
        expired: { type: 'boolean' },
        from: { type: 'string' },
        to: { type: 'string' },
        full: { type: 'boolean' },
        top: { type: 'string' },
        'warn-elements': { type: 'string' },
        dbfilename: { type: 'string' },
        progress: { type: 'boolean' },
        'no-progress': { type: 'boolean' },
        'debug-rss': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean' },
      },
    });
  } catch (error) {
    const message = (error as Error).message;
    const unknown = /Unknown option '([^']+)'/.exec(message);
    throw new InspectError(unknown !== null ? `unknown option ${unknown[1]}` : message.split(/\.\s|\n/)[0].replace(/\.$/, ''), 'see emberkv-inspect --help');
  }
  const { values, positionals } = parsed;
  if (values['debug-rss']) {
    process.on('exit', () => process.stderr.write(`rss-peak-bytes ${process.resourceUsage().maxRSS * 1024}\n`));
  }
  if (values.help) {
    process.stdout.write(USAGE);
    return EXIT_OK;
  }
  if (values.version) {
    process.stdout.write(`${EMBERKV_VERSION}\n`);
    return EXIT_OK;
  }
  const [name, input, ...extra] = positionals;
  if (name === undefined) throw new InspectError('no command given', 'try emberkv-inspect --help');
  if (!COMMANDS.includes(name as CommandName)) throw new InspectError(`unknown command ${JSON.stringify(name)}`, `use one of ${COMMANDS.join(', ')} (emberkv-inspect --help)`);
  const command = name as CommandName;
  if (input === undefined) throw new InspectError(`${command} needs a path`, `emberkv-inspect ${command} <data directory | .aof file | .rdb file>`);
  if (extra.length > 0) throw new InspectError(`unexpected argument ${JSON.stringify(extra[0])}`, `${command} takes one path`);
  for (const option of ['yes', 'match', 'type', 'expired', 'from', 'to', 'full', 'top', 'warn-elements'] as const) {
    if (values[option] !== undefined && !COMMAND_OPTIONS[command].includes(option)) {
      throw new InspectError(`--${option} does not apply to ${command}`, 'see emberkv-inspect --help');
    }
  }
  if (values.type !== undefined && !TYPE_NAMES.includes(values.type as TypeName)) {
    throw new InspectError(`--type ${JSON.stringify(values.type)} is not a type`, 'use string, hash or zset');
  }
  const options: Options = {
    json: values.json === true,
    yes: values.yes === true,
    match: values.match ?? null,
    type: (values.type as TypeName | undefined) ?? null,
    expired: values.expired === true,
    from: parseCount(values.from, 'from', null),
    to: parseCount(values.to, 'to', null),
    full: values.full === true,
    top: parseCount(values.top, 'top', 10)!,
    warnElements: parseCount(values['warn-elements'], 'warn-elements', BIG_VALUE_ELEMENTS)!,
    snapshotName: values.dbfilename ?? 'dump.rdb',
  };
  if (!/^[A-Za-z0-9._-]+$/.test(options.snapshotName)) throw new InspectError(`--dbfilename ${JSON.stringify(options.snapshotName)} is not a plain file name`, 'pass the name as given to open() (dbfilename)');

  const progress = new Progress(values['no-progress'] === true ? false : values.progress === true || process.stderr.isTTY === true);
  const context: Context = { fs: withProgress(nodeFs, progress), out: new Output(progress), progress, options, now: Date.now() };
  const filter: KeyFilter = { match: options.match === null ? null : compileGlob(options.match), type: options.type, includeExpired: options.expired, now: context.now };
  const target = resolveTarget(nodeFs, input);
  try {
    switch (command) {
      case 'info':
        return await info(context, target);
      case 'verify':
        return await verify(context, target);
      case 'dump':
        return await dump(context, target, filter);
      case 'cat':
        return await cat(context, target);
      case 'bigkeys':
        return await bigkeys(context, target, filter);
      case 'fix':
        return await fix(context, target);
    }
  } finally {
    context.out.flush();
    progress.clear();
  }
}

process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  // `emberkv-inspect dump dir | head`: the reader left; stop quietly.
  if (error.code === 'EPIPE') process.exit(EXIT_OK);
  throw error;
});

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (error) {
  if (error instanceof InspectError) {
    process.stderr.write(`emberkv-inspect: ${error.message}\n`);
    process.exitCode = error.exitCode;
  } else {
    const code = (error as NodeJS.ErrnoException).code;
    const what = code !== undefined && /^E[A-Z]+$/.test(code) ? `${(error as Error).message}` : `unexpected error: ${(error as Error).message}`;
    process.stderr.write(`emberkv-inspect: ${what.split('\n')[0]} — ${code === 'ENOENT' ? 'a file went away while it was read (a rewrite?); run the command again' : 'check the path; if it persists, report it with the command you ran'}\n`);
    if (process.env.EMBERKV_DEBUG) process.stderr.write(`${(error as Error).stack}\n`);
    process.exitCode = EXIT_USAGE;
  }
}
