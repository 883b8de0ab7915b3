// info: format, version, sizes, counts by type, TTLs, time span and status of one file, or of a
// data directory's manifest, lock and files.

import { isDataFileName } from '../../lib/persistence/recovery.ts';
import {
  type AofReport,
  type DirectoryFile,
  type FileProblem,
  type SnapshotReport,
  analyzeAof,
  analyzeDirectory,
  analyzeSnapshot,
} from './analyze.ts';
import type { Context } from './context.ts';
import { EXIT_OK } from './errors.ts';
import {
  bold,
  commandsSummary,
  count,
  dim,
  formatBytes,
  formatDuration,
  formatTime,
  green,
  isoTime,
  plural,
  red,
  table,
} from './format.ts';
import { type Target, requireSoundHeader } from './target.ts';
import { verdictOf, verdictText } from './verify.ts';

function timeSpan(report: AofReport): string {
  if (report.firstClockMs === null || report.lastClockMs === null) return 'no clock frames';
  const span = formatDuration(report.lastClockMs - report.firstClockMs);
  return `${formatTime(report.firstClockMs)} → ${formatTime(report.lastClockMs)} (${span}, from ${plural(report.clockFrames, 'clock frame')})`;
}

function statusLine(problems: readonly FileProblem[], path: string): string {
  if (problems.length === 0) return green('sound');
  return red(`damaged: ${plural(problems.length, 'problem')}, the first at byte ${count(problems[0].offset)}`) + ` — run emberkv-inspect verify ${path}`;
}

function aofInfoRows(report: AofReport): string[][] {
  const rows: string[][] = [
    ['format', `append-only file, version ${report.version || '?'}`],
    ['size', `${formatBytes(report.fileBytes)} (${count(report.fileBytes)} bytes)`],
    ['modified', formatTime(report.modifiedMs)],
    ['time span', timeSpan(report)],
    ['records', `${count(report.records)} in ${plural(report.loadedFrames, 'frame')}${report.batches > 0 ? ` (${plural(report.batches, 'MULTI batch', 'MULTI batches')})` : ''}${report.cut !== null ? `, before the damage at byte ${count(report.cut)}` : ''}`],
    ['by type', Object.entries(report.recordsByType).filter(([, n]) => n > 0).map(([type, n]) => `${type} ${count(n)}`).join(', ') || '-'],
    ['commands', commandsSummary(report.commands)],
  ];
  if (report.dropped.records > 0) rows.push(['after damage', `${plural(report.dropped.records, 'good record')} past the first problem (a repair drops them)`]);
  rows.push(['status', statusLine(report.problems, report.path)]);
  return rows;
}

function snapshotContent(report: SnapshotReport): string {
  const parts = [`string ${count(report.keysByType.string)}`];
  parts.push(`hash ${count(report.keysByType.hash)} (${plural(report.elementsByType.hash, 'field')})`);
  parts.push(`zset ${count(report.keysByType.zset)} (${plural(report.elementsByType.zset, 'member')})`);
  return parts.join(', ');
}

function snapshotInfoRows(report: SnapshotReport): string[][] {
  return [
    ['format', `snapshot, version ${report.version || '?'}${report.writtenBy !== null ? ` (written by emberkv ${report.writtenBy})` : ''}`],
    ['created', formatTime(report.createdMs)],
    ['size', `${formatBytes(report.fileBytes)} (${count(report.fileBytes)} bytes)`],
    ['keys', `${count(report.keys)}${report.keysAtStart !== null && report.keysAtStart !== report.keys ? ` (${count(report.keysAtStart)} when it began)` : ''}`],
    ['by type', snapshotContent(report)],
    ['with TTL', `${count(report.keysWithTtl)}${report.keysExpired > 0 ? ` (${count(report.keysExpired)} already expired)` : ''}`],
    ['status', statusLine(report.problems, report.path)],
  ];
}

// The fields every file's JSON begins with, in this order.
function fileJsonFields(report: AofReport | SnapshotReport): object {
  return { path: report.path, kind: report.kind, version: report.version, bytes: report.fileBytes, modified: isoTime(report.modifiedMs) };
}

function aofJson(report: AofReport): object {
  return {
    ...fileJsonFields(report),
    frames: report.frames,
    records: report.records,
    batches: report.batches,
    clockFrames: report.clockFrames,
    firstClock: isoTime(report.firstClockMs),
    lastClock: isoTime(report.lastClockMs),
    spanMs: report.firstClockMs !== null && report.lastClockMs !== null ? report.lastClockMs - report.firstClockMs : null,
    recordsByType: report.recordsByType,
    commands: Object.fromEntries(report.commands),
    droppedByRepair: { frames: report.dropped.frames, records: report.dropped.records, commands: Object.fromEntries(report.dropped.commands) },
    problems: report.problems,
    warnings: report.warnings,
  };
}

function snapshotJson(report: SnapshotReport): object {
  return {
    ...fileJsonFields(report),
    created: isoTime(report.createdMs),
    createdMs: report.createdMs,
    writtenBy: report.writtenBy,
    keysAtStart: report.keysAtStart,
    keys: report.keys,
    keysByType: report.keysByType,
    elementsByType: report.elementsByType,
    keysWithTtl: report.keysWithTtl,
    keysExpired: report.keysExpired,
    problems: report.problems,
  };
}

function fileJson(file: DirectoryFile): object {
  const base = { name: file.name, role: file.role, loads: file.role !== 'snapshot' };
  if (file.report === null) return { ...base, missing: true };
  return { ...base, ...(file.report.kind === 'aof' ? aofJson(file.report) : snapshotJson(file.report)) };
}

export async function info(context: Context, target: Target): Promise<number> {
  const { fs, out, options, now } = context;
  if (target.kind === 'aof' || target.kind === 'snapshot') {
    requireSoundHeader(target);
    context.progress.plan(fs.statSync(target.path)?.size ?? 0);
    const report = target.kind === 'aof' ? await analyzeAof(fs, target.path) : await analyzeSnapshot(fs, target.path, now);
    if (options.json) out.json(report.kind === 'aof' ? aofJson(report) : snapshotJson(report));
    else {
      out.line(bold(target.path));
      for (const line of table(report.kind === 'aof' ? aofInfoRows(report) : snapshotInfoRows(report))) out.line(line);
    }
    return EXIT_OK;
  }
  const report = await analyzeDirectory(fs, target.path, options.snapshotName, now, context.progress);
  if (options.json) {
    out.json({
      path: report.path,
      kind: 'directory',
      manifest: report.manifest,
      manifestText: report.manifestText,
      lockedBy: report.lock,
      files: report.files.map(fileJson),
      otherFiles: report.others,
      problems: report.problems,
      verdict: verdictOf(report.problems),
    });
    return EXIT_OK;
  }
  out.line(`${bold(report.path)}  (emberkv data directory)`);
  if (report.manifestText !== null) {
    out.line('  manifest');
    for (const line of report.manifestText.replace(/\n$/, '').split('\n')) out.line(`    ${dim(line)}`);
  } else if (report.files.length > 0) {
    out.line(`  manifest    none: a snapshot-only store (appendonly: false); with the AOF on, open() adopts ${options.snapshotName} as its base`);
  } else {
    out.line('  manifest    none');
  }
  const lock = report.lock;
  out.line(
    lock === null
      ? '  lock        free (no store has the directory open)'
      : `  lock        held by ${lock.pid !== null ? `pid ${lock.pid}` : 'a store'}${lock.host !== null ? ` on ${lock.host}` : ''}: the app has it open; the last file may be growing`,
  );
  const rows: string[][] = [['file', 'role', 'bytes', 'content', 'time']];
  for (const file of report.files) {
    const role = file.role === 'snapshot' ? 'snapshot (not loaded)' : file.role;
    const r = file.report;
    if (r === null) rows.push([file.name, role, '-', red('missing'), '']);
    else if (r.kind === 'aof') {
      const past = r.dropped.records > 0 ? ` (+${count(r.dropped.records)} past the damage)` : '';
      const content = r.headerProblem !== null ? red(`header damaged: ${r.headerProblem}`) : `${plural(r.records, 'record')}${past}: ${commandsSummary(r.commands, 4)}`;
      const span = r.firstClockMs === null ? '-' : `${formatTime(r.firstClockMs)} → ${formatTime(r.lastClockMs)} (${formatDuration(r.lastClockMs! - r.firstClockMs)})`;
      rows.push([file.name, role, formatBytes(r.fileBytes), content, span]);
    } else {
      const content = r.headerProblem !== null ? red(`header damaged: ${r.headerProblem}`) : `${plural(r.keys, 'key')}: ${snapshotContent(r)}; ${count(r.keysWithTtl)} with TTL`;
      rows.push([file.name, role, formatBytes(r.fileBytes), content, `created ${formatTime(r.createdMs)}`]);
    }
  }
  if (report.files.length > 0) {
    out.line('');
    for (const line of table(rows, [2])) out.line(line);
  }
  if (report.others.length > 0) {
    out.line('');
    out.line('  other files');
    for (const name of report.others) out.line(`    ${describeOther(name, report.manifestText !== null)}`);
  }
  out.line('');
  const verdict = verdictOf(report.problems);
  out.line(
    `  status      ${
      verdict === 'sound' ? green('sound') : red(`${plural(report.problems.length, 'problem')}: ${verdictText(verdict)}`) + ` — run emberkv-inspect verify ${report.path}`
    }`,
  );
  return EXIT_OK;
}

function describeOther(name: string, manifestExists: boolean): string {
  if (name.endsWith('.tmp')) return `${name} (temp file of an interrupted write: open() deletes it)`;
  if (/\.bak-\d+$/.test(name)) return `${name} (backup made by emberkv-inspect fix)`;
  if (/\.corrupt-\d+$/.test(name)) return `${name} (copy of a damaged file, made by onCorruption: 'truncate')`;
  if (isDataFileName(name)) return manifestExists ? `${name} (not in the manifest: open() deletes it)` : `${name} (no manifest names it)`;
  return name;
}
