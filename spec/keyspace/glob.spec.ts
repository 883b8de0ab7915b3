// Tests for lib/keyspace/glob.ts. Three oracles, because glob's value is matching Redis exactly:
//   1. a line-by-line port of Redis 7.0's stringmatchlen_impl() (src/util.c), recursion and
//      skipLongerMatches included, run on code point arrays; fuzzed against globMatch like Redis's own
//      stringmatchlen_fuzz_test, and by fast-check;
//   2. cases from Redis's tests/unit/keyspace.tcl and malformed patterns checked by hand on 7.0.15;
//   3. a private redis-server, when installed: KEYS / SCAN MATCH (case-sensitive) and
//      COMMAND LIST FILTERBY PATTERN (nocase) against globMatch on random ASCII patterns.
// The RESP client is a few lines over node:net on purpose, so this file depends on nothing shared.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { connect, createServer, type Socket } from 'node:net';
import { compileGlob, globMatch } from '../../lib/keyspace/glob.ts';
import { seededRandom } from '../support/seeded-random.ts';

// ---------------------------------------------------------------------------------------------
// Oracle 1: stringmatchlen_impl() ported statement by statement. Out-of-range reads return
// undefined where C reads the sds NUL terminator; neither equals any character compared against.

const STAR = 0x2a;
const QUESTION = 0x3f;
const OPEN = 0x5b;
const CLOSE = 0x5d;
const CARET = 0x5e;
const DASH = 0x2d;
const BACKSLASH = 0x5c;

function lower(code: number): number {
  return code >= 0x41 && code <= 0x5a ? code + 0x20 : code;
}

function stringmatchlenImpl(
  pattern: number[], pi: number, patternLen: number,
  text: number[], si: number, stringLen: number,
  nocase: boolean, skipLongerMatches: { value: boolean },
): boolean {
  while (patternLen && stringLen) {
    const head = pattern[pi];
    if (head === STAR) {
      while (patternLen && pattern[pi + 1] === STAR) {
        pi++;
        patternLen--;
      }
      if (patternLen === 1) return true;
      while (stringLen) {
        if (stringmatchlenImpl(pattern, pi + 1, patternLen - 1, text, si, stringLen, nocase, skipLongerMatches)) return true;
        if (skipLongerMatches.value) return false;
        si++;
        stringLen--;
      }
      skipLongerMatches.value = true;
      return false;
    } else if (head === QUESTION) {
      si++;
      stringLen--;
    } else if (head === OPEN) {
      pi++;
      patternLen--;
      const not = pattern[pi] === CARET;
      if (not) {
        pi++;
        patternLen--;
      }
      let match = false;
      for (;;) {
        if (pattern[pi] === BACKSLASH && patternLen >= 2) {
          pi++;
          patternLen--;
          if (pattern[pi] === text[si]) match = true;
        } else if (pattern[pi] === CLOSE) {
          break;
        } else if (patternLen === 0) {
          pi--;
          patternLen++;
          break;
        } else if (patternLen >= 3 && pattern[pi + 1] === DASH) {
          let start = pattern[pi];
          let end = pattern[pi + 2];
          let c = text[si];
          if (start > end) [start, end] = [end, start];
          if (nocase) {
            start = lower(start);
            end = lower(end);
            c = lower(c);
          }
          pi += 2;
          patternLen -= 2;
          if (c >= start && c <= end) match = true;
        } else if (!nocase) {
          if (pattern[pi] === text[si]) match = true;
        } else if (lower(pattern[pi]) === lower(text[si])) {
          match = true;
        }
        pi++;
        patternLen--;
      }
      if (not) match = !match;
      if (!match) return false;
      si++;
      stringLen--;
    } else {
      if (head === BACKSLASH && patternLen >= 2) {
        pi++;
        patternLen--;
      }
      if (nocase ? lower(pattern[pi]) !== lower(text[si]) : pattern[pi] !== text[si]) return false;
      si++;
      stringLen--;
    }
    pi++;
    patternLen--;
    if (stringLen === 0) {
      while (pattern[pi] === STAR) {
        pi++;
        patternLen--;
      }
      break;
    }
  }
  return patternLen === 0 && stringLen === 0;
}

const codePoints = (s: string): number[] => Array.from(s, (char) => char.codePointAt(0) as number);

/** What KEYS/SCAN return: stringmatchlen, except the lone `*` which they special-case first. */
function redisKeysMatch(pattern: string, text: string, nocase = false): boolean {
  if (pattern === '*') return true;
  const p = codePoints(pattern);
  const s = codePoints(text);
  return stringmatchlenImpl(p, 0, p.length, s, 0, s.length, nocase, { value: false });
}


function randomString(random: () => number, alphabet: string[], maxLength: number): string {
  const length = Math.floor(random() * (maxLength + 1));
  let out = '';
  for (let i = 0; i < length; i++) out += alphabet[Math.floor(random() * alphabet.length)];
  return out;
}

/** Checks globMatch and compileGlob agree with the expectation, with a message naming the case. */
function expectMatch(pattern: string, text: string, expected: boolean, nocase = false): void {
  const label = `${JSON.stringify(pattern)} vs ${JSON.stringify(text)}${nocase ? ' (nocase)' : ''}`;
  assert.is(globMatch(pattern, text, nocase), expected, `globMatch ${label}`);
  assert.is(compileGlob(pattern, nocase)(text), expected, `compileGlob ${label}`);
  assert.is(redisKeysMatch(pattern, text, nocase), expected, `reference port ${label}`);
}

// ---------------------------------------------------------------------------------------------
// Oracle 2: Redis's own test cases and hand-checked behaviour.

test('KEYS with pattern (keyspace.tcl)', () => {
  const keys = ['key_x', 'key_y', 'key_z', 'foo_a', 'foo_b', 'foo_c'];
  assert.equal(keys.filter(compileGlob('foo*')).sort(), ['foo_a', 'foo_b', 'foo_c']);
  assert.equal(keys.filter(compileGlob('*')).sort(), ['foo_a', 'foo_b', 'foo_c', 'key_x', 'key_y', 'key_z']);
  assert.equal(keys.filter((key) => globMatch('*', key)).length, 6);
});

test('KEYS * two times with long key, Github issue #1208 (keyspace.tcl)', () => {
  expectMatch('*', 'dlskeriewrioeuwqoirueioqwrueoqwrueqw', true);
  expectMatch('*', 'dlskeriewrioeuwqoirueioqwrueoqwrueqw', true);
});

test('Regression for pattern matching long nested loops (keyspace.tcl)', () => {
  expectMatch('a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b', 'a'.repeat(40), false);
});

test('pathological nested stars stay polynomial', () => {
  const started = performance.now();
  const long = 'a'.repeat(20_000);
  assert.is(globMatch('a*a*a*a*a*a*a*a*b', long), false);
  assert.is(compileGlob('a*a*a*a*a*a*a*a*b')(long), false);
  assert.is(globMatch('*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*', long), true);
  assert.is(globMatch('a*a*a*a*a*a*a*a*a', long), true);
  assert.is(globMatch('*?*?*?*?*?*?*?*?*[^a]', long), false);
  assert.is(globMatch('a*a*a*a*a*a*a*a*b', `${long}b`), true);
  assert.ok(performance.now() - started < 1000, 'nested stars took over a second');
});

test('basic syntax', () => {
  expectMatch('', '', true);
  expectMatch('', 'a', false);
  expectMatch('a', '', false);
  expectMatch('abc', 'abc', true);
  expectMatch('abc', 'abcd', false);
  expectMatch('a?c', 'abc', true);
  expectMatch('a?c', 'ac', false);
  expectMatch('h*llo', 'hllo', true);
  expectMatch('h*llo', 'heeeello', true);
  expectMatch('h[ae]llo', 'hallo', true);
  expectMatch('h[ae]llo', 'hillo', false);
  expectMatch('h[^e]llo', 'hallo', true);
  expectMatch('h[^e]llo', 'hello', false);
  expectMatch('h[a-b]llo', 'hbllo', true);
  expectMatch('h[a-b]llo', 'hcllo', false);
  expectMatch('user:*', 'user:', true);
  expectMatch('user:*', 'user', false);
  expectMatch('*:1', 'a:1', true);
  expectMatch('*:1', ':1', true);
  expectMatch('*:*', ':', true);
  expectMatch('*:*', 'abc', false);
  expectMatch('\\*', '*', true);
  expectMatch('\\*', 'a', false);
  expectMatch('\\?', '?', true);
  expectMatch('\\[a]', '[a]', true);
  expectMatch('\\a', 'a', true);
  expectMatch('[\\]]', ']', true);
  expectMatch('[\\^a]', '^', true);
  expectMatch('[^\\]]', ']', false);
  expectMatch('a**b', 'ab', true);
  expectMatch('a**', 'a', true);
});

test('empty text: only "" and the lone "*" match (KEYS/SCAN special-case "*", db.c)', () => {
  expectMatch('*', '', true);
  expectMatch('**', '', false);
  expectMatch('***', '', false);
  expectMatch('?', '', false);
  expectMatch('[^', '', false);
  expectMatch('**', 'x', true);
});

// Each of these was checked with KEYS on redis-server 7.0.15.
test('malformed patterns read as Redis reads them', () => {
  // Unterminated class runs to the end of the pattern.
  expectMatch('[', '[', false);
  expectMatch('[', '', false);
  expectMatch('[ab', 'a', true);
  expectMatch('[ab', 'b', true);
  expectMatch('[ab', 'ab', false);
  expectMatch('[^', 'x', true);
  expectMatch('[^', 'xy', false);
  expectMatch('[^a', 'a', false);
  expectMatch('[^a', 'b', true);
  expectMatch('x[*', 'x*', true);
  expectMatch('x[*', 'xyz', false);
  // Empty classes.
  expectMatch('[]', ']', false);
  expectMatch('[]', '', false);
  expectMatch('[]]', ']]', false);
  expectMatch('[^]', 'q', true);
  expectMatch('[^]]', 'q]', true);
  // `-` takes the closing `]` as a range end, and the class then never closes.
  expectMatch('[a-]', 'a', true);
  expectMatch('[a-]', ']', true);
  expectMatch('[a-]', '^', true);
  expectMatch('[a-]', '`', true);
  expectMatch('[a-]', '-', false);
  expectMatch('[a-]', 'b', false);
  expectMatch('[a-]x', 'x', true);
  expectMatch('[a-]x', 'ax', false);
  expectMatch('[a-', 'a', true);
  expectMatch('[a-', '-', true);
  expectMatch('[-a]', '-', true);
  expectMatch('[-a]', 'a', true);
  expectMatch('[-a]', 'b', false);
  expectMatch('[a-c-e]', '-', true); // a-c, then `-` and `e` as members
  expectMatch('[a-c-e]', 'd', false);
  // Reversed ranges are swapped.
  expectMatch('[z-a]', 'b', true);
  expectMatch('[z-a]', 'A', false);
  expectMatch('[Z-a]', '\\', true);
  expectMatch('[Z-a]', '_', true);
  expectMatch('[Z-a]', 'b', false);
  // Range ends are raw characters; an escape is a member only, never a range start.
  expectMatch('[\\a-z]', 'm', false);
  expectMatch('[\\a-z]', '-', true);
  expectMatch('[a-\\]', '_', true);
  expectMatch('[a-\\]', '\\', true);
  // Trailing backslash is a literal backslash, outside and inside a class.
  expectMatch('\\', '\\', true);
  expectMatch('a\\', 'a\\', true);
  expectMatch('[\\', '\\', true);
  expectMatch('[a\\', '\\', true);
  expectMatch('[\\]', ']', true); // `\]` is a member and the class is unterminated
  expectMatch('[\\]', '\\', false);
  // `]` and `^` and `-` outside a class are plain characters.
  expectMatch(']', ']', true);
  expectMatch('^a', '^a', true);
  expectMatch('a-b', 'a-b', true);
});

test('nocase: ASCII folding as Redis does it', () => {
  expectMatch('HeLLo', 'hello', true, true);
  expectMatch('HeLLo', 'hello', false, false);
  expectMatch('\\H', 'h', true, true); // escapes outside a class still fold
  expectMatch('[H]', 'h', true, true);
  expectMatch('[\\H]', 'h', false, true); // ...but not inside one (util.c:104-108)
  expectMatch('[\\H]', 'H', true, true);
  expectMatch('[A-C]', 'b', true, true);
  expectMatch('[a-c]', 'B', true, true);
  expectMatch('[Z-a]', 'z', false, true); // swapped to Z..a, folded to z..a: empty
  expectMatch('[Z-a]', '_', false, true);
  expectMatch('[^A]', 'a', false, true);
  expectMatch('É', 'é', false, true); // non-ASCII never folds
});

test('matching is by code point, not UTF-16 unit', () => {
  expectMatch('?', '😀', true);
  expectMatch('??', '😀', false);
  expectMatch('[😀😁]', '😁', true);
  expectMatch('[😀-😂]', '😁', true);
  expectMatch('[^😀]', '😁', true);
  expectMatch('a?c', 'aéc', true);
  expectMatch('*\uDE00', '😀', false); // a lone low surrogate must not match half of a pair
  expectMatch('\uD83D*', '😀', false);
  expectMatch('*\uDE00*', 'x😀x', false);
  expectMatch('\uD83D*', '\uD83Dx', true);
  expectMatch('*\uDE00', 'x\uDE00', true);
  expectMatch('?', '\uD83D', true);
  expectMatch('😀*', '😀x', true);
  expectMatch('*😀', 'x😀', true);
});

test('compileGlob fast paths', () => {
  const always = compileGlob('*');
  assert.ok(always('') && always('anything'));
  const equal = compileGlob('user:1');
  assert.ok(equal('user:1') && !equal('user:10'));
  const prefix = compileGlob('user:*');
  assert.ok(prefix('user:') && prefix('user:42') && !prefix('use'));
  const suffix = compileGlob('*:name');
  assert.ok(suffix(':name') && suffix('user:1:name') && !suffix('name'));
  const infix = compileGlob('*:1:*');
  assert.ok(infix(':1:') && infix('user:1:name') && !infix('user:10:name'));
  const escaped = compileGlob('\\*lit\\?*');
  assert.ok(escaped('*lit?x') && !escaped('xlit?x'));
});

test('stringmatchlen fuzz (util.c stringmatchlen_fuzz_test): bytes 0..127, lengths < 32', () => {
  const random = seededRandom(0x5eed);
  const alphabet = Array.from({ length: 128 }, (_, code) => String.fromCharCode(code));
  for (let cycle = 0; cycle < 20_000; cycle++) {
    const text = randomString(random, alphabet, 31);
    const pattern = randomString(random, alphabet, 31);
    assert.is(globMatch(pattern, text), redisKeysMatch(pattern, text), `${JSON.stringify(pattern)} vs ${JSON.stringify(text)}`);
  }
});

// ---------------------------------------------------------------------------------------------
// Properties over a small alphabet, so the special characters meet each other often.

const patternAlphabet = ['a', 'b', 'A', '*', '*', '?', '[', ']', '^', '-', '\\', '😀', '\uD83D', '\uDE00'];
const textAlphabet = ['a', 'b', 'A', 'B', '*', '?', '[', ']', '^', '-', '\\', '_', '😀', '\uD83D', '\uDE00'];
const patterns = fc.string({ unit: fc.constantFrom(...patternAlphabet), maxLength: 10 });
const texts = fc.string({ unit: fc.constantFrom(...textAlphabet), maxLength: 10 });

test('property: compileGlob(p)(s) === globMatch(p, s)', () => {
  fc.assert(
    fc.property(patterns, fc.array(texts, { maxLength: 8 }), (pattern, samples) => {
      const compiled = compileGlob(pattern);
      for (const text of samples) assert.is(compiled(text), globMatch(pattern, text), `${JSON.stringify(pattern)} vs ${JSON.stringify(text)}`);
    }),
    { numRuns: 3000 },
  );
});

test('property: fast-path shapes (literal with stars at the edges) agree with globMatch', () => {
  const literal = fc.string({ unit: fc.constantFrom('a', 'b', ':', '😀', '\uD83D', '\uDE00'), maxLength: 4 });
  const shaped = fc.tuple(fc.constantFrom('', '*', '**'), literal, fc.constantFrom('', '*', '**')).map(([head, body, tail]) => head + body + tail);
  fc.assert(
    fc.property(shaped, texts, (pattern, text) => {
      assert.is(compileGlob(pattern)(text), globMatch(pattern, text), `${JSON.stringify(pattern)} vs ${JSON.stringify(text)}`);
      assert.is(globMatch(pattern, text), redisKeysMatch(pattern, text));
    }),
    { numRuns: 3000 },
  );
});

test('property: globMatch equals the stringmatchlen port (case-sensitive and nocase)', () => {
  fc.assert(
    fc.property(patterns, texts, fc.boolean(), (pattern, text, nocase) => {
      assert.is(globMatch(pattern, text, nocase), redisKeysMatch(pattern, text, nocase), `${JSON.stringify(pattern)} vs ${JSON.stringify(text)} nocase=${nocase}`);
      assert.is(compileGlob(pattern, nocase)(text), globMatch(pattern, text, nocase));
    }),
    { numRuns: 5000 },
  );
});

// ---------------------------------------------------------------------------------------------
// Oracle 3: a private redis-server.

type RespReply = string | number | null | RespError | RespReply[];

class RespError {
  constructor(readonly message: string) {}
}

/** The smallest RESP2 client that pipelines: replies resolve in the order commands were sent. */
class RespClient {
  private buffer: Buffer = Buffer.alloc(0);
  private readonly pending: Array<(reply: RespReply) => void> = [];

  private constructor(private readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
      for (;;) {
        const parsed = parseReply(this.buffer, 0);
        if (parsed === undefined) break;
        this.buffer = this.buffer.subarray(parsed.next);
        this.pending.shift()?.(parsed.value);
      }
    });
  }

  static open(port: number): Promise<RespClient> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.removeListener('error', reject);
        resolve(new RespClient(socket));
      });
      socket.once('error', reject);
    });
  }

  call(...args: string[]): Promise<RespReply> {
    let frame = `*${args.length}\r\n`;
    for (const arg of args) frame += `$${Buffer.byteLength(arg)}\r\n${arg}\r\n`;
    this.socket.write(frame);
    return new Promise((resolve) => this.pending.push(resolve));
  }

  close(): void {
    this.socket.destroy();
  }
}

function parseReply(buffer: Buffer, offset: number): { value: RespReply; next: number } | undefined {
  const lineEnd = buffer.indexOf('\r\n', offset);
  if (lineEnd === -1) return undefined;
  const type = String.fromCharCode(buffer[offset]);
  const line = buffer.toString('utf8', offset + 1, lineEnd);
  const afterLine = lineEnd + 2;
  if (type === '+') return { value: line, next: afterLine };
  if (type === '-') return { value: new RespError(line), next: afterLine };
  if (type === ':') return { value: Number(line), next: afterLine };
  if (type === '$') {
    const length = Number(line);
    if (length < 0) return { value: null, next: afterLine };
    if (buffer.length < afterLine + length + 2) return undefined;
    return { value: buffer.toString('utf8', afterLine, afterLine + length), next: afterLine + length + 2 };
  }
  if (type === '*') {
    const count = Number(line);
    if (count < 0) return { value: null, next: afterLine };
    const items: RespReply[] = [];
    let next = afterLine;
    for (let i = 0; i < count; i++) {
      const item = parseReply(buffer, next);
      if (item === undefined) return undefined;
      items.push(item.value);
      next = item.next;
    }
    return { value: items, next };
  }
  throw new Error(`unexpected RESP type byte ${JSON.stringify(type)}`);
}

function stringArray(reply: RespReply): string[] {
  if (!Array.isArray(reply) || !reply.every((item): item is string => typeof item === 'string')) {
    throw new Error(`expected an array of strings, got ${JSON.stringify(reply)}`);
  }
  return reply;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function startRedis(): Promise<{ server: ChildProcess; client: RespClient }> {
  const port = await freePort();
  const server = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no'], { stdio: 'ignore' });
  const deadline = Date.now() + 5000;
  for (;;) {
    try {
      const client = await RespClient.open(port);
      if ((await client.call('PING')) === 'PONG') return { server, client };
      client.close();
    } catch (error) {
      if (Date.now() > deadline) {
        server.kill();
        throw error;
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const redisInstalled = spawnSync('redis-server', ['--version']).error === undefined;

if (!redisInstalled) {
  console.log('SKIP glob oracle tests: redis-server not installed');
} else {
  test('oracle: KEYS and SCAN MATCH membership equals globMatch (random ASCII)', async () => {
    const { server, client } = await startRedis();
    try {
      const random = seededRandom(7);
      const keyAlphabet = ['a', 'b', 'c', 'A', ':', '1', '*', '?', '[', ']', '^', '-', '\\', '_'];
      const keySet = new Set<string>(['', 'a', 'ab', 'user:1', 'user:10:name', ']', '\\', '-', '^', '`', '[', '*', '?']);
      while (keySet.size < 200) keySet.add(randomString(random, keyAlphabet, 6));
      const keys = [...keySet];
      await Promise.all(keys.map((key) => client.call('SET', key, '1')));

      const patternAlphabet = ['a', 'b', 'A', ':', '1', '*', '*', '?', '[', '[', ']', ']', '^', '-', '-', '\\', '\\', 'z', '_'];
      const patternList = [
        '', '*', '**', '?', '[', '[^', '[]', '[^]', '[a-]', '[a-]b', '[z-a]', '[Z-a]', '[\\', '\\', '[\\]',
        'a*', '*a', '*a*', 'user:*', '*:*', '[a-c-e]', '[\\a-z]', '[a-\\]', '\\*', '*\\', '[-a]', '[^-]',
      ];
      while (patternList.length < 400) patternList.push(randomString(random, patternAlphabet, 7));

      const replies = await Promise.all(patternList.map((pattern) => client.call('KEYS', pattern)));
      patternList.forEach((pattern, index) => {
        const fromRedis = stringArray(replies[index]).sort();
        const matcher = compileGlob(pattern);
        assert.equal(keys.filter((key) => globMatch(pattern, key)).sort(), fromRedis, `KEYS ${JSON.stringify(pattern)} (globMatch)`);
        assert.equal(keys.filter(matcher).sort(), fromRedis, `KEYS ${JSON.stringify(pattern)} (compileGlob)`);
      });

      // SCAN filters through the same stringmatchlen but its own `*` rule; check a sample of patterns.
      for (const pattern of patternList.slice(0, 60)) {
        const found: string[] = [];
        let cursor = '0';
        do {
          const reply = await client.call('SCAN', cursor, 'MATCH', pattern, 'COUNT', '1000');
          if (!Array.isArray(reply) || typeof reply[0] !== 'string') throw new Error(`bad SCAN reply ${JSON.stringify(reply)}`);
          cursor = reply[0];
          found.push(...stringArray(reply[1]));
        } while (cursor !== '0');
        assert.equal(keys.filter(compileGlob(pattern)).sort(), [...new Set(found)].sort(), `SCAN MATCH ${JSON.stringify(pattern)}`);
      }
    } finally {
      client.close();
      server.kill();
    }
  });

  test('oracle: COMMAND LIST FILTERBY PATTERN (nocase) equals globMatch(..., true)', async () => {
    const { server, client } = await startRedis();
    try {
      const names = stringArray(await client.call('COMMAND', 'LIST'));
      const random = seededRandom(11);
      const alphabet = ['c', 'l', 'i', 'e', 'n', 't', 'C', 'L', 'E', 'T', 'Z', 'a', 'z', '|', '-', '_', '`', '*', '*', '?', '[', ']', '^', '\\'];
      const patternList = ['*', 'CLIENT|*', '[Z-a]*', '[\\C]*', '\\C*', '*[^A-Y]', '*|*-*', 'c[l-L]*'];
      while (patternList.length < 150) patternList.push(randomString(random, alphabet, 7));
      const replies = await Promise.all(patternList.map((pattern) => client.call('COMMAND', 'LIST', 'FILTERBY', 'PATTERN', pattern)));
      patternList.forEach((pattern, index) => {
        const fromRedis = stringArray(replies[index]).sort();
        assert.equal(names.filter((name) => globMatch(pattern, name, true)).sort(), fromRedis, `COMMAND LIST FILTERBY PATTERN ${JSON.stringify(pattern)}`);
      });
    } finally {
      client.close();
      server.kill();
    }
  });
}

test.run();
