// cat: the frames of an AOF as commands, or of a snapshot as keys, each at its byte offset.

import { walkFrames } from '../../lib/persistence/frame-walk.ts';
import { FRAME_HEADER_BYTES } from '../../lib/persistence/format.ts';
import { PayloadDecoder } from '../../lib/persistence/record-codec.ts';
import { SNAPSHOT_TYPE_NAMES, type SnapshotFrame, decodeSnapshotFrame } from '../../lib/persistence/snapshot-stream.ts';
import type { Arg, Value } from '../../lib/types.ts';
import { type AofReport, type FileProblem, analyzeAof, analyzeDirectory } from './analyze.ts';
import type { Context } from './context.ts';
import { EXIT_OK, EXIT_PROBLEMS, InspectError } from './errors.ts';
import { bold, count, dim, formatTime, isoTime, jsonArg, plural, red, showArg, showNumber, yellow } from './format.ts';
import { dumpLine } from './keys.ts';
import { Progress, note } from './output.ts';
import { type Target, requireSoundHeader } from './target.ts';

/** cat shows this many elements of a snapshot's hash or sorted set unless --full. */
const SHOWN_ELEMENTS_MAX = 8;

function catAof(context: Context, path: string): Promise<AofReport> {
  const { out, options } = context;
  const from = options.from ?? 0;
  const to = options.to ?? Number.POSITIVE_INFINITY;
  const width = String(context.fs.statSync(path)?.size ?? 0).length;
  const at = (offset: number) => dim(String(offset).padStart(width));
  const pad = ' '.repeat(width);
  const show = (record: Arg[]) => record.map((arg) => showArg(arg, options.full)).join(' ');
  return analyzeAof(
    context.fs,
    path,
    (frame, offset, frameBytes) => {
      if (offset >= to) return false;
      // With a visitor, analyzeAof keeps each frame's records.
      const records = 'records' in frame ? frame.records! : [];
      if (offset < from) return;
      if (options.json) {
        const base = { offset, bytes: frameBytes };
        if (frame.kind === 'record') out.line(JSON.stringify({ ...base, frame: 'record', command: records[0].map(jsonArg) }));
        else if (frame.kind === 'records' || frame.kind === 'batch') out.line(JSON.stringify({ ...base, frame: frame.kind, commands: records.map((record) => record.map(jsonArg)) }));
        else if (frame.kind === 'clock') out.line(JSON.stringify({ ...base, frame: 'clock', ms: frame.ms, time: isoTime(frame.ms) }));
        else out.line(JSON.stringify({ ...base, frame: 'other', frameKind: frame.frameKind, note: frame.reason }));
        return;
      }
      if (frame.kind === 'record') out.line(`${at(offset)}  ${show(records[0])}`);
      else if (frame.kind === 'records') records.forEach((record, i) => out.line(`${i === 0 ? at(offset) : pad}  ${show(record)}`));
      else if (frame.kind === 'batch') {
        out.line(`${at(offset)}  MULTI`);
        for (const record of records) out.line(`${pad}    ${show(record)}`);
        out.line(`${pad}  EXEC`);
      } else if (frame.kind === 'clock') out.line(`${at(offset)}  ${dim(`-- clock ${isoTime(frame.ms) ?? showNumber(frame.ms)}`)}`);
      else out.line(`${at(offset)}  ${yellow(`-- ${frame.reason}`)}`);
    },
    (problem) => {
      if (problem.offset < from || problem.offset >= to) return;
      if (options.json) out.line(JSON.stringify({ offset: problem.offset, problem: { kind: problem.kind, reason: problem.reason } }));
      else out.line(`${at(problem.offset)}  ${red(`!! ${problem.kind === 'torn-tail' ? 'torn tail' : 'damaged'}: ${problem.reason}`)}`);
    },
  );
}

function showElements(names: string[], values: Array<Value | number>, full: boolean): string {
  const shown = full ? names.length : Math.min(names.length, SHOWN_ELEMENTS_MAX);
  const parts: string[] = [];
  for (let i = 0; i < shown; i++) parts.push(`${showArg(names[i], full)} ${showArg(values[i] as Arg, full)}`);
  if (shown < names.length) parts.push(`… (+${count(names.length - shown)})`);
  return `{${parts.join(', ')}}`;
}

async function catSnapshot(context: Context, path: string): Promise<FileProblem[]> {
  const { out, options, fs } = context;
  const from = options.from ?? 0;
  const to = options.to ?? Number.POSITIVE_INFINITY;
  const width = String(fs.statSync(path)?.size ?? 0).length;
  const at = (offset: number) => dim(String(offset).padStart(width));
  const problems: FileProblem[] = [];
  const decoder = new PayloadDecoder();
  const problem = (found: FileProblem) => {
    problems.push(found);
    if (found.offset < from || found.offset >= to) return;
    if (options.json) out.line(JSON.stringify({ offset: found.offset, problem: { kind: found.kind, reason: found.reason } }));
    else out.line(`${at(found.offset)}  ${red(`!! damaged: ${found.reason}`)}`);
  };
  await walkFrames(
    fs,
    path,
    (bytes, start, end, offset) => {
      if (offset >= to) return false;
      let frame: SnapshotFrame;
      try {
        frame = decodeSnapshotFrame(decoder, bytes, start, end);
      } catch (error) {
        problem({ offset, kind: 'corrupt', reason: `the frame passes its checksum but does not decode: ${(error as Error).message}` });
        return;
      }
      if (offset < from) return;
      const frameBytes = end - start + FRAME_HEADER_BYTES;
      if (options.json) {
        const base = { offset, bytes: frameBytes, frame: frame.kind };
        if (frame.kind === 'meta') out.line(JSON.stringify({ ...base, created: isoTime(frame.createdMs), createdMs: frame.createdMs, writtenBy: frame.version, keysAtStart: frame.keysAtStart }));
        else if (frame.kind === 'end') out.line(JSON.stringify({ ...base, keys: frame.keys }));
        else {
          const type = SNAPSHOT_TYPE_NAMES[frame.type];
          const expiresAt = frame.kind === 'key' && frame.expiresAt !== 0 ? frame.expiresAt : null;
          const line = frame.kind === 'key' && frame.elements === null ? dumpLine(frame.key, type, 0, frame.value, [], []) : dumpLine(frame.key, type, 0, null, frame.elements!.names, frame.elements!.values);
          out.line(JSON.stringify({ ...base, type, key: frame.key, expiresAt, value: line.value }));
        }
        return;
      }
      if (frame.kind === 'meta') {
        out.line(`${at(offset)}  META created ${formatTime(frame.createdMs)} by emberkv ${frame.version}, ${plural(frame.keysAtStart, 'key')} when it began`);
      } else if (frame.kind === 'end') out.line(`${at(offset)}  END ${plural(frame.keys, 'key')}`);
      else {
        const type = SNAPSHOT_TYPE_NAMES[frame.type];
        const expiry = frame.kind === 'key' && frame.expiresAt !== 0 ? ` ${dim(`expires ${formatTime(frame.expiresAt)}`)}` : '';
        const name = `${frame.kind === 'key' ? 'KEY ' : 'MORE'} ${type.padEnd(6)} ${showArg(frame.key, options.full)}`;
        if (frame.kind === 'key' && frame.elements === null) out.line(`${at(offset)}  ${name}${expiry} ${showArg(frame.value!, options.full)}`);
        else {
          const { names, values } = frame.elements!;
          const what = names.length === 0 ? dim('(elements in MORE frames)') : showElements(names, values, options.full);
          out.line(`${at(offset)}  ${name}${expiry} ${dim(`${count(names.length)}:`)} ${what}`);
        }
      }
    },
    (damage) => problem({ offset: damage.offset, kind: 'corrupt', reason: damage.reason }),
  );
  return problems;
}

export async function cat(context: Context, target: Target): Promise<number> {
  const { out, options, fs } = context;
  requireSoundHeader(target);
  const files: Array<{ path: string; kind: 'aof' | 'snapshot' }> = [];
  if (target.kind === 'directory') {
    if (options.from !== null || options.to !== null) throw new InspectError('--from and --to are byte offsets in one file', 'cat a single file of the directory with them');
    const report = await analyzeDirectory(fs, target.path, options.snapshotName, context.now, new Progress(false));
    for (const file of report.files) {
      if (file.role === 'snapshot' || file.report === null || file.report.headerProblem !== null) continue;
      files.push({ path: file.path, kind: file.report.kind });
    }
  } else files.push({ path: target.path, kind: target.kind });
  context.progress.plan(files.reduce((sum, file) => sum + (fs.statSync(file.path)?.size ?? 0), 0));
  let problems = 0;
  for (const file of files) {
    if (files.length > 1 || target.kind === 'directory') {
      if (options.json) out.line(JSON.stringify({ file: file.path }));
      else out.line(bold(`== ${file.path}`));
    }
    if (file.kind === 'aof') problems += (await catAof(context, file.path)).problems.length;
    else problems += (await catSnapshot(context, file.path)).length;
  }
  out.flush();
  if (problems > 0) note(context.progress, `${plural(problems, 'problem')} shown inline — run emberkv-inspect verify ${target.path} for what they mean`);
  return problems > 0 ? EXIT_PROBLEMS : EXIT_OK;
}
