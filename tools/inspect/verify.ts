// verify: every problem named with its file and byte offset, what open() does about it and how to
// repair it; exit 1 when there is any.

import {
  type AofReport,
  type AtOpen,
  type DirectoryProblem,
  type LockHolder,
  type SnapshotReport,
  analyzeAof,
  analyzeDirectory,
  analyzeSnapshot,
} from './analyze.ts';
import type { Context } from './context.ts';
import { EXIT_OK, EXIT_PROBLEMS } from './errors.ts';
import { count, dim, green, plural, red, yellow } from './format.ts';
import { type Target, storeOf } from './target.ts';

/** verify lists this many problems of one file for people (--json lists all). */
const PROBLEMS_SHOWN_PER_FILE = 20;

type Verdict = 'sound' | 'torn-tail' | 'refuses' | 'unloaded-damage';

export function verdictOf(problems: readonly DirectoryProblem[]): Verdict {
  if (problems.length === 0) return 'sound';
  if (problems.some((problem) => problem.atOpen === 'refuse')) return 'refuses';
  if (problems.some((problem) => problem.atOpen === 'cut' || problem.atOpen === 'fresh-header')) return 'torn-tail';
  return 'unloaded-damage';
}

export function verdictText(verdict: Verdict): string {
  switch (verdict) {
    case 'sound':
      return 'sound';
    case 'torn-tail':
      return 'open() cuts a torn tail (an interrupted write) and loads everything else';
    case 'refuses':
      return 'open() refuses this store until it is repaired';
    case 'unloaded-damage':
      return 'a file open() does not load is damaged';
  }
}

/** Explanation lines under a problem: what kind of damage, what is lost, how to repair it. */
function explain(problem: DirectoryProblem, report: AofReport | SnapshotReport | null, firstInFile: boolean): string[] {
  const lines: string[] = [];
  if (!firstInFile) {
    lines.push('past the first problem in this file: a repair at the first one drops this too');
    return lines;
  }
  if (report?.kind === 'snapshot' || report === null) {
    if (problem.atOpen === 'not-loaded') lines.push('this snapshot is not loaded while the manifest exists, but it is not a usable backup: restore it or let the next bgsave replace it');
    else if (report !== null) lines.push('a snapshot is all or nothing and cannot be cut: restore it from a backup');
    else lines.push('restore it from a backup');
    return lines;
  }
  if (problem.atOpen === 'fresh-header') {
    lines.push('torn tail: the file holds no records; open() writes a fresh header (repairable without loss)');
  } else if (problem.kind === 'torn-tail') {
    const dropped = report.fileBytes - problem.offset;
    lines.push(`torn tail: ${plural(dropped, 'byte')} of an interrupted write; repairable without loss beyond that record (open() cuts it too)`);
  } else {
    const after = report.dropped.records;
    lines.push(`mid-file corruption: valid frames follow it (${plural(after, 'good record')}), which a cut here drops too; open() refuses until it is repaired`);
  }
  if (problem.atOpen !== 'not-loaded') {
    lines.push(`repair: emberkv-inspect fix ${problem.file} --yes  (keeps the ${plural(report.records, 'record')} before byte ${count(problem.offset)}, backup first)`);
  }
  return lines;
}

/** A lone file's problems in the directory's terms: the file is treated as the last one. */
function fileProblems(report: AofReport | SnapshotReport): DirectoryProblem[] {
  return report.problems.map((problem) => {
    let atOpen: AtOpen = 'refuse';
    if (report.kind === 'aof' && report.problems[0].kind === 'torn-tail' && report.headerProblem === null) atOpen = 'cut';
    return { ...problem, file: report.path, atOpen };
  });
}

export async function verify(context: Context, target: Target): Promise<number> {
  const { fs, out, options, now } = context;
  let problems: DirectoryProblem[];
  let reports: Array<AofReport | SnapshotReport | null>;
  let files: Array<{ path: string; role: string; report: AofReport | SnapshotReport | null }>;
  let lock: LockHolder | null = null;
  const store = target.kind === 'directory' ? null : storeOf(fs, target.path);
  if (target.kind === 'directory' || store !== null) {
    // A file the manifest names is judged as open() judges it there (a torn tail in a file that is
    // not the last one is corruption; an empty last file gets a fresh header).
    const report = await analyzeDirectory(fs, store?.dir ?? target.path, options.snapshotName, now, context.progress, store === null ? undefined : target.path);
    problems = report.problems;
    files = report.files.map((file) => ({ path: file.path, role: file.role, report: file.report }));
    reports = files.map((file) => file.report);
    lock = report.lock;
  } else {
    context.progress.plan(fs.statSync(target.path)?.size ?? 0);
    const report = target.kind === 'aof' ? await analyzeAof(fs, target.path) : await analyzeSnapshot(fs, target.path, now);
    problems = fileProblems(report);
    files = [{ path: target.path, role: target.kind, report }];
    reports = [report];
  }
  const verdict = verdictOf(problems);
  const reportOf = (path: string) => reports.find((report) => report?.path === path) ?? null;
  const records = reports.reduce((sum, r) => sum + (r?.kind === 'aof' ? r.records : 0), 0);
  const keys = reports.reduce((sum, r) => sum + (r?.kind === 'snapshot' ? r.keys : 0), 0);
  if (options.json) {
    const seen = new Set<string>();
    out.json({
      path: target.path,
      kind: target.kind,
      ok: problems.length === 0,
      verdict,
      files: files.map((file) => ({
        path: file.path,
        role: file.role,
        kind: file.report?.kind ?? null,
        bytes: file.report?.fileBytes ?? null,
        records: file.report?.kind === 'aof' ? file.report.records : undefined,
        keys: file.report?.kind === 'snapshot' ? file.report.keys : undefined,
        problems: file.report?.problems.length ?? 1,
        warnings: file.report?.kind === 'aof' ? file.report.warnings : [],
      })),
      problems: problems.map((problem) => {
        const first = !seen.has(problem.file);
        seen.add(problem.file);
        const report = reportOf(problem.file);
        return {
          ...problem,
          damage: problem.kind === 'torn-tail' ? 'torn-tail' : 'mid-file-corruption',
          firstInFile: first,
          droppedByRepair: first && report?.kind === 'aof' ? { bytes: report.fileBytes - problem.offset, records: report.dropped.records } : undefined,
          repair: first && report?.kind === 'aof' && problem.atOpen !== 'not-loaded' ? `emberkv-inspect fix ${problem.file} --yes` : null,
        };
      }),
      lockedBy: lock,
    });
    return problems.length === 0 ? EXIT_OK : EXIT_PROBLEMS;
  }
  const seen = new Set<string>();
  const listed = new Map<string, number>();
  for (const problem of problems) {
    const first = !seen.has(problem.file);
    seen.add(problem.file);
    const shown = (listed.get(problem.file) ?? 0) + 1;
    listed.set(problem.file, shown);
    if (shown > PROBLEMS_SHOWN_PER_FILE) {
      if (shown === PROBLEMS_SHOWN_PER_FILE + 1) {
        const more = problems.filter((other) => other.file === problem.file).length - PROBLEMS_SHOWN_PER_FILE;
        out.line(`    … ${plural(more, 'more problem')} in ${problem.file} (--json lists them all)`);
      }
      continue;
    }
    const what = problem.kind === 'torn-tail' ? yellow('torn tail') : red('corrupt');
    out.line(`${red('✗')} ${problem.file} at byte ${count(problem.offset)}: ${what}: ${problem.reason}`);
    for (const line of explain(problem, reportOf(problem.file), first)) out.line(`    ${line}`);
    if (first && problem.kind === 'torn-tail' && lock !== null && problem.atOpen === 'cut') {
      out.line(`    ${dim('the directory is open by a running store: this may be a write in progress; run verify again')}`);
    }
  }
  for (const report of reports) {
    if (report?.kind !== 'aof') continue;
    for (const warning of report.warnings) out.line(`${yellow('!')} ${report.path} at byte ${count(warning.offset)}: ${warning.reason}`);
  }
  const summary = `${plural(files.length, 'file')}, ${plural(records, 'record')}, ${plural(keys, 'key')} in snapshots`;
  if (problems.length === 0) out.line(`${green('sound')}: ${summary}`);
  else out.line(`${red(`${plural(problems.length, 'problem')} in ${plural(seen.size, 'file')}`)}: ${verdictText(verdict)} (${summary})`);
  return problems.length === 0 ? EXIT_OK : EXIT_PROBLEMS;
}
