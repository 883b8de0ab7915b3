// Keys as open() loads them, for dump and bigkeys (and cat's JSON lines): the filter, a key in
// parts, its size and its dump line; streamed from a snapshot, or replayed into a keyspace.

import { join } from 'node:path';
import type { FileSystem } from '../../lib/fs/fs.ts';
import { type HashValue, Keyspace, TYPE_HASH, TYPE_NAMES, TYPE_STRING, type TypeName } from '../../lib/keyspace/keyspace.ts';
import {
  ENTRY_BYTES,
  HASH_BYTES,
  HASH_FIELD_BYTES,
  VOLATILE_BYTES,
  ZSET_BYTES,
  ZSET_MEMBER_BYTES,
  textBytes,
  valueBytes,
} from '../../lib/keyspace/memory.ts';
import type { ZSet } from '../../lib/keyspace/zset.ts';
import { compareMembers } from '../../lib/keyspace/zset-index.ts';
import { FILE_HEADER_BYTES, SNAPSHOT_TYPE_STRING } from '../../lib/persistence/format.ts';
import { MANIFEST_FILE, parseManifest } from '../../lib/persistence/manifest.ts';
import { NoStoreError, loadDirectoryReadOnly, replayFileReadOnly } from '../../lib/persistence/read-only.ts';
import { isDataFileName } from '../../lib/persistence/recovery.ts';
import { SNAPSHOT_TYPE_NAMES, streamSnapshot } from '../../lib/persistence/snapshot-stream.ts';
import type { Value } from '../../lib/types.ts';
import type { DirectoryProblem } from './analyze.ts';
import type { Context } from './context.ts';
import { EXIT_OK, EXIT_PROBLEMS, InspectError } from './errors.ts';
import { jsonNumber, jsonValue } from './format.ts';
import { note } from './output.ts';
import { INPUT_HINT, type Target, requireSoundHeader } from './target.ts';

export interface KeySize {
  key: string;
  type: TypeName;
  /** Fields or members; 1 for a string. */
  elements: number;
  /** Bytes of data: a string's bytes; fields and values; members and 8-byte scores. */
  bytes: number;
  /** The store's estimate of the heap it takes (lib/keyspace/memory.ts). */
  memory: number;
}

function dataBytes(value: Value): number {
  return typeof value === 'string' ? Buffer.byteLength(value, 'utf8') : value.byteLength;
}

/** Sizes one key from decoded parts; the same sums for a keyspace entry and a snapshot's frames. */
class SizeAccumulator {
  elements = 0;
  bytes = 0;
  memory: number;

  constructor(
    readonly key: string,
    readonly type: TypeName,
    expiresAt: number,
  ) {
    this.memory = ENTRY_BYTES + textBytes(key) + (expiresAt !== 0 ? VOLATILE_BYTES : 0) + (type === 'hash' ? HASH_BYTES : type === 'zset' ? ZSET_BYTES : 0);
  }

  string(value: Value): void {
    this.elements = 1;
    this.bytes = dataBytes(value);
    this.memory += valueBytes(value);
  }

  element(name: string, value: Value | number): void {
    this.elements++;
    if (typeof value === 'number') {
      this.bytes += Buffer.byteLength(name, 'utf8') + 8;
      this.memory += ZSET_MEMBER_BYTES + textBytes(name);
    } else {
      this.bytes += Buffer.byteLength(name, 'utf8') + dataBytes(value);
      this.memory += HASH_FIELD_BYTES + textBytes(name) + valueBytes(value);
    }
  }

  size(): KeySize {
    return { key: this.key, type: this.type, elements: this.elements, bytes: this.bytes, memory: this.memory };
  }
}

/** Which keys dump and bigkeys look at: --match, --type, and (dump) --expired. */
export interface KeyFilter {
  match: ((key: string) => boolean) | null;
  type: TypeName | null;
  includeExpired: boolean;
  now: number;
}

function wanted(filter: KeyFilter, key: string, type: TypeName, expiresAt: number): boolean {
  if (!filter.includeExpired && expiresAt !== 0 && expiresAt <= filter.now) return false;
  if (filter.type !== null && filter.type !== type) return false;
  return filter.match === null || filter.match(key);
}

interface DumpLine {
  key: string;
  type: TypeName;
  value: ReturnType<typeof jsonValue> | Record<string, ReturnType<typeof jsonValue>> | Array<[string, number | string]>;
  expiresAt: number | null;
}

export function dumpLine(key: string, type: TypeName, expiresAt: number, value: Value | null, names: string[], values: Array<Value | number>): DumpLine {
  let shown: DumpLine['value'];
  if (type === 'string') shown = jsonValue(value as Value);
  else if (type === 'hash') {
    const fields: Record<string, ReturnType<typeof jsonValue>> = Object.create(null);
    for (let i = 0; i < names.length; i++) fields[names[i]] = jsonValue(values[i] as Value);
    shown = fields;
  } else {
    const order = names.map((_, i) => i);
    order.sort((a, b) => (values[a] as number) - (values[b] as number) || compareMembers(names[a], names[b]));
    shown = order.map((i) => [names[i], jsonNumber(values[i] as number)]);
  }
  return { key, type, value: shown, expiresAt: expiresAt === 0 ? null : expiresAt };
}

/** One key as loaded, in parts: what dump prints and bigkeys measures. */
interface KeyParts {
  key: string;
  type: TypeName;
  expiresAt: number;
  /** A string's value; null for hashes and sorted sets. */
  value: Value | null;
  /** Fields or members, and their values or scores (empty when only `sized` was kept). */
  names: string[];
  values: Array<Value | number>;
  /** The keyspace's own memory estimate for a loaded entry, else null. */
  memory: number | null;
  /** A split value's running size, when its elements were not kept (bigkeys of a snapshot). */
  sized: SizeAccumulator | null;
}

export function dumpLineOf(parts: KeyParts): DumpLine {
  return dumpLine(parts.key, parts.type, parts.expiresAt, parts.value, parts.names, parts.values);
}

export function sizeOf(parts: KeyParts): KeySize {
  let sizing = parts.sized;
  if (sizing === null) {
    sizing = new SizeAccumulator(parts.key, parts.type, parts.expiresAt);
    if (parts.type === 'string') sizing.string(parts.value as Value);
    else for (let i = 0; i < parts.names.length; i++) sizing.element(parts.names[i], parts.values[i]);
  }
  const size = sizing.size();
  if (parts.memory !== null) size.memory = parts.memory;
  return size;
}

/** Every key of a loaded keyspace, in its order. */
function forEachEntry(ks: Keyspace, visit: (parts: KeyParts) => void): void {
  for (const entry of ks.allEntries()) {
    // Built, so the elements can be listed and the memory figure is what the store holds in use.
    ks.unpack(entry);
    const parts: KeyParts = { key: entry.key, type: TYPE_NAMES[entry.type], expiresAt: entry.expiresAt, value: null, names: [], values: [], memory: entry.bytes, sized: null };
    if (entry.type === TYPE_STRING) parts.value = entry.value as Value;
    else if (entry.type === TYPE_HASH) {
      (entry.value as HashValue).forEach((value, field) => {
        parts.names.push(field);
        parts.values.push(value);
      });
    } else {
      (entry.value as ZSet).index.forEach((score, member) => {
        parts.names.push(member);
        parts.values.push(score);
      });
    }
    visit(parts);
  }
}

/**
 * Streams a snapshot's keys whole: a KEY frame holding all of its value at once; a value split
 * across MORE frames once the END frame shows nothing more can follow (§8 lets its frames
 * interleave with other keys'). With `sizesOnly` a split value keeps running sums, not elements,
 * so memory stays flat; otherwise it grows only with the split values being gathered.
 */
async function streamSnapshotKeys(
  fs: FileSystem,
  path: string,
  filter: KeyFilter,
  visit: (parts: KeyParts) => void,
  sizesOnly: boolean,
): Promise<Awaited<ReturnType<typeof streamSnapshot>>> {
  const open = new Map<string, KeyParts>();
  return streamSnapshot(fs, path, (frame) => {
    if (frame.kind === 'key') {
      const type = SNAPSHOT_TYPE_NAMES[frame.type];
      if (!wanted(filter, frame.key, type, frame.expiresAt)) return;
      const parts: KeyParts = { key: frame.key, type, expiresAt: frame.expiresAt, value: frame.value, names: [], values: [], memory: null, sized: null };
      if (frame.type === SNAPSHOT_TYPE_STRING) visit(parts);
      else if (frame.elements!.names.length > 0) visit({ ...parts, names: frame.elements!.names, values: frame.elements!.values });
      else {
        if (sizesOnly) parts.sized = new SizeAccumulator(frame.key, type, frame.expiresAt);
        open.set(frame.key, parts);
      }
    } else if (frame.kind === 'more') {
      const parts = open.get(frame.key);
      if (parts === undefined) return;
      const { names, values } = frame.elements;
      if (parts.sized !== null) for (let i = 0; i < names.length; i++) parts.sized.element(names[i], values[i]);
      else for (let i = 0; i < names.length; i++) (parts.names.push(names[i]), parts.values.push(values[i]));
    } else if (frame.kind === 'end') {
      for (const parts of open.values()) visit(parts);
      open.clear();
    }
  });
}

// =================================================================================================
// Loading what open() loads

/**
 * Hands every key the target holds, as open() would load it, to `visit`. A snapshot (or a directory
 * whose AOF files hold nothing past their header) streams; anything with records is replayed into
 * a keyspace first. Returns the problems met, for the caller's notes and exit status.
 */
export async function loadKeys(context: Context, target: Target, filter: KeyFilter, visit: (parts: KeyParts) => void, sizesOnly: boolean): Promise<DirectoryProblem[]> {
  const { fs, options } = context;
  requireSoundHeader(target);
  const size = (path: string) => fs.statSync(path)?.size ?? 0;
  const streamFile = async (path: string): Promise<DirectoryProblem[]> => {
    context.progress.plan(size(path));
    const stream = await streamSnapshotKeys(fs, path, filter, visit, sizesOnly);
    return stream.problems.map((problem) => ({ ...problem, file: path, atOpen: 'refuse' }));
  };
  const fromKeyspace = (ks: Keyspace): void =>
    forEachEntry(ks, (parts) => {
      if (wanted(filter, parts.key, parts.type, parts.expiresAt)) visit(parts);
    });
  if (target.kind === 'snapshot') return streamFile(target.path);
  const ks = new Keyspace();
  if (target.kind === 'aof') {
    context.progress.plan(size(target.path));
    ks.loading = true;
    const { problems } = await replayFileReadOnly(fs, target.path, ks, { last: true, allowTornTail: true });
    ks.loading = false;
    fromKeyspace(ks);
    return problems;
  }
  const dir = target.path;
  const manifestPath = join(dir, MANIFEST_FILE);
  const parsed = fs.statSync(manifestPath) === null ? null : parseManifest(Buffer.from(fs.readFileSync(manifestPath)).toString('utf8'));
  const snapshotPath = join(dir, options.snapshotName);
  const names = fs.readdirSync(dir);
  // Nothing past the headers of the AOF files: the state is the base (or the adopted snapshot).
  if (parsed?.ok === true && parsed.manifest.base !== null && parsed.manifest.incrs.every((name) => size(join(dir, name)) === FILE_HEADER_BYTES)) {
    return streamFile(join(dir, parsed.manifest.base));
  }
  if (parsed === null && fs.statSync(snapshotPath) !== null && names.every((name) => !isDataFileName(name) || size(join(dir, name)) <= FILE_HEADER_BYTES)) {
    return streamFile(snapshotPath);
  }
  const loaded = parsed?.ok === true ? [parsed.manifest.base, ...parsed.manifest.incrs].filter((name): name is string => name !== null) : [];
  context.progress.plan(loaded.reduce((sum, name) => sum + size(join(dir, name)), 0));
  let load;
  try {
    load = await loadDirectoryReadOnly(fs, dir, ks, { snapshotName: options.snapshotName });
  } catch (error) {
    if (error instanceof NoStoreError) throw new InspectError(error.message, `${INPUT_HINT}; --dbfilename names a snapshot other than dump.rdb`);
    throw error;
  }
  fromKeyspace(ks);
  return load.problems;
}

export function noteProblems(context: Context, problems: readonly DirectoryProblem[]): number {
  for (const problem of problems) {
    const atOpen =
      problem.atOpen === 'cut'
        ? 'open() cuts it (a torn tail); shown: everything before it'
        : problem.atOpen === 'fresh-header'
          ? 'open() gives the file a fresh header; it holds nothing'
          : 'open() refuses the store; shown: everything before it';
    note(context.progress, `${problem.file} at byte ${problem.offset}: ${problem.reason} — ${atOpen}`);
  }
  return problems.some((problem) => problem.atOpen === 'refuse') ? EXIT_PROBLEMS : EXIT_OK;
}
