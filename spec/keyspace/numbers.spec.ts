// Tests for lib/keyspace/numbers.ts: tables of Redis behaviour, fast-check properties against an
// independent exact (BigInt) model, and — when redis-server is installed — differential runs in
// which real Redis 7.0 answers ZADD/ZSCORE, INCRBYFLOAT, HINCRBYFLOAT, INCRBY, EXPIRE and
// ZCOUNT/ZRANGEBYSCORE for thousands of generated texts. The oracle commands are pipelined so the
// whole file stays within a few seconds.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import {
  addLongDouble,
  formatDouble,
  formatLongDoubleHuman,
  isFiniteLongDouble,
  longDoubleFromInteger,
  longDoubleToNumber,
  parseDouble,
  parseDoubleLoose,
  parseInt64,
  parseInteger,
  parseLongDouble,
  parseScoreBound,
  type LongDouble,
} from '../../lib/keyspace/numbers.ts';
import { startRedis, type OracleReply, type RedisOracle } from '../support/redis-oracle.ts';

// ---------------------------------------------------------------------------------------------
// Independent exact models
// ---------------------------------------------------------------------------------------------

/** |x| = significand * 2^exponent, read from the IEEE bits. */
function exactParts(x: number): { significand: bigint; exponent: number } {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const bits = view.getBigUint64(0);
  const biased = Number((bits >> 52n) & 0x7ffn);
  const fraction = bits & ((1n << 52n) - 1n);
  return biased === 0
    ? { significand: fraction, exponent: -1074 }
    : { significand: fraction | (1n << 52n), exponent: biased - 1075 };
}

/** C's %.17g computed from the exact binary value with BigInt, ties to even. */
function referenceG17(x: number): string {
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  const sign = x < 0 || Object.is(x, -0) ? '-' : '';
  if (x === 0) return sign + '0';
  const { significand, exponent } = exactParts(x);
  let n: bigint;
  let e10: number;
  if (exponent >= 0) { n = significand << BigInt(exponent); e10 = 0; } else { n = significand * 5n ** BigInt(-exponent); e10 = exponent; }
  let text = n.toString();
  if (text.length > 17) {
    const drop = text.length - 17;
    const scale = 10n ** BigInt(drop);
    let q = n / scale;
    const r = n % scale;
    const half = scale / 2n;
    if (r > half || (r === half && q % 2n === 1n)) q += 1n;
    e10 += drop;
    text = q.toString();
    if (text.length > 17) { text = text.slice(0, 17); e10 += 1; }
  }
  const x10 = text.length - 1 + e10; // exponent of the leading digit
  const digits = text.padEnd(17, '0');
  const stripZeros = (s: string) => s.replace(/0+$/, '');
  if (x10 < -4 || x10 >= 17) {
    const fraction = stripZeros(digits.slice(1));
    const abs = Math.abs(x10);
    return `${sign}${digits[0]}${fraction ? '.' + fraction : ''}e${x10 < 0 ? '-' : '+'}${abs < 10 ? '0' : ''}${abs}`;
  }
  const integer = x10 >= 0 ? digits.slice(0, x10 + 1) : '0';
  const fraction = stripZeros(x10 >= 0 ? digits.slice(x10 + 1) : '0'.repeat(-x10 - 1) + digits);
  return `${sign}${integer}${fraction ? '.' + fraction : ''}`;
}

/** Exact C99 hex float text of a double, e.g. 0x1.8p+1. */
function hexFloat(x: number): string {
  const sign = x < 0 || Object.is(x, -0) ? '-' : '';
  const { significand, exponent } = exactParts(x);
  return `${sign}0x${significand.toString(16)}p${exponent}`;
}

/**
 * The exact decimal text of the midpoint between finite x and the next double away from zero,
 * nudged a hair below or above when `nudge` is nonzero: the hardest inputs for a decimal parser.
 */
function midpointText(x: number, nudge: -1 | 0 | 1): string {
  const { significand, exponent } = exactParts(x);
  // (2*significand + 1) * 2^(exponent - 1), written as digits * 10^-scale.
  const twice = 2n * significand + 1n;
  const e = exponent - 1;
  const digits = e >= 0 ? (twice << BigInt(e)).toString() : (twice * 5n ** BigInt(-e)).toString();
  const scale = e >= 0 ? 0 : -e;
  const padded = digits.padStart(scale + 1, '0');
  let text = scale === 0 ? padded : `${padded.slice(0, -scale)}.${padded.slice(-scale)}`;
  if (nudge === 1) text += scale === 0 ? '.000001' : '000001';
  if (nudge === -1) text = scale === 0 ? `${(BigInt(digits) - 1n).toString()}.999999` : text.slice(0, -1) + '4999999';
  return (x < 0 ? '-' : '') + text;
}

/** The rule string2ll implements, written the obvious way. */
function modelInt64(text: string): bigint | null {
  if (!/^(0|-?[1-9][0-9]*)$/.test(text) || text.length >= 21) return null;
  const value = BigInt(text);
  return value >= -(2n ** 63n) && value < 2n ** 63n ? value : null;
}

// ---------------------------------------------------------------------------------------------
// Integers
// ---------------------------------------------------------------------------------------------

test('parseInteger accepts exactly string2ll texts', () => {
  const valid: Array<[string, number]> = [
    ['0', 0], ['1', 1], ['-1', -1], ['10', 10], ['123456789012345', 123456789012345],
    ['9007199254740993', 9007199254740992], ['9223372036854775807', 9223372036854775807], ['-9223372036854775808', -9223372036854775808],
  ];
  for (const [text, value] of valid) assert.is(parseInteger(text), value, text);
  const invalid = ['', '-', '+1', '01', '00', '-0', '-01', ' 1', '1 ', '1.0', '1e3', '0x10', '9223372036854775808',
    '-9223372036854775809', '99999999999999999999', '١', '1\0', '+', '--1', 'abc', '18446744073709551616'];
  for (const text of invalid) assert.is(parseInteger(text), null, JSON.stringify(text));
  assert.is(parseInt64('9223372036854775807'), 9223372036854775807n);
  assert.is(parseInt64('-9223372036854775808'), -9223372036854775808n);
  assert.is(parseInt64('9223372036854775808'), null);
});

test('parseInteger/parseInt64 agree with the string2ll model on generated texts', () => {
  const integerText = fc.oneof(
    fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map(String),
    fc.bigInt({ min: -(2n ** 64n), max: 2n ** 64n }).map(String),
    fc.string({ unit: fc.constantFrom('0', '1', '9', '-', '+', ' ', '.', 'e'), maxLength: 22 }),
  );
  fc.assert(fc.property(integerText, (text) => {
    const expected = modelInt64(text);
    assert.is(parseInt64(text), expected, text);
    assert.is(parseInteger(text), expected === null ? null : Number(expected), text);
  }), { numRuns: 3000 });
});

// ---------------------------------------------------------------------------------------------
// Doubles
// ---------------------------------------------------------------------------------------------

test('parseDouble follows string2d', () => {
  const cases: Array<[string, number | null]> = [
    ['0', 0], ['-0', -0], ['1', 1], ['+1', 1], ['1.', 1], ['.5', 0.5], ['-.5', -0.5], ['1e3', 1000], ['1E+3', 1000],
    ['00012', 12], ['1.5e-3', 0.0015], ['0x10', 16], ['0x1.8p1', 3], ['0X1P-2', 0.25], ['-0x.8', -0.5], ['0x8.', 8],
    ['inf', Infinity], ['+INF', Infinity], ['-infinity', -Infinity], ['Infinity', Infinity],
    ['0e-400', 0], ['0x0p99999', 0], ['4.9406564584124654e-324', 5e-324], ['2.4703282292062328e-324', 5e-324],
    ['1.7976931348623157e308', 1.7976931348623157e308], ['0x1p-1074', 5e-324], ['0x1.0000001p-1075', 5e-324],
    ['', null], [' 1', null], ['\t1', null], ['1 ', null], ['.', null], ['e1', null], ['1e', null], ['1e+', null],
    ['0x', null], ['0x.', null], ['0x1p', null], ['0b1', null], ['0o7', null], ['1_000', null], ['nan', null],
    ['NaN', null], ['-nan', null], ['nan(123)', null], ['infinit', null], ['infinityy', null], ['1e400', null],
    ['-1e400', null], ['1e-400', null], ['-1e-400', null], ['2.4703282292062327e-324', null], ['0x1p-1075', null],
    ['0x1p1024', null], ['1\0', null], ['١', null], ['1,5', null],
  ];
  for (const [text, expected] of cases) {
    const got = parseDouble(text);
    assert.ok(Object.is(got, expected), `${JSON.stringify(text)}: got ${got}, expected ${expected}`);
  }
});

test('parseDouble reads what formatDouble, String and hex texts write', () => {
  fc.assert(fc.property(fc.double({ noNaN: true }), (x) => {
    assert.ok(Object.is(parseDouble(formatDouble(x)), x), `${x}`);
    if (x === 0 || Number.isFinite(x)) {
      assert.ok(Object.is(parseDouble(hexFloat(x)), x), hexFloat(x));
      // String(-0) is "0", so only nonzero values round-trip through it.
      if (x !== 0) assert.ok(Object.is(parseDouble(String(x)), x), String(x));
    }
  }), { numRuns: 3000 });
});

test('parseDouble rounds decimal midpoints between doubles to even', () => {
  const finite = fc.double({ noNaN: true, noDefaultInfinity: true, min: -1.7e308, max: 1.7e308 }).filter((x) => x !== 0);
  fc.assert(fc.property(finite, (x) => {
    const { significand, exponent } = exactParts(x);
    // The next double away from zero is one unit in the last place further (exact addition).
    const away = x + Math.sign(x) * 2 ** exponent;
    assert.ok(Object.is(parseDouble(midpointText(x, -1)), x), midpointText(x, -1));
    assert.ok(Object.is(parseDouble(midpointText(x, 1)), away), midpointText(x, 1));
    assert.ok(Object.is(parseDouble(midpointText(x, 0)), significand % 2n === 0n ? x : away), midpointText(x, 0));
  }), { numRuns: 2000 });
});

test('parseDoubleLoose follows zslParseRange strtod', () => {
  const cases: Array<[string, number | null]> = [
    ['', 0], [' 1', 1], ['\t\n\v\f\r-2', -2], ['1e400', Infinity], ['-1e400', -Infinity], ['1e-400', 0],
    ['-1e-400', -0], ['0x10', 16], ['inf', Infinity], ['-inf', -Infinity], ['1\0garbage', 1], ['\0', 0],
    [' ', null], ['1 ', null], ['nan', null], ['-', null], ['.', null], ['(1', null], ['0b1', null], ['abc', null],
  ];
  for (const [text, expected] of cases) {
    const got = parseDoubleLoose(text);
    assert.ok(Object.is(got, expected), `${JSON.stringify(text)}: got ${got}, expected ${expected}`);
  }
  assert.equal(parseScoreBound('(1.5'), { value: 1.5, exclusive: true });
  assert.equal(parseScoreBound('('), { value: 0, exclusive: true });
  assert.equal(parseScoreBound('-inf'), { value: -Infinity, exclusive: false });
  assert.is(parseScoreBound('((1'), null);
});

test('formatDouble prints %.17g', () => {
  const cases: Array<[number, string]> = [
    [0, '0'], [-0, '-0'], [1, '1'], [-1, '-1'], [0.1, '0.10000000000000001'], [1.5, '1.5'], [-2.25, '-2.25'],
    [1e-5, '1.0000000000000001e-05'], [1e-4, '0.0001'], [1.5e-6, '1.5e-06'], [-3e-5, '-3.0000000000000001e-05'],
    [9.9999999999999991e-5, '9.9999999999999991e-05'], [1e-7, '9.9999999999999995e-08'], [1e100, '1e+100'], [0.00012, '0.00012'],
    [1e16, '10000000000000000'], [1e17, '1e+17'], [1e21, '1e+21'], [123456789012345680, '1.2345678901234568e+17'],
    [2 ** 60, '1.152921504606847e+18'], [5e-324, '4.9406564584124654e-324'], [1.7976931348623157e308, '1.7976931348623157e+308'],
    [Infinity, 'inf'], [-Infinity, '-inf'], [1 + 2 ** -17, '1.0000076293945312'], [3 + 2 ** -22, '3.0000002384185791'],
    [9007199254740993, '9007199254740992'], [0.30000000000000004, '0.30000000000000004'],
  ];
  for (const [x, expected] of cases) assert.is(formatDouble(x), expected, `${x}`);
});

test('formatDouble equals the exact BigInt %.17g model', () => {
  fc.assert(fc.property(fc.double({ noNaN: true }), (x) => {
    assert.is(formatDouble(x), referenceG17(x), `${x}`);
  }), { numRuns: 5000 });
  // Where JS and %g disagree on fixed versus exponent layout, and the 1e17 switch.
  const layoutEdges = fc.oneof(fc.double({ min: 1e-7, max: 1e-3, noNaN: true }), fc.double({ min: 1e15, max: 1e19, noNaN: true }),
    fc.integer({ min: -40, max: 40 }).map((p) => 10 ** p), fc.integer({ min: -40, max: 40 }).map((p) => 10 ** p * (1 - Number.EPSILON)));
  fc.assert(fc.property(layoutEdges, (x) => {
    assert.is(formatDouble(x), referenceG17(x), `${x}`);
    assert.is(formatDouble(-x), referenceG17(-x), `${-x}`);
  }), { numRuns: 3000 });
  // Doubles with few fraction bits, the only ones whose exact expansion can tie at 17 digits.
  const fewFractionBits = fc.tuple(fc.integer({ min: -(2 ** 52), max: 2 ** 52 }), fc.integer({ min: 0, max: 30 }))
    .map(([k, bits]) => k / 2 ** bits);
  fc.assert(fc.property(fewFractionBits, (x) => {
    assert.is(formatDouble(x), referenceG17(x), `${x}`);
  }), { numRuns: 5000 });
  // Exact ties: m * 2^-j with m odd has the digits of m * 5^j, so m in [10^17/5^j, 10^18/5^j)
  // gives exactly 18 significant digits ending in 5. Half must round up, half stay.
  let roundedUp = 0;
  let kept = 0;
  for (let j = 3; j <= 25; j++) {
    const low = Math.ceil(1e17 / 5 ** j);
    const high = Math.min(Math.floor(1e18 / 5 ** j), 2 ** 53);
    for (let i = 0; i < 200; i++) {
      const even = low + Math.floor(((high - low) * i) / 200);
      const m = even % 2 === 0 ? even + 1 : even;
      if (m >= high) continue;
      const x = m / 2 ** j;
      const expected = referenceG17(x);
      assert.is(formatDouble(x), expected, `${m}/2^${j}`);
      assert.is(formatDouble(-x), '-' + expected, `-${m}/2^${j}`);
      if (expected === x.toPrecision(17).replace(/\.?0+$/, '')) roundedUp++; else kept++;
    }
  }
  assert.ok(roundedUp > 500 && kept > 500, `${roundedUp} ties rounded up, ${kept} kept`);
});

// ---------------------------------------------------------------------------------------------
// Long doubles
// ---------------------------------------------------------------------------------------------

function incrByFloat(start: string, increment: string): string | null {
  const a = parseLongDouble(start);
  const b = parseLongDouble(increment);
  if (a === null || b === null) return null;
  const sum = addLongDouble(a, b);
  return isFiniteLongDouble(sum) ? formatLongDoubleHuman(sum) : null;
}

test('long double INCRBYFLOAT examples', () => {
  assert.is(incrByFloat('10.5', '0.1'), '10.6');
  assert.is(incrByFloat('10.5', '5.0e3'), '5010.5');
  assert.is(incrByFloat('3.0e3', '200'), '3200');
  assert.is(incrByFloat('0', '-0'), '0');
  assert.is(incrByFloat('-0', '-0'), '0');
  assert.is(incrByFloat('0', '-1e-20'), '0');
  assert.is(incrByFloat('0', '-1e-17'), '-0.00000000000000001');
  assert.is(incrByFloat('0', '0x1p-18'), '0.00000381469726562'); // tie, kept even (checked on Redis 7.0.15)
  assert.is(incrByFloat('0', '0x3p-18'), '0.00001144409179688'); // tie, rounded up to even
  assert.is(incrByFloat('1e300', '0'), '1000000000000000000008997324079559193870523944273290747938260082321265646596180935755849152083750497190350372508614274835903592556184672983913096260520748646287327135641843653294084255107606016789726652932370030551382947620994540294772781889620606179267611627097410650567187386105690089424915104006144');
  assert.is(incrByFloat('1e-300', '0'), '0');
  assert.is(incrByFloat('5', '-7.25'), '-2.25');
  // Decimal ties to even at 64 bits, and the subnormal edge (both checked on Redis 7.0.15).
  assert.is(incrByFloat('0', '18446744073709551617'), '18446744073709551616');
  assert.is(incrByFloat('0', '18446744073709551619'), '18446744073709551620');
  assert.is(incrByFloat('0', '-18446744073709551617'), '-18446744073709551616');
  assert.is(incrByFloat('0', '1e-4951'), null);
  assert.is(incrByFloat('0', '3e-4951'), '0');
  assert.is(incrByFloat('12345678901.123456789012345678', '-12345678901'), '0.12345678918063641');
  assert.is(incrByFloat('inf', '1'), null);
  assert.is(incrByFloat('1', 'inf'), null);
  assert.is(incrByFloat('1.18973149535723176502e4932', '1.18973149535723176502e4932'), null);
  const inf = parseLongDouble('inf')!;
  const minusInf = parseLongDouble('-inf')!;
  assert.is(addLongDouble(inf, minusInf).kind, 'nan');
  assert.not.ok(isFiniteLongDouble(addLongDouble(inf, minusInf)));
});

test('parseLongDouble follows string2ld', () => {
  for (const text of ['', ' 1', '1 ', 'nan', '1e4933', '-1e4933', '1e-4952', '0x1p16384', '0x1p-16446', '1\0', 'abc', '0'.repeat(5119) + '1']) {
    assert.is(parseLongDouble(text), null, JSON.stringify(text.slice(0, 20)));
  }
  for (const text of ['0', '-0', '1e4932', '1e-4950', '0x1p-16445', '0x1p16383', 'INFINITY', '0e-99999', '0'.repeat(5118) + '1']) {
    assert.ok(parseLongDouble(text) !== null, JSON.stringify(text.slice(0, 20)));
  }
  // 0.1 has a 64-bit significand 0xCCCCCCCCCCCCCCCD * 2^-67.
  assert.equal(parseLongDouble('0.1'), { kind: 'finite', negative: false, significand: 0xcccccccccccccccdn, exponent: -67 });
  assert.is(longDoubleToNumber(parseLongDouble('0.1')!), 0.1);
});

test('long double properties: exact integers, hex round trips, commutative sums', () => {
  fc.assert(fc.property(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), (n) => {
    // Every int64 fits a 64-bit significand, and %.17Lf prints it in full.
    assert.is(formatLongDoubleHuman(longDoubleFromInteger(n)), n.toString());
    assert.is(formatLongDoubleHuman(parseLongDouble(n.toString())!), n.toString());
  }), { numRuns: 1000 });
  fc.assert(fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (x) => {
    const parsed = parseLongDouble(hexFloat(x));
    // Doubles whose value underflows nothing are exact in extended precision.
    assert.ok(parsed !== null && Object.is(longDoubleToNumber(parsed), x), hexFloat(x));
  }), { numRuns: 1000 });
  const decimal = fc.tuple(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.integer({ min: 1, max: 20 }))
    .map(([x, digits]) => x.toExponential(digits - 1));
  fc.assert(fc.property(decimal, decimal, (a, b) => {
    const x = parseLongDouble(a)!;
    const y = parseLongDouble(b)!;
    assert.equal(addLongDouble(x, y), addLongDouble(y, x));
  }), { numRuns: 1000 });
});

// ---------------------------------------------------------------------------------------------
// Differential tests against redis-server
// ---------------------------------------------------------------------------------------------

const oracle: RedisOracle | null = await startRedis();
if (oracle === null) console.log('SKIP numbers oracle tests: redis-server not installed');

const seed = Date.now() ^ (Math.random() * 0x7fffffff);

/** NUMBERS_ORACLE_SCALE=20 multiplies every oracle sample count, for a longer soak. */
const scale = Math.max(1, Number(process.env.NUMBERS_ORACLE_SCALE ?? 1) || 1);

function sample<T>(arbitrary: fc.Arbitrary<T>, count: number, offset: number): T[] {
  return fc.sample(arbitrary, { numRuns: Math.round(count * scale), seed: seed + offset });
}

function isError(reply: OracleReply): reply is { error: string } {
  return typeof reply === 'object' && reply !== null && !Array.isArray(reply) && !(reply instanceof Uint8Array);
}

/** Double texts in the shapes clients send, plus near-misses. */
const doubleText = fc.oneof(
  fc.double().map(String),
  fc.double().map(formatDouble),
  fc.tuple(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.integer({ min: 0, max: 25 })).map(([x, d]) => x.toExponential(d)),
  fc.tuple(fc.double({ min: -1e21, max: 1e21, noNaN: true }), fc.integer({ min: 0, max: 30 })).map(([x, d]) => x.toFixed(d)),
  fc.double({ noNaN: true }).map(hexFloat),
  fc.tuple(fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e300, max: 1e300 }), fc.constantFrom(-1 as const, 0 as const, 1 as const))
    .map(([x, nudge]) => midpointText(x, nudge)),
  fc.integer({ min: -(2 ** 40), max: 2 ** 40 }).map((k) => String(k / 2 ** 20)),
  fc.string({ unit: fc.constantFrom('0', '1', '5', '9', '.', 'e', 'E', '+', '-', 'x', 'p', 'a', 'i', 'n', 'f', 'N', ' ', '\t', '\0', '('), maxLength: 10 }),
  fc.constantFrom('inf', '-inf', '+Infinity', 'nan', '1e400', '-1e400', '1e-400', '-1e-400', '0e-400', '', ' 1', '1 ', '0x', '1e', '.', '-0', '2.4703282292062328e-324', '2.4703282292062327e-324'),
);

if (oracle !== null) {
  const redis = oracle;

  test('oracle: ZADD accepts what parseDouble accepts; ZSCORE prints formatDouble of it', async () => {
    const texts = sample(doubleText, 5000, 1);
    for (const [encoding, entries] of [['listpack', '128'], ['skiplist', '0']] as const) {
      await redis.call('FLUSHALL');
      await redis.call('CONFIG', 'SET', 'zset-max-listpack-entries', entries);
      const replies = await Promise.all(texts.flatMap((text, i) => [redis.call('ZADD', `z${i}`, text, 'm'), redis.call('ZSCORE', `z${i}`, 'm')]));
      texts.forEach((text, i) => {
        const added = replies[2 * i];
        const score = replies[2 * i + 1];
        const parsed = parseDouble(text);
        const where = `${encoding} ${JSON.stringify(text)} (seed ${seed})`;
        assert.is(isError(added), parsed === null, `${where}: ZADD replied ${JSON.stringify(added)}`);
        if (parsed === null) return;
        // A listpack stores a score that is an integer as an integer, and -0.0 == 0 (t_zset.c
        // zzlInsertAt -> double2ll), so a listpack zset hands back "0" for a score of -0.
        const expected = encoding === 'listpack' && Object.is(parsed, -0) ? '0' : formatDouble(parsed);
        assert.is(score, expected, where);
      });
    }
    await redis.call('CONFIG', 'SET', 'zset-max-listpack-entries', '128');
  });

  test('oracle: ZCOUNT / ZRANGEBYSCORE bounds match parseScoreBound', async () => {
    await redis.call('FLUSHALL');
    const scores = [-Infinity, -1e300, -16, -1, -0.5, 0, 5e-324, 0.5, 1, 1.5, 3, 16, 1e300, Infinity];
    await redis.call('ZADD', 'zr', ...scores.flatMap((score, i) => [formatDouble(score), `m${i}`]));
    const bounds = [...sample(doubleText, 3000, 2), ...sample(doubleText, 500, 3).map((text) => '(' + text), '', '(', ' ', '\0', '(\0x'];
    const replies = await Promise.all(bounds.flatMap((bound) => [
      redis.call('ZCOUNT', 'zr', bound, '+inf'),
      redis.call('ZCOUNT', 'zr', '-inf', bound),
      redis.call('ZRANGEBYSCORE', 'zr', bound, bound),
    ]));
    bounds.forEach((bound, i) => {
      const parsed = parseScoreBound(bound);
      const where = `${JSON.stringify(bound)} (seed ${seed})`;
      const [above, below, range] = replies.slice(3 * i, 3 * i + 3);
      assert.is(isError(above), parsed === null, `${where}: ZCOUNT replied ${JSON.stringify(above)}`);
      assert.is(isError(range), parsed === null, `${where}: ZRANGEBYSCORE replied ${JSON.stringify(range)}`);
      if (parsed === null) return;
      const { value, exclusive } = parsed;
      assert.is(above, scores.filter((s) => (exclusive ? s > value : s >= value)).length, `${where} as min`);
      assert.is(below, scores.filter((s) => (exclusive ? s < value : s <= value)).length, `${where} as max`);
    });
  });

  /** Decimal texts of up to 20 digits with exponents small, large and beyond double range. */
  const incrementText = fc.oneof(
    { weight: 6, arbitrary: fc.tuple(
      fc.constantFrom('', '', '-', '+'),
      fc.string({ unit: fc.constantFrom('0', '1', '2', '3', '4', '5', '6', '7', '8', '9'), minLength: 1, maxLength: 20 }),
      fc.nat(),
      fc.oneof(fc.constant(''), fc.integer({ min: -30, max: 30 }).map((e) => `e${e}`), fc.integer({ min: -330, max: 330 }).map((e) => `E${e}`),
        fc.integer({ min: -4960, max: 4940 }).map((e) => `e${e}`)),
    ).map(([sign, digits, dot, exponent]) => {
      const at = dot % (digits.length + 2);
      const mantissa = at > digits.length ? digits : digits.slice(0, at) + '.' + digits.slice(at);
      return sign + mantissa + exponent;
    }) },
    { weight: 1, arbitrary: fc.double({ noNaN: true }).map(hexFloat) },
    { weight: 1, arbitrary: fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }).map(String) },
    { weight: 1, arbitrary: fc.tuple(fc.integer({ min: 1, max: 2 ** 30 }), fc.integer({ min: 1, max: 70 })).map(([k, j]) => hexFloat(k / 2 ** j)) },
    { weight: 1, arbitrary: doubleText },
  );

  test('oracle: INCRBYFLOAT and HINCRBYFLOAT sequences match the long double emulation', async () => {
    await redis.call('FLUSHALL');
    const sequences = sample(fc.tuple(fc.option(incrementText, { nil: null }), fc.array(incrementText, { minLength: 1, maxLength: 8 })), 800, 4);
    const lengths = sequences.map(([, steps]) => steps.length);
    const calls: Array<Promise<OracleReply>> = [];
    sequences.forEach(([start, steps], i) => {
      if (start !== null) {
        calls.push(redis.call('SET', `f${i}`, start));
        calls.push(redis.call('HSET', `h${i}`, 'field', start));
      }
      for (const step of steps) {
        calls.push(redis.call('INCRBYFLOAT', `f${i}`, step));
        calls.push(redis.call('HINCRBYFLOAT', `h${i}`, 'field', step));
      }
    });
    const replies = await Promise.all(calls);
    let at = 0;
    sequences.forEach(([start, steps], i) => {
      if (start !== null) at += 2;
      let stored: string | null = start;
      for (let s = 0; s < lengths[i]; s++) {
        const step = steps[s];
        const where = `start ${JSON.stringify(start)}, step ${s} ${JSON.stringify(step)} (seed ${seed})`;
        const current: LongDouble | null = stored === null ? longDoubleFromInteger(0) : parseLongDouble(stored);
        const increment = parseLongDouble(step);
        let expected: OracleReply;
        if (current === null || increment === null) expected = { error: 'ERR value is not a valid float' };
        else {
          const sum = addLongDouble(current, increment);
          expected = isFiniteLongDouble(sum) ? formatLongDoubleHuman(sum) : { error: 'ERR increment would produce NaN or Infinity' };
        }
        // HINCRBYFLOAT (t_hash.c) vets the increment, refuses an infinite one outright, and only
        // then reads the stored value, with its own wording.
        const expectedHash: OracleReply = increment === null ? { error: 'ERR value is not a valid float' }
          : !isFiniteLongDouble(increment) ? { error: 'ERR value is NaN or Infinity' }
            : current === null ? { error: 'ERR hash value is not a float' }
              : expected;
        assert.equal(replies[at], expected, `INCRBYFLOAT ${where}`);
        assert.equal(replies[at + 1], expectedHash, `HINCRBYFLOAT ${where}`);
        if (typeof expected === 'string') stored = expected;
        at += 2;
      }
    });
  });

  test('oracle: INCRBYFLOAT cancellation exposes every bit of the long double parse', async () => {
    await redis.call('FLUSHALL');
    // x - trunc(x) is exact, and with an integer part of 1..19 digits the fraction's lowest
    // significand bits land well above the 17th decimal, so the reply shows how x was rounded.
    const texts = sample(fc.tuple(
      fc.string({ unit: fc.constantFrom('1', '2', '3', '4', '5', '6', '7', '8', '9'), minLength: 1, maxLength: 1 }),
      fc.string({ unit: fc.constantFrom('0', '1', '2', '3', '4', '5', '6', '7', '8', '9'), minLength: 0, maxLength: 18 }),
      fc.string({ unit: fc.constantFrom('0', '1', '2', '3', '4', '5', '6', '7', '8', '9'), minLength: 1, maxLength: 30 }),
      fc.constantFrom('', '-'),
    ), 2000, 6);
    const replies = await Promise.all(texts.flatMap(([lead, rest, fraction, sign], i) => [
      redis.call('SET', `c${i}`, `${sign}${lead}${rest}.${fraction}`),
      redis.call('INCRBYFLOAT', `c${i}`, `${sign === '-' ? '' : '-'}${lead}${rest}`),
    ]));
    texts.forEach(([lead, rest, fraction, sign], i) => {
      const start = `${sign}${lead}${rest}.${fraction}`;
      const step = `${sign === '-' ? '' : '-'}${lead}${rest}`;
      assert.is(replies[2 * i + 1], incrByFloat(start, step), `${start} + ${step} (seed ${seed})`);
    });
  });

  test('oracle: INCRBY and EXPIRE accept exactly parseInteger texts', async () => {
    await redis.call('FLUSHALL');
    const texts = [
      ...sample(fc.oneof(
        fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map(String),
        fc.bigInt({ min: -(2n ** 64n), max: 2n ** 64n }).map(String),
        fc.constantFrom('+1', '01', ' 1', '1 ', '-0', '00', '', '-', '1.0', '1e3', '0x1', '9223372036854775807',
          '9223372036854775808', '-9223372036854775808', '-9223372036854775809', '\u0661'),
        fc.string({ unit: fc.constantFrom('0', '1', '9', '-', '+', ' ', '.', '\0'), maxLength: 21 }),
      ), 3000, 5),
    ];
    const replies = await Promise.all(texts.flatMap((text, i) => [
      redis.call('SET', `i${i}`, '0'),
      redis.call('INCRBY', `i${i}`, text),
      redis.call('GET', `i${i}`),
      redis.call('EXPIRE', `i${i}`, text),
    ]));
    texts.forEach((text, i) => {
      const [, incr, value, expire] = replies.slice(4 * i, 4 * i + 4);
      const parsed = parseInt64(text);
      const where = `${JSON.stringify(text)} (seed ${seed})`;
      assert.is(isError(incr), parsed === null, `${where}: INCRBY replied ${JSON.stringify(incr)}`);
      if (parsed === null) {
        assert.equal(incr, { error: 'ERR value is not an integer or out of range' }, where);
        assert.equal(expire, { error: 'ERR value is not an integer or out of range' }, where);
      } else {
        assert.is(value, parsed.toString(), where);
        assert.is(incr, parseInteger(text), where);
        // Valid integers reach EXPIRE's own range check, which words its error differently.
        assert.ok(!isError(expire) || expire.error !== 'ERR value is not an integer or out of range', where);
      }
    });
  });

  test.after(async () => {
    await redis.stop();
  });
}

test.run();
