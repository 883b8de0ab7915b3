// Redis's glob matching, as used by KEYS and the MATCH option of SCAN, HSCAN, SSCAN and ZSCAN: `*`, `?`,
// `[abc]`, `[^a]`, `[a-z]` and `\` escapes, with the exact results of Redis 7.0's stringmatchlen()
// (src/util.c) on malformed patterns too. Redis does not reject a bad pattern; it reads it in one
// particular way, and code written against Redis depends on that reading:
//
//   - `[` with no closing `]` runs to the end of the pattern: `[ab` is the class {a, b}; a lone `[`
//     matches nothing and `[^` matches any one character.
//   - `[]` is the empty class (matches nothing), `[^]` matches any one character.
//   - `x-y` is a range whenever two characters follow `x`, even if the second is the closing `]`:
//     `[a-]` is the range `]`..`a` and the class then has no end, so `[a-]x` is one class {`]`..`a`, x}.
//     A `-` that is first, or last before `]` with nothing to pair, is literal.
//   - Reversed ranges are swapped: `[z-a]` is `[a-z]`. Range ends are raw characters (no escapes).
//   - `\c` outside a class is a literal c; a trailing `\` (outside or inside a class) is a literal `\`.
//   - With nocase, `\c` inside a class still compares case-sensitively, and a range is folded after
//     the swap, so `[Z-a]` (then `z`..`a`) matches nothing.
//   - Only ASCII A-Z fold under nocase (Redis runs tolower() in the C locale).
//   - An empty text matches only the empty pattern, except that KEYS and SCAN treat the lone pattern
//     `*` as "everything" before calling stringmatchlen (db.c keysCommand `allkeys`,
//     scanGenericCommand `use_pattern`). We fold that rule in: `*` matches "", `**` does not.
//
// Deliberate difference: emberkv keys are JS strings, so matching is by Unicode code point where
// Redis works on bytes. `?` and a class consume one character (an astral character is one, a lone
// surrogate is one), and ranges compare code points (Redis compares signed chars, so ranges over
// bytes >= 0x80 differ). For ASCII keys and patterns the results are Redis's.
//
// Speed: Redis recurses once per `*` and bounds the blow-up with its skipLongerMatches flag. Every
// token other than `*` consumes exactly one character, so the classic two-pointer matcher (on a
// mismatch, let the most recent `*` swallow one more character) gives the same answers in
// O(text * pattern) time with no recursion at all; a `*` followed by a literal jumps with indexOf().
// A pattern is parsed once into typed arrays (a small cache serves repeated globMatch() and SCAN
// calls), and compileGlob() adds the string-method fast paths KEYS/SCAN hit most (`*`, `abc`,
// `abc*`, `*abc`, `*abc*`).

const STAR = 0;
const ANY = 1;
const LITERAL = 2;
const CLASS = 3;

const CODE_STAR = 0x2a; // *
const CODE_QUESTION = 0x3f; // ?
const CODE_OPEN = 0x5b; // [
const CODE_CLOSE = 0x5d; // ]
const CODE_CARET = 0x5e; // ^
const CODE_DASH = 0x2d; // -
const CODE_BACKSLASH = 0x5c; // \

/** One member of a bracket class, as Redis read it. */
type ClassEntry =
  | { kind: 'char'; codePoint: number; caseSensitive: boolean }
  | { kind: 'range'; low: number; high: number };

interface CharClass {
  /** Answers for code points 0..127 with negation applied, so the common case is one lookup. */
  readonly ascii: Uint8Array;
  readonly entries: ClassEntry[];
  readonly negated: boolean;
}

/** A parsed pattern: token kind and argument side by side (code point for LITERAL, index for CLASS). */
interface GlobProgram {
  readonly kinds: Uint8Array;
  readonly args: Int32Array;
  readonly classes: CharClass[];
  /**
   * For a `*` followed by a literal: that literal as a one-unit string, so the `*` can jump with
   * indexOf() instead of stepping a character at a time; '' when it cannot (astral or surrogate
   * literal, or a letter under nocase). A BMP non-surrogate unit always starts a character.
   */
  readonly seeks: string[];
  readonly nocase: boolean;
}

/** C-locale tolower(): Redis folds ASCII letters only. */
function foldAscii(codePoint: number): number {
  return codePoint >= 0x41 && codePoint <= 0x5a ? codePoint + 0x20 : codePoint;
}

function classContains(entries: ClassEntry[], negated: boolean, nocase: boolean, codePoint: number): boolean {
  let match = false;
  const folded = nocase ? foldAscii(codePoint) : codePoint;
  for (const entry of entries) {
    if (entry.kind === 'char') {
      if (entry.caseSensitive || !nocase ? entry.codePoint === codePoint : foldAscii(entry.codePoint) === folded) {
        match = true;
      }
    } else if (folded >= entry.low && folded <= entry.high) {
      match = true;
    }
  }
  return negated ? !match : match;
}

/**
 * Parses like stringmatchlen_impl() walks the pattern. Its walk never depends on the text (a class is
 * read to its end even after a member matched), so reading the pattern once up front is exact.
 */
function parseGlob(pattern: string, nocase: boolean): GlobProgram {
  const codes = Array.from(pattern, (char) => char.codePointAt(0) as number);
  const end = codes.length;
  const kinds: number[] = [];
  const args: number[] = [];
  const classes: CharClass[] = [];
  let i = 0;
  while (i < end) {
    const code = codes[i];
    if (code === CODE_STAR) {
      // `**` is `*`; Redis collapses runs the same way (util.c:59).
      if (kinds[kinds.length - 1] !== STAR) {
        kinds.push(STAR);
        args.push(0);
      }
      i++;
    } else if (code === CODE_QUESTION) {
      kinds.push(ANY);
      args.push(0);
      i++;
    } else if (code === CODE_OPEN) {
      i++;
      // Out-of-range reads give undefined here where Redis reads the sds NUL: neither is `^`, `]` or `\`.
      const negated = codes[i] === CODE_CARET;
      if (negated) i++;
      const entries: ClassEntry[] = [];
      while (i < end) {
        if (codes[i] === CODE_BACKSLASH && end - i >= 2) {
          // Escaped member: compared without case folding even under nocase (util.c:104-108).
          entries.push({ kind: 'char', codePoint: codes[i + 1], caseSensitive: true });
          i += 2;
        } else if (codes[i] === CODE_CLOSE) {
          break;
        } else if (end - i >= 3 && codes[i + 1] === CODE_DASH) {
          // A range even when its end is `]` (util.c:115); swap first, then fold (util.c:119-128).
          let low = Math.min(codes[i], codes[i + 2]);
          let high = Math.max(codes[i], codes[i + 2]);
          if (nocase) {
            low = foldAscii(low);
            high = foldAscii(high);
          }
          entries.push({ kind: 'range', low, high });
          i += 3;
        } else {
          entries.push({ kind: 'char', codePoint: codes[i], caseSensitive: false });
          i++;
        }
      }
      i++; // past `]`, or past the end when the class was unterminated (util.c:111-114)
      const ascii = new Uint8Array(128);
      for (let code = 0; code < 128; code++) ascii[code] = classContains(entries, negated, nocase, code) ? 1 : 0;
      kinds.push(CLASS);
      args.push(classes.length);
      classes.push({ ascii, entries, negated });
    } else if (code === CODE_BACKSLASH && end - i >= 2) {
      // Escaped literal outside a class does fold under nocase (falls through to default, util.c:153-165).
      kinds.push(LITERAL);
      args.push(nocase ? foldAscii(codes[i + 1]) : codes[i + 1]);
      i += 2;
    } else {
      kinds.push(LITERAL);
      args.push(nocase ? foldAscii(code) : code);
      i++;
    }
  }
  const seeks = kinds.map((kind, index) => {
    const next = args[index + 1];
    const seekable = kind === STAR && kinds[index + 1] === LITERAL && next < 0xd800 && !(nocase && next >= 0x61 && next <= 0x7a);
    return seekable ? String.fromCharCode(next) : '';
  });
  return { kinds: Uint8Array.from(kinds), args: Int32Array.from(args), classes, seeks, nocase };
}

/** UTF-16 units taken by the character at `index`: 2 for a surrogate pair, else 1. */
function widthAt(text: string, index: number): number {
  const unit = text.charCodeAt(index);
  if (unit >= 0xd800 && unit <= 0xdbff && index + 1 < text.length) {
    const next = text.charCodeAt(index + 1);
    if (next >= 0xdc00 && next <= 0xdfff) return 2;
  }
  return 1;
}

function runGlob(program: GlobProgram, text: string): boolean {
  const { kinds, args, classes, seeks, nocase } = program;
  const patternEnd = kinds.length;
  const textEnd = text.length;
  // stringmatchlen never enters its loop for an empty text: only the empty pattern matches (util.c:56,181).
  if (textEnd === 0) return patternEnd === 0;
  let p = 0;
  let t = 0;
  let starToken = -1; // the most recent `*`, where matching resumes after a mismatch
  let starText = 0; // where the text after that `*` currently starts
  while (t < textEnd) {
    if (p < patternEnd) {
      const kind = kinds[p];
      if (kind === STAR) {
        if (p + 1 === patternEnd) return true;
        starToken = p;
        p++;
        const seek = seeks[starToken];
        if (seek !== '') {
          // The rest starts with this literal; if it is nowhere ahead, no later start can help.
          t = text.indexOf(seek, t);
          if (t < 0) return false;
        }
        starText = t;
        continue;
      }
      let code = text.charCodeAt(t);
      let width = 1;
      if (code >= 0xd800 && code <= 0xdbff && t + 1 < textEnd) {
        const next = text.charCodeAt(t + 1);
        if (next >= 0xdc00 && next <= 0xdfff) {
          code = (code - 0xd800) * 0x400 + (next - 0xdc00) + 0x10000;
          width = 2;
        }
      }
      let matched: boolean;
      if (kind === ANY) {
        matched = true;
      } else if (kind === LITERAL) {
        matched = (nocase ? foldAscii(code) : code) === args[p];
      } else {
        const charClass = classes[args[p]];
        matched = code < 128
          ? charClass.ascii[code] === 1
          : classContains(charClass.entries, charClass.negated, nocase, code);
      }
      if (matched) {
        p++;
        t += width;
        continue;
      }
    }
    if (starToken < 0) return false;
    // Earlier `*`s never need to retry: the segment after the last one matching later is all they
    // could achieve, which is the same argument as Redis's skipLongerMatches (util.c:74-84).
    const seek = seeks[starToken];
    if (seek === '') {
      starText += widthAt(text, starText);
    } else {
      starText = text.indexOf(seek, starText + 1);
      if (starText < 0) return false;
    }
    t = starText;
    p = starToken + 1;
  }
  while (p < patternEnd && kinds[p] === STAR) p++;
  return p === patternEnd;
}

// Parsed patterns, so globMatch() in a loop and SCAN's repeated calls with one MATCH parse once.
// Bounded by clearing: patterns come from clients and must not grow memory without limit.
const PROGRAM_CACHE_LIMIT = 256;
const programCache = new Map<string, GlobProgram>();

function programFor(pattern: string, nocase: boolean): GlobProgram {
  const cacheKey = (nocase ? 'i' : 's') + pattern;
  let program = programCache.get(cacheKey);
  if (program === undefined) {
    if (programCache.size >= PROGRAM_CACHE_LIMIT) programCache.clear();
    program = parseGlob(pattern, nocase);
    programCache.set(cacheKey, program);
  }
  return program;
}

/** Does `text` match the glob `pattern`, as Redis's KEYS and SCAN MATCH decide? */
export function globMatch(pattern: string, text: string, nocase = false): boolean {
  if (pattern === '*') return true;
  return runGlob(programFor(pattern, nocase), text);
}

/** True when a string-method fast path on `literal` could split a surrogate pair of the text. */
function mayCutPair(literal: string, atStart: boolean, atEnd: boolean): boolean {
  if (literal.length === 0) return false;
  const first = literal.charCodeAt(0);
  const last = literal.charCodeAt(literal.length - 1);
  return (atStart && first >= 0xdc00 && first <= 0xdfff) || (atEnd && last >= 0xd800 && last <= 0xdbff);
}

/**
 * Compiles once for matching many keys (SCAN over 1M keys): returns a predicate. Fast paths: `*`
 * (always true), no special characters (equality), `prefix*`, `*suffix`, `*infix*`.
 * `nocase` folds ASCII letters as globMatch does; it skips the string-method fast paths.
 */
export function compileGlob(pattern: string, nocase = false): (text: string) => boolean {
  if (pattern === '*') return () => true;
  const program = programFor(pattern, nocase);
  const { kinds, args } = program;
  const middleStart = kinds[0] === STAR ? 1 : 0;
  const middleEnd = kinds.length > middleStart && kinds[kinds.length - 1] === STAR ? kinds.length - 1 : kinds.length;
  let onlyLiterals = !nocase;
  for (let i = middleStart; i < middleEnd && onlyLiterals; i++) onlyLiterals = kinds[i] === LITERAL;
  if (!onlyLiterals) return (text) => runGlob(program, text);

  const literal = Array.from(args.subarray(middleStart, middleEnd), (code) => String.fromCodePoint(code)).join('');
  const leadingStar = middleStart === 1;
  const trailingStar = middleEnd < kinds.length;
  // Only stars (`**`): anything but the empty text, which matches no pattern but `` and `*`.
  if (literal.length === 0 && leadingStar) return (text) => text.length > 0;
  if (!leadingStar && !trailingStar) return (text) => text === literal;
  // A literal `a\uD83D` must not match the first half of `a😀`: code points, not UTF-16 units.
  if (mayCutPair(literal, leadingStar, trailingStar)) return (text) => runGlob(program, text);
  if (!leadingStar) return (text) => text.startsWith(literal);
  if (!trailingStar) return (text) => text.endsWith(literal);
  return (text) => text.includes(literal);
}
