// Reading a snapshot frame by frame without building a keyspace (docs/FORMAT.md §8), for the
// inspector's verify, info, dump, cat and bigkeys of one snapshot file: memory stays flat however
// many keys the file holds. loadSnapshotFile (snapshot-reader.ts) builds the keyspace as it reads;
// this file decodes the same frames into plain values and checks the same rules:
//
//   1. The first frame is META, the last END, and END's count equals the number of KEY frames.
//   2. A key appears in one KEY frame only; a MORE frame continues a hash or sorted set whose KEY
//      frame carried no elements (a KEY frame carries all of a value or none of it, §8).
//   3. No hash or sorted set ends up empty, no score is NaN, no field or member repeats in a value.
//
// Rules 2-3 need to remember every key (and every element of a value split across MORE frames)
// seen so far. Remembering them exactly would cost memory in proportion to the file, so the first
// pass keeps a Bloom filter (a fixed bit array, sized from the file, at most 128 MB) and collects
// the few names it may have seen before; only when there are any, a second pass counts exactly
// those names and reports the real repeats with their offsets. False alarms cost a second read,
// never a wrong report.
//
// Damage that fails a frame check (scanFrames) is reported as corruption whatever its position: a
// snapshot is renamed into place only once complete, so a short one is damage, not a torn tail.

import type { FileSystem } from '../fs/fs.ts';
import type { Value } from '../types.ts';
import { BadHeaderError } from './check.ts';
import { readFileHeader, walkFrames } from './frame-walk.ts';
import {
  FRAME_SNAPSHOT_END,
  FRAME_SNAPSHOT_KEY,
  FRAME_SNAPSHOT_META,
  FRAME_SNAPSHOT_MORE,
  SNAPSHOT_TYPE_HASH,
  SNAPSHOT_TYPE_STRING,
  SNAPSHOT_TYPE_ZSET,
} from './format.ts';
import { PayloadDecoder } from './record-codec.ts';

/** Names of the frozen on-disk value types, indexed by type code. */
export const SNAPSHOT_TYPE_NAMES = ['string', 'hash', 'zset'] as const;

/** Fields and their values (a hash), or members and their scores (a sorted set), in file order. */
export interface SnapshotElements {
  names: string[];
  values: Array<Value | number>;
}

export interface SnapshotMetaFrame {
  kind: 'meta';
  createdMs: number;
  version: string;
  keysAtStart: number;
}

export interface SnapshotKeyFrame {
  kind: 'key';
  type: number;
  key: string;
  /** ms since the epoch, 0 = no expiry. */
  expiresAt: number;
  /** A string's value; null for hashes and sorted sets. */
  value: Value | null;
  /** A hash's or sorted set's elements: all of them, or none when MORE frames follow. */
  elements: SnapshotElements | null;
}

export interface SnapshotMoreFrame {
  kind: 'more';
  type: number;
  key: string;
  elements: SnapshotElements;
}

export interface SnapshotEndFrame {
  kind: 'end';
  keys: number;
}

export type SnapshotFrame = SnapshotMetaFrame | SnapshotKeyFrame | SnapshotMoreFrame | SnapshotEndFrame;

function readElements(decoder: PayloadDecoder, type: number): SnapshotElements {
  const count = decoder.varint();
  const names: string[] = [];
  const values: Array<Value | number> = [];
  // Each element takes at least two bytes, so a forged count runs out of payload, not of memory.
  for (let i = 0; i < count; i++) {
    names.push(decoder.string());
    values.push(type === SNAPSHOT_TYPE_HASH ? decoder.value() : decoder.float64());
  }
  return { names, values };
}

/**
 * Decodes one snapshot frame payload (`bytes[start..end)`, kind byte first), as snapshot-reader.ts
 * reads it. Throws an Error naming the problem when the payload does not parse.
 */
export function decodeSnapshotFrame(decoder: PayloadDecoder, bytes: Buffer, start: number, end: number): SnapshotFrame {
  const kind = bytes[start];
  decoder.reset(bytes, start + 1, end);
  let frame: SnapshotFrame;
  if (kind === FRAME_SNAPSHOT_META) {
    const createdMs = decoder.float64();
    const version = String(decoder.arg());
    frame = { kind: 'meta', createdMs, version, keysAtStart: decoder.varint() };
  } else if (kind === FRAME_SNAPSHOT_KEY) {
    const type = decoder.byte();
    const key = decoder.string();
    const expiresAt = decoder.float64();
    if (type > SNAPSHOT_TYPE_ZSET) throw new Error(`unknown value type ${type}`);
    frame =
      type === SNAPSHOT_TYPE_STRING
        ? { kind: 'key', type, key, expiresAt, value: decoder.value(), elements: null }
        : { kind: 'key', type, key, expiresAt, value: null, elements: readElements(decoder, type) };
  } else if (kind === FRAME_SNAPSHOT_MORE) {
    const type = decoder.byte();
    const key = decoder.string();
    if (type === SNAPSHOT_TYPE_STRING || type > SNAPSHOT_TYPE_ZSET) {
      throw new Error(`more elements for ${JSON.stringify(key)}, which no earlier frame began`);
    }
    frame = { kind: 'more', type, key, elements: readElements(decoder, type) };
  } else if (kind === FRAME_SNAPSHOT_END) {
    frame = { kind: 'end', keys: decoder.varint() };
  } else {
    throw new Error(`frame kind 0x${kind.toString(16)} does not belong in a snapshot`);
  }
  if (!decoder.done) throw new Error('bytes left over at the end of the frame');
  return frame;
}

// -------------------------------------------------------------------------------------------------
// Repeated names: a Bloom filter, then an exact count of the suspects

const BLOOM_BITS_MIN = 2 ** 20;
const BLOOM_BITS_MAX = 2 ** 30;
const BLOOM_HASHES = 6;

/**
 * Two to four bits per file byte: a key of a typical cache (40 bytes on disk) gets 80 or more, so
 * false alarms are rare (below one in a million names); a file of six-byte names still gets 12.
 */
function bloomBits(fileBytes: number): number {
  let bits = BLOOM_BITS_MIN;
  while (bits < fileBytes * 2 && bits < BLOOM_BITS_MAX) bits *= 2;
  return bits;
}

function hashA(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

function hashB(text: string): number {
  let h = 0x9747b28c ^ text.length;
  for (let i = 0; i < text.length; i++) {
    h = Math.imul(h ^ text.charCodeAt(i), 0x5bd1e995);
    h ^= h >>> 15;
  }
  return (h | 1) >>> 0;
}

class Suspects {
  private readonly bits: Int32Array;
  private readonly mask: number;
  /** Names the filter had (maybe) seen already. */
  readonly names = new Set<string>();

  constructor(fileBytes: number) {
    const bits = bloomBits(fileBytes);
    this.bits = new Int32Array(bits / 32);
    this.mask = bits - 1;
  }

  /** Records a name; remembers it as a suspect when every one of its bits was set already. */
  note(name: string): void {
    const a = hashA(name);
    const b = hashB(name);
    let seen = true;
    for (let i = 0; i < BLOOM_HASHES; i++) {
      const bit = (a + Math.imul(i, b)) & this.mask;
      const word = bit >>> 5;
      const flag = 1 << (bit & 31);
      if ((this.bits[word] & flag) === 0) {
        seen = false;
        this.bits[word] |= flag;
      }
    }
    if (seen) this.names.add(name);
  }
}

/** One name per key, and one per element of a value split across MORE frames. */
function keyName(key: string): string {
  return `K${key}`;
}

function elementName(key: string, element: string): string {
  return `E${key.length}:${key}${element}`;
}

function elementWord(type: number): string {
  return type === SNAPSHOT_TYPE_HASH ? 'field' : 'member';
}

// -------------------------------------------------------------------------------------------------
// The rules

export interface SnapshotProblem {
  offset: number;
  /** Always corruption: a snapshot has no torn-tail rule (see the top of this file). */
  kind: 'corrupt';
  reason: string;
}

/** A hash or sorted set whose KEY frame carried no elements: MORE frames continue it. */
interface OpenValue {
  type: number;
  elements: number;
  offset: number;
}

class SnapshotRules {
  meta: SnapshotMetaFrame | null = null;
  ended = false;
  keys = 0;
  readonly open = new Map<string, OpenValue>();
  /** Rules about the file's shape are reported once, not again for every frame that follows. */
  private metaMissing = false;
  private afterEnd = false;

  constructor(private readonly suspects: Suspects | null) {}

  /** The rule the frame breaks, or null. */
  check(frame: SnapshotFrame, offset: number): string | null {
    if (this.ended) {
      if (this.afterEnd) return null;
      this.afterEnd = true;
      return 'a frame after the END frame';
    }
    if (this.meta === null && !this.metaMissing && frame.kind !== 'meta') {
      // Reported at the first frame, which (like the rest) is still checked as if the metadata
      // were there, so one missing frame is one problem.
      this.metaMissing = true;
      this.apply(frame, offset);
      return 'the first frame is not the metadata frame';
    }
    return this.apply(frame, offset);
  }

  private apply(frame: SnapshotFrame, offset: number): string | null {
    switch (frame.kind) {
      case 'meta':
        if (this.meta !== null || this.metaMissing) return 'a second metadata frame';
        this.meta = frame;
        return null;
      case 'key': {
        this.keys++;
        this.suspects?.note(keyName(frame.key));
        if (frame.elements === null) return null;
        if (frame.elements.names.length === 0) {
          this.open.set(frame.key, { type: frame.type, elements: 0, offset });
          return null;
        }
        const seen = new Set<string>();
        const { names, values } = frame.elements;
        for (let i = 0; i < names.length; i++) {
          if (seen.has(names[i])) return `${elementWord(frame.type)} ${JSON.stringify(names[i])} of ${JSON.stringify(frame.key)} appears twice`;
          seen.add(names[i]);
          if (frame.type === SNAPSHOT_TYPE_ZSET && Number.isNaN(values[i])) return nanScore(names[i], frame.key);
        }
        return null;
      }
      case 'more': {
        const open = this.open.get(frame.key);
        if (open === undefined || open.type !== frame.type) {
          return `more elements for ${JSON.stringify(frame.key)}, which no earlier KEY frame of that type began (or its KEY frame held all of it)`;
        }
        const { names, values } = frame.elements;
        open.elements += names.length;
        for (let i = 0; i < names.length; i++) {
          this.suspects?.note(elementName(frame.key, names[i]));
          if (frame.type === SNAPSHOT_TYPE_ZSET && Number.isNaN(values[i])) return nanScore(names[i], frame.key);
        }
        return null;
      }
      case 'end':
        this.ended = true;
        if (frame.keys !== this.keys) return `the END frame counts ${frame.keys} keys, the file holds ${this.keys}`;
        return null;
    }
  }

  /** Problems only the end of the file reveals. */
  finish(fileBytes: number): SnapshotProblem[] {
    const problems: SnapshotProblem[] = [];
    for (const [key, open] of this.open) {
      if (open.elements > 0) continue;
      const what = open.type === SNAPSHOT_TYPE_HASH ? 'hash' : 'sorted set';
      problems.push({ offset: open.offset, kind: 'corrupt', reason: `${what} ${JSON.stringify(key)} has no ${elementWord(open.type)}s` });
    }
    if (!this.ended) problems.push({ offset: fileBytes, kind: 'corrupt', reason: 'the snapshot ends without its END frame (incomplete)' });
    return problems;
  }
}

function nanScore(member: string, key: string): string {
  return `member ${JSON.stringify(member)} of ${JSON.stringify(key)} has a NaN score`;
}

// -------------------------------------------------------------------------------------------------
// Streaming

export interface SnapshotStream {
  version: number;
  fileBytes: number;
  /** Good frames. */
  frames: number;
  meta: SnapshotMetaFrame | null;
  /** KEY frames read. */
  keys: number;
  ended: boolean;
  /**
   * Every problem found: those of frames in file order, then those of the whole file (a missing
   * END frame, an empty value). None means loadSnapshotFile accepts the file; otherwise the first
   * is the one it refuses with.
   */
  problems: SnapshotProblem[];
}

/** Called with each frame that decodes and keeps the rules, in file order. */
export type SnapshotFrameVisitor = (frame: SnapshotFrame, offset: number) => void;

/**
 * Reads the snapshot at path frame by frame, handing each good frame to visit, and reports every
 * problem with its offset. Throws BadHeaderError when the header is unusable or names an AOF.
 * `repeats: false` skips the check for repeated keys and elements (and its memory).
 */
export async function streamSnapshot(
  fs: FileSystem,
  path: string,
  visit: SnapshotFrameVisitor | null,
  options: { repeats?: boolean } = {},
): Promise<SnapshotStream> {
  const { header, fileBytes } = readFileHeader(fs, path);
  if (!header.ok) throw new BadHeaderError(header.problem);
  if (header.kind !== 'snapshot') throw new BadHeaderError('this is an append-only file, not a snapshot');
  const suspects = options.repeats === false ? null : new Suspects(fileBytes);
  const rules = new SnapshotRules(suspects);
  const decoder = new PayloadDecoder();
  const problems: SnapshotProblem[] = [];
  const walk = await walkFrames(fs, path, (bytes, start, end, offset) => {
    let frame: SnapshotFrame;
    try {
      frame = decodeSnapshotFrame(decoder, bytes, start, end);
    } catch (error) {
      problems.push({ offset, kind: 'corrupt', reason: `the frame passes its checksum but does not decode: ${(error as Error).message}` });
      return;
    }
    const broken = rules.check(frame, offset);
    if (broken !== null) problems.push({ offset, kind: 'corrupt', reason: broken });
    else if (visit !== null) visit(frame, offset);
  });
  for (const damage of walk.damages) problems.push({ offset: damage.offset, kind: 'corrupt', reason: damage.reason });
  if (suspects !== null && suspects.names.size > 0) problems.push(...(await findRepeats(fs, path, suspects.names)));
  // Problems met frame by frame in file order, then those only the end reveals (often consequences
  // of the first ones): the order loadSnapshotFile checks in, so the first is the one it names.
  problems.sort((a, b) => a.offset - b.offset);
  problems.push(...rules.finish(walk.fileBytes));
  return { version: walk.version, fileBytes: walk.fileBytes, frames: walk.frames, meta: rules.meta, keys: rules.keys, ended: rules.ended, problems };
}

/** The second pass: counts the suspect names exactly; a second sighting is a real repeat. */
async function findRepeats(fs: FileSystem, path: string, suspects: Set<string>): Promise<SnapshotProblem[]> {
  const decoder = new PayloadDecoder();
  const counts = new Map<string, number>();
  const problems: SnapshotProblem[] = [];
  const sight = (name: string, offset: number, reason: () => string): void => {
    if (!suspects.has(name)) return;
    const count = (counts.get(name) ?? 0) + 1;
    counts.set(name, count);
    if (count === 2) problems.push({ offset, kind: 'corrupt', reason: reason() });
  };
  await walkFrames(fs, path, (bytes, start, end, offset) => {
    let frame: SnapshotFrame;
    try {
      frame = decodeSnapshotFrame(decoder, bytes, start, end);
    } catch {
      return; // reported by the first pass
    }
    if (frame.kind === 'key') sight(keyName(frame.key), offset, () => `key ${JSON.stringify(frame.key)} appears twice`);
    else if (frame.kind === 'more') {
      for (const name of frame.elements.names) {
        sight(elementName(frame.key, name), offset, () => `${elementWord(frame.type)} ${JSON.stringify(name)} of ${JSON.stringify(frame.key)} appears twice`);
      }
    }
  });
  return problems;
}
