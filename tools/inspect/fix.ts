// fix: cut an AOF back to its last good record, after a synced backup, under the directory lock.
// Without --yes it only says what it would keep and drop.

import { basename, dirname, join } from 'node:path';
import { StoreLockedError } from '../../lib/errors.ts';
import { copyFileDurably } from '../../lib/fs/copy-file.ts';
import type { FileSystem } from '../../lib/fs/fs.ts';
import { nodeFs } from '../../lib/fs/node-fs.ts';
import { FILE_HEADER_BYTES, encodeFileHeader } from '../../lib/persistence/format.ts';
import { DirectoryLock } from '../../lib/persistence/lock.ts';
import { MANIFEST_FILE, type Manifest, parseManifest, writeManifestSync } from '../../lib/persistence/manifest.ts';
import { isAllZero } from '../../lib/persistence/read-only.ts';
import {
  type AofReport,
  type DirectoryReport,
  type FileProblem,
  analyzeAof,
  analyzeDirectory,
  analyzeSnapshot,
} from './analyze.ts';
import type { Context } from './context.ts';
import { EXIT_OK, EXIT_PROBLEMS, InspectError } from './errors.ts';
import { bold, commandsSummary, count, green, plural, red, yellow } from './format.ts';
import { type Target, requireSoundHeader } from './target.ts';

interface FixPlan {
  /** The AOF file to cut. */
  target: string;
  action: 'cut' | 'fresh-header';
  cutAt: number;
  fileBytes: number;
  problem: FileProblem;
  report: AofReport;
  /** The directory and its new manifest, when later files must leave it. */
  dir: string | null;
  manifest: Manifest | null;
  newManifest: Manifest | null;
  /** Later files that hold records depending on the dropped ones: backed up, then dropped. */
  laterFiles: Array<{ path: string; records: number; bytes: number }>;
}

/** Why fix will not do it (exit 1), or null. */
type Refusal = { what: string; todo: string };

function planFile(report: AofReport): FixPlan | Refusal | null {
  if (report.problems.length === 0) return null;
  const problem = report.problems[0];
  if (report.headerProblem !== null) {
    if (isAllZero(nodeFs, report.path)) {
      return { target: report.path, action: 'fresh-header', cutAt: 0, fileBytes: report.fileBytes, problem, report, dir: null, manifest: null, newManifest: null, laterFiles: [] };
    }
    return { what: `${report.path}: the file header is damaged (${report.headerProblem})`, todo: 'fix cannot tell what such a file was; restore it from a backup' };
  }
  return { target: report.path, action: 'cut', cutAt: problem.offset, fileBytes: report.fileBytes, problem, report, dir: null, manifest: null, newManifest: null, laterFiles: [] };
}

function planDirectory(report: DirectoryReport, only: string | null): FixPlan | Refusal | null {
  const manifestProblem = report.problems.find((problem) => basename(problem.file) === MANIFEST_FILE);
  if (manifestProblem !== undefined) {
    return { what: `${manifestProblem.file}: ${manifestProblem.reason}`, todo: 'fix cannot rebuild a manifest; restore it from a backup (the data files are listed by emberkv-inspect info)' };
  }
  const manifest = report.manifest;
  for (const file of report.files) {
    if (file.role === 'snapshot') continue;
    const problems = report.problems.filter((problem) => problem.file === file.path);
    if (problems.length === 0) continue;
    if (only !== null && file.path !== only) {
      return { what: `${file.path} is damaged and loads before ${only}`, todo: `fix it first: emberkv-inspect fix ${file.path}` };
    }
    if (file.report === null) return { what: `${file.path}: ${problems[0].reason}`, todo: 'restore it from a backup' };
    if (file.report.kind === 'snapshot') {
      return { what: `${file.path} is damaged at byte ${problems[0].offset} (${problems[0].reason})`, todo: 'a snapshot is all or nothing and cannot be cut; restore it from a backup' };
    }
    const plan = planFile(file.report);
    if (plan === null || !('target' in plan)) return plan;
    plan.problem = { ...plan.problem, kind: problems[0].kind, reason: problems[0].reason };
    plan.dir = report.path;
    plan.manifest = manifest;
    if (manifest !== null) {
      const index = manifest.incrs.indexOf(file.name);
      for (const name of manifest.incrs.slice(index + 1)) {
        const later = report.files.find((candidate) => candidate.name === name && candidate.role === 'incr');
        const bytes = later?.report?.fileBytes ?? 0;
        if (bytes > FILE_HEADER_BYTES) plan.laterFiles.push({ path: join(report.path, name), records: later?.report?.kind === 'aof' ? later.report.records + later.report.dropped.records : 0, bytes });
      }
      if (plan.laterFiles.length > 0) plan.newManifest = { base: manifest.base, incrs: manifest.incrs.slice(0, index + 1) };
    }
    return plan;
  }
  if (only !== null) return null;
  const unloaded = report.problems.find((problem) => problem.atOpen === 'not-loaded');
  if (unloaded !== undefined) {
    return { what: `${unloaded.file} is damaged at byte ${unloaded.offset} (${unloaded.reason}); everything open() loads is sound`, todo: 'fix does not cut snapshots: delete it or let the next bgsave replace it' };
  }
  return null;
}

function planLines(plan: FixPlan, yes: boolean, stamp: number): string[] {
  const { report, problem } = plan;
  const lines: string[] = [];
  const dropped = plan.fileBytes - plan.cutAt;
  lines.push(`${bold('fix')} ${plan.target}`);
  if (plan.action === 'fresh-header') {
    lines.push(`  damage   ${problem.reason}`);
    lines.push(`  does     writes a fresh header in place of its ${plural(plan.fileBytes, 'byte')} (the file holds no records; open() does the same)`);
  } else {
    const what = problem.kind === 'torn-tail' ? 'torn tail' : 'mid-file corruption';
    lines.push(`  damage   byte ${count(problem.offset)}: ${what}: ${problem.reason}`);
    lines.push(`  keeps    bytes 0..${count(plan.cutAt - 1)}: ${plural(report.records, 'record')}, everything before the damage`);
    const good = report.dropped.records;
    const detail =
      problem.kind === 'torn-tail'
        ? 'an interrupted write, nothing that was ever complete'
        : `the damaged frame${good > 0 ? ` and ${plural(good, 'good record')} after it (${commandsSummary(report.dropped.commands, 6)})` : ''}`;
    lines.push(`  drops    bytes ${count(plan.cutAt)}..${count(plan.fileBytes - 1)} (${plural(dropped, 'byte')}): ${detail}`);
  }
  for (const later of plan.laterFiles) {
    lines.push(
      `  ${yellow('later')}    ${later.path}: ${plural(later.records, 'record')} written after the dropped ones and possibly depending on them (an INCR after a lost SET); it leaves the manifest, as onCorruption: 'truncate' does`,
    );
  }
  const backups = [plan.target, ...plan.laterFiles.map((later) => later.path)].map((path) => `${path}.bak-${stamp}`);
  lines.push(`  backup   ${backups.join(', ')} (${backups.length === 1 ? 'a whole copy' : 'whole copies'}, synced before anything changes)`);
  if (!yes) {
    if (plan.laterFiles.length > 0) {
      lines.push(
        yellow(
          `  The damage is not in the last file: ${plural(plan.laterFiles.length, 'later file')} ${plan.laterFiles.length === 1 ? 'holds' : 'hold'} records that replay on top of the dropped ones, so fix drops ${plan.laterFiles.length === 1 ? 'it' : 'them'} too and the store goes back to the moment of the damage.`,
        ),
      );
    }
    lines.push(`Nothing changed. Run again with --yes to do it: emberkv-inspect fix ${plan.target} --yes`);
  }
  return lines;
}

/** Copies a file next to itself and syncs the copy and the directory: the backup comes first. */
function backupFile(fs: FileSystem, path: string, stamp: number): string {
  const target = `${path}.bak-${stamp}`;
  copyFileDurably(fs, path, target);
  return target;
}

/**
 * Carries out a plan. Order, so a crash at any point loses nothing: backups written and synced;
 * then the new manifest (atomic) if later files leave it; then the cut (truncate, fdatasync); then
 * the files the manifest no longer names are deleted (open() would delete them anyway).
 */
function carryOut(fs: FileSystem, plan: FixPlan, stamp: number): string[] {
  const backups = [backupFile(fs, plan.target, stamp)];
  for (const later of plan.laterFiles) backups.push(backupFile(fs, later.path, stamp));
  if (plan.newManifest !== null) writeManifestSync(fs, plan.dir!, plan.newManifest);
  const fd = fs.openAppendSync(plan.target);
  try {
    fs.truncateSync(fd, plan.cutAt);
    if (plan.action === 'fresh-header') fs.writeSync(fd, encodeFileHeader('aof'), 0);
    fs.fdatasyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  for (const later of plan.laterFiles) fs.unlinkSync(later.path);
  fs.fsyncDirectorySync(dirname(plan.target));
  return backups;
}

export async function fix(context: Context, target: Target): Promise<number> {
  const { fs, out, options } = context;
  if (target.kind === 'snapshot') {
    const report = await analyzeSnapshot(fs, target.path, context.now);
    if (report.problems.length === 0) {
      out.line(options.json ? JSON.stringify({ path: target.path, action: 'none', sound: true }) : `${target.path} is sound: nothing to fix`);
      return EXIT_OK;
    }
    throw new InspectError(
      `${target.path} is damaged at byte ${report.problems[0].offset} (${report.problems[0].reason})`,
      'a snapshot is all or nothing and cannot be cut; restore it from a backup (fix repairs append-only files)',
      EXIT_PROBLEMS,
    );
  }
  // The directory whose store this is, if any: fix then plans in manifest terms and cuts under its lock.
  const dir = target.kind === 'directory' ? target.path : dirname(target.path);
  const manifestText = fs.statSync(join(dir, MANIFEST_FILE)) === null ? null : Buffer.from(fs.readFileSync(join(dir, MANIFEST_FILE))).toString('utf8');
  const parsed = manifestText === null ? null : parseManifest(manifestText);
  const inStore = target.kind === 'directory' || (parsed?.ok === true && parsed.manifest.incrs.includes(basename(target.path)));
  const makePlan = async (): Promise<FixPlan | null> => {
    let plan: FixPlan | Refusal | null;
    if (inStore) {
      const report = await analyzeDirectory(fs, dir, options.snapshotName, context.now, context.progress);
      plan = planDirectory(report, target.kind === 'directory' ? null : target.path);
    } else {
      requireSoundHeaderOrZero(target);
      context.progress.plan(fs.statSync(target.path)?.size ?? 0);
      plan = planFile(await analyzeAof(fs, target.path));
    }
    if (plan !== null && !('target' in plan)) throw new InspectError(plan.what, plan.todo, EXIT_PROBLEMS);
    return plan;
  };

  // Planned read-only first: a sound store, or a dry run, needs no lock (the app may hold it).
  const plan = await makePlan();
  if (plan === null) {
    out.line(options.json ? JSON.stringify({ path: target.path, action: 'none', sound: true }) : `${target.path} is sound: nothing to fix`);
    return EXIT_OK;
  }
  const stamp = Date.now();
  const json = {
    path: target.path,
    target: plan.target,
    action: plan.action,
    cutAt: plan.cutAt,
    fileBytes: plan.fileBytes,
    damage: { ...plan.problem, damage: plan.problem.kind === 'torn-tail' ? 'torn-tail' : 'mid-file-corruption' },
    keeps: { records: plan.report.records },
    drops: { bytes: plan.fileBytes - plan.cutAt, records: plan.report.dropped.records, commands: Object.fromEntries(plan.report.dropped.commands) },
    laterFiles: plan.laterFiles,
    newManifest: plan.newManifest,
    done: false,
    backups: [] as string[],
    soundAfter: null as boolean | null,
  };
  if (!options.json) for (const line of planLines(plan, options.yes, stamp)) out.line(line);
  if (!options.yes) {
    if (options.json) out.json(json);
    return EXIT_PROBLEMS;
  }
  out.flush();

  // Under the lock, so no store opens (or appends) meanwhile; planned again, in case the files
  // changed since the dry run above.
  let lock: DirectoryLock | null = null;
  if (inStore) {
    try {
      lock = await DirectoryLock.acquire(dir, () => {});
    } catch (error) {
      if (error instanceof StoreLockedError) {
        throw new InspectError(`${dir} is open by a running store`, 'close the store (stop the app), then run fix again; reads (verify, dump) work meanwhile');
      }
      throw error;
    }
  }
  try {
    const locked = inStore ? await makePlan() : plan;
    if (locked === null || locked.target !== plan.target || locked.cutAt !== plan.cutAt || locked.fileBytes !== plan.fileBytes) {
      throw new InspectError('the files changed while fix looked at them', 'run fix again to see the new plan');
    }
    json.backups = carryOut(fs, locked, stamp);
    json.done = true;
  } finally {
    await lock?.release();
  }
  const after = await analyzeAof(fs, plan.target);
  json.soundAfter = after.problems.length === 0;
  if (options.json) out.json(json);
  else {
    out.line(`${green('done')}: ${plan.target} is now ${count(after.fileBytes)} bytes, ${plural(after.records, 'record')}; backup at ${json.backups.join(', ')}`);
    out.line(after.problems.length === 0 ? `${green('sound')} (verified after the cut)` : red(`still damaged at byte ${after.problems[0].offset}: ${after.problems[0].reason}`));
  }
  return after.problems.length === 0 ? EXIT_OK : EXIT_PROBLEMS;
}

function requireSoundHeaderOrZero(target: Target): void {
  if (target.kind === 'directory' || target.headerProblem === null) return;
  if (isAllZero(nodeFs, target.path)) return;
  requireSoundHeader(target);
}
