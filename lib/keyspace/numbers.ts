// Number parsing and formatting that matches Redis 7.0 on x86-64 Linux byte for byte: `string2ll`
// for integers, `string2d` (glibc strtod) for scores, the bare strtod of `zslParseRange` for score
// bounds, `%.17g` for score replies, and the 80-bit `long double` of INCRBYFLOAT / HINCRBYFLOAT
// (`string2ld`, x87 addition, `ld2string(LD_STR_HUMAN)`).
//
// Why hand-written: JS `Number()` accepts text strtod refuses (whitespace, '', `0b1`, `0o7`) and
// refuses text it accepts (`0x1.8p1`, `inf`), `toPrecision` rounds exact ties away from zero where
// glibc rounds them to even, and JS has no 64-bit-significand float at all. The paths that run per
// command (integers, decimal doubles, score formatting) are a single char-code scan plus the
// engine's own correctly rounded conversions; exact BigInt arithmetic is kept for hex floats and
// long doubles, which are rare or small.

// ---------------------------------------------------------------------------------------------
// Integers (util.c string2ll)
// ---------------------------------------------------------------------------------------------

const CODE_0 = 48;
const CODE_1 = 49;
const CODE_9 = 57;
const CODE_MINUS = 45;
const CODE_PLUS = 43;
const CODE_DOT = 46;

const INT64_MAX_DIGITS = '9223372036854775807';
const INT64_MIN_DIGITS = '9223372036854775808';

/** The number of digits (1..19) when string2ll accepts `text`, -1 when it refuses it. */
function int64DigitCount(text: string): number {
  const length = text.length;
  // string2ll: `slen >= LONG_STR_SIZE` (21) is refused outright.
  if (length === 0 || length >= 21) return -1;
  let i = 0;
  if (text.charCodeAt(0) === CODE_MINUS) {
    if (length === 1) return -1;
    i = 1;
  }
  const first = text.charCodeAt(i);
  if (first < CODE_1 || first > CODE_9) {
    // Only the whole string "0" may start with 0: "-0", "01", "00" are all refused.
    return length === 1 && first === CODE_0 ? 1 : -1;
  }
  for (let j = i + 1; j < length; j++) {
    const code = text.charCodeAt(j);
    if (code < CODE_0 || code > CODE_9) return -1;
  }
  const digits = length - i;
  if (digits > 19) return -1;
  if (digits === 19) {
    // Same length, so string order is numeric order.
    const digitText = i === 0 ? text : text.slice(1);
    if (digitText > (i === 0 ? INT64_MAX_DIGITS : INT64_MIN_DIGITS)) return -1;
  }
  return digits;
}

/**
 * Parses `text` by Redis's `string2ll` rules: optional '-', digits, no '+', no leading zeros, no
 * "-0", no spaces, within int64. Values beyond 2^53 come back rounded to the nearest double; use
 * `parseInt64` when every digit matters. Returns null when Redis would reply "not an integer".
 */
export function parseInteger(text: string): number | null {
  const digits = int64DigitCount(text);
  if (digits < 0) return null;
  if (digits <= 15) {
    // Below 10^15 < 2^53 every step is exact, so accumulate without Number()'s general parser.
    const negative = text.charCodeAt(0) === CODE_MINUS;
    let value = 0;
    for (let j = negative ? 1 : 0; j < text.length; j++) value = value * 10 + (text.charCodeAt(j) - CODE_0);
    return negative ? -value : value;
  }
  // Number() of a plain digit string is correctly rounded.
  return Number(text);
}

/** `parseInteger` with the exact value. */
export function parseInt64(text: string): bigint | null {
  return int64DigitCount(text) < 0 ? null : BigInt(text);
}

// ---------------------------------------------------------------------------------------------
// The strtod grammar (glibc, C locale)
// ---------------------------------------------------------------------------------------------

/** Not a complete strtod subject sequence (or trailing garbage). */
const SCAN_INVALID = 0;
/** Decimal text whose digits are all zero: the value is ±0 exactly, never an underflow. */
const SCAN_DECIMAL_ZERO = 1;
/** Decimal text with a nonzero digit: a result of 0 or ±inf means underflow or overflow. */
const SCAN_DECIMAL = 2;
/** `0x` hex float. */
const SCAN_HEX = 3;
/** `inf` or `infinity`, any case. */
const SCAN_INFINITY = 4;
/** `nan` or `nan(chars)`: strtod accepts it, every Redis caller then refuses the NaN. */
const SCAN_NAN = 5;

function isDigit(code: number): boolean {
  return code >= CODE_0 && code <= CODE_9;
}

function hexDigitValue(code: number): number {
  if (code >= CODE_0 && code <= CODE_9) return code - CODE_0;
  const lower = code | 0x20;
  if (lower >= 97 && lower <= 102) return lower - 87;
  return -1;
}

/** C `isspace` in the C locale. */
function isCSpace(code: number): boolean {
  return code === 32 || (code >= 9 && code <= 13);
}

/** Whether text[at..] equals `word` (lower case) ignoring ASCII case. */
function matchesWordIgnoringCase(text: string, at: number, word: string): boolean {
  if (text.length - at !== word.length) return false;
  for (let k = 0; k < word.length; k++) {
    if ((text.charCodeAt(at + k) | 0x20) !== word.charCodeAt(k)) return false;
  }
  return true;
}

/**
 * Classifies text[start..] as one whole strtod subject sequence, or SCAN_INVALID when strtod would
 * stop early (which every caller treats as trailing garbage). A single forward pass, no regex.
 */
function scanStrtod(text: string, start: number): number {
  const length = text.length;
  let i = start;
  if (i < length) {
    const sign = text.charCodeAt(i);
    if (sign === CODE_MINUS || sign === CODE_PLUS) i++;
  }
  if (i >= length) return SCAN_INVALID;
  const first = text.charCodeAt(i);

  if (first === CODE_0 && i + 1 < length && (text.charCodeAt(i + 1) | 0x20) === 120 /* x */) {
    // "0x" with no hex digit after it parses as "0" and leaves "x..." behind: invalid here.
    let j = i + 2;
    let hexDigits = 0;
    while (j < length && hexDigitValue(text.charCodeAt(j)) >= 0) { j++; hexDigits++; }
    if (j < length && text.charCodeAt(j) === CODE_DOT) {
      j++;
      while (j < length && hexDigitValue(text.charCodeAt(j)) >= 0) { j++; hexDigits++; }
    }
    if (hexDigits === 0) return SCAN_INVALID;
    if (j < length && (text.charCodeAt(j) | 0x20) === 112 /* p */) j = skipExponent(text, j + 1);
    return j === length ? SCAN_HEX : SCAN_INVALID;
  }

  const lowerFirst = first | 0x20;
  if (lowerFirst === 105 /* i */) {
    return matchesWordIgnoringCase(text, i, 'inf') || matchesWordIgnoringCase(text, i, 'infinity')
      ? SCAN_INFINITY
      : SCAN_INVALID;
  }
  if (lowerFirst === 110 /* n */) {
    if (matchesWordIgnoringCase(text, i, 'nan')) return SCAN_NAN;
    // "nan(n-char-sequence)": letters, digits and '_' between the parentheses.
    if (length - i >= 5 && matchesWordIgnoringCase(text.slice(i, i + 4), 0, 'nan(') && text.charCodeAt(length - 1) === 41) {
      for (let j = i + 4; j < length - 1; j++) {
        const code = text.charCodeAt(j);
        const lower = code | 0x20;
        if (!isDigit(code) && !(lower >= 97 && lower <= 122) && code !== 95) return SCAN_INVALID;
      }
      return SCAN_NAN;
    }
    return SCAN_INVALID;
  }

  let mantissaDigits = 0;
  let nonzero = false;
  let j = i;
  while (j < length) {
    const code = text.charCodeAt(j);
    if (!isDigit(code)) break;
    if (code !== CODE_0) nonzero = true;
    j++;
    mantissaDigits++;
  }
  if (j < length && text.charCodeAt(j) === CODE_DOT) {
    j++;
    while (j < length) {
      const code = text.charCodeAt(j);
      if (!isDigit(code)) break;
      if (code !== CODE_0) nonzero = true;
      j++;
      mantissaDigits++;
    }
  }
  if (mantissaDigits === 0) return SCAN_INVALID;
  if (j < length && (text.charCodeAt(j) | 0x20) === 101 /* e */) j = skipExponent(text, j + 1);
  if (j !== length) return SCAN_INVALID;
  return nonzero ? SCAN_DECIMAL : SCAN_DECIMAL_ZERO;
}

// The index after an exponent's optional sign and digits starting at `at` (just past the 'e' or
// 'p'), or -1 when there is no digit: "1e" and "0x1p+" are invalid.
function skipExponent(text: string, at: number): number {
  const length = text.length;
  if (at < length && (text.charCodeAt(at) === CODE_MINUS || text.charCodeAt(at) === CODE_PLUS)) at++;
  if (at >= length || !isDigit(text.charCodeAt(at))) return -1;
  while (at < length && isDigit(text.charCodeAt(at))) at++;
  return at;
}

/** Reads a decimal exponent's digits, saturating far outside any float's range. */
function readExponent(text: string, at: number): number {
  let negative = false;
  const sign = text.charCodeAt(at);
  if (sign === CODE_MINUS || sign === CODE_PLUS) {
    negative = sign === CODE_MINUS;
    at++;
  }
  let value = 0;
  for (; at < text.length; at++) {
    value = value * 10 + (text.charCodeAt(at) - CODE_0);
    if (value > 1e9) value = 1e9;
  }
  return negative ? -value : value;
}

/** An exact binary value: (-1)^negative * significand * 2^exponent. */
interface ExactBinary {
  negative: boolean;
  significand: bigint;
  exponent: number;
}

/** The exact value of a SCAN_HEX text (from `start`, sign included). */
function decodeHex(text: string, start: number): ExactBinary {
  let i = start;
  let negative = false;
  const sign = text.charCodeAt(i);
  if (sign === CODE_MINUS || sign === CODE_PLUS) {
    negative = sign === CODE_MINUS;
    i++;
  }
  i += 2; // "0x"
  let hex = '';
  let fractionDigits = 0;
  let seenDot = false;
  for (; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === CODE_DOT) { seenDot = true; continue; }
    if (hexDigitValue(code) < 0) break;
    hex += text[i];
    if (seenDot) fractionDigits++;
  }
  const binaryExponent = i < text.length ? readExponent(text, i + 1) : 0;
  return { negative, significand: BigInt('0x' + hex), exponent: binaryExponent - 4 * fractionDigits };
}

/** The digits and decimal exponent of a SCAN_DECIMAL(_ZERO) text: value = digits * 10^exponent. */
function decodeDecimal(text: string, start: number): { negative: boolean; digits: string; exponent: number } {
  let i = start;
  let negative = false;
  const sign = text.charCodeAt(i);
  if (sign === CODE_MINUS || sign === CODE_PLUS) {
    negative = sign === CODE_MINUS;
    i++;
  }
  let digits = '';
  let fractionDigits = 0;
  let seenDot = false;
  for (; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === CODE_DOT) { seenDot = true; continue; }
    if (!isDigit(code)) break;
    digits += text[i];
    if (seenDot) fractionDigits++;
  }
  const exponent = (i < text.length ? readExponent(text, i + 1) : 0) - fractionDigits;
  return { negative, digits, exponent };
}

// ---------------------------------------------------------------------------------------------
// Exact rounding to a binary format (round-half-even, subnormals, overflow)
// ---------------------------------------------------------------------------------------------

interface BinaryFormat {
  /** Significand bits, the leading one included. */
  precision: number;
  /** Exponent of the least significant bit of the smallest subnormal. */
  minLsbExponent: number;
  /** Finite values are below 2^maxExponent. */
  maxExponent: number;
}

const DOUBLE_FORMAT: BinaryFormat = { precision: 53, minLsbExponent: -1074, maxExponent: 1024 };
/** x87 80-bit extended: 64-bit significand, emin -16382, subnormals down to 2^-16445. */
const EXTENDED_FORMAT: BinaryFormat = { precision: 64, minLsbExponent: -16445, maxExponent: 16384 };

function bitLength(value: bigint): number {
  if (value === 0n) return 0;
  const hex = value.toString(16);
  return (hex.length - 1) * 4 + (32 - Math.clz32(parseInt(hex[0], 16)));
}

/** Rounded finite value, or null for overflow to infinity. A zero significand means zero. */
type Rounded = { significand: bigint; exponent: number } | null;

/**
 * Rounds significand * 2^exponent (plus a little more when `sticky`, meaning bits below were
 * dropped and were not all zero) to `format`, ties to even as the FPU and glibc do.
 */
function roundToFormat(significand: bigint, exponent: number, sticky: boolean, format: BinaryFormat): Rounded {
  if (significand === 0n) return { significand: 0n, exponent: 0 };
  const bits = bitLength(significand);
  const lsbExponent = Math.max(exponent + bits - format.precision, format.minLsbExponent);
  let result: bigint;
  let resultExponent: number;
  if (lsbExponent <= exponent) {
    // Already representable (callers only pass `sticky` with at least two spare bits).
    result = significand;
    resultExponent = exponent;
  } else if (lsbExponent - exponent > bits) {
    // Every bit is below half the smallest step: rounds to zero (and avoids building 2^shift for
    // texts like 0x1p-999999999).
    result = 0n;
    resultExponent = 0;
  } else {
    const shift = lsbExponent - exponent;
    const shiftBig = BigInt(shift);
    result = significand >> shiftBig;
    const remainder = significand - (result << shiftBig);
    const half = 1n << (shiftBig - 1n);
    if (remainder > half || (remainder === half && (sticky || (result & 1n) === 1n))) result += 1n;
    resultExponent = lsbExponent;
    if (result >> BigInt(format.precision) !== 0n) {
      // Rounding carried into a new bit: 2^precision, exactly representable one bit shorter.
      result >>= 1n;
      resultExponent += 1;
    }
  }
  if (result !== 0n && resultExponent + bitLength(result) > format.maxExponent) return null;
  return { significand: result, exponent: resultExponent };
}

/** Correctly rounds digits * 10^exponent (digits without sign) to `format`. */
function roundDecimalToFormat(digits: string, exponent: number, format: BinaryFormat): Rounded {
  let first = 0;
  while (first < digits.length && digits.charCodeAt(first) === CODE_0) first++;
  let last = digits.length;
  while (last > first && digits.charCodeAt(last - 1) === CODE_0) { last--; exponent++; }
  if (first === last) return { significand: 0n, exponent: 0 };
  const significantDigits = last - first;
  // The value lies in [10^(magnitude-1), 10^magnitude). Decide far-out cases without building
  // enormous numbers: 10^(maxExponent*log10(2)+1) overflows, below 10^(minLsb*log10(2)-1) is under
  // half the smallest subnormal.
  const magnitude = significantDigits + exponent;
  if (magnitude - 1 > Math.ceil(format.maxExponent * Math.LOG10E * Math.LN2) + 1) return null;
  if (magnitude < Math.floor(format.minLsbExponent * Math.LOG10E * Math.LN2) - 2) return { significand: 0n, exponent: 0 };
  const mantissa = BigInt(digits.slice(first, last));
  if (exponent >= 0) return roundToFormat(mantissa * 10n ** BigInt(exponent), 0, false, format);
  const denominator = 10n ** BigInt(-exponent);
  // Enough quotient bits for the significand plus guard and round bits; the rest is the sticky bit.
  const shift = Math.max(0, bitLength(denominator) - bitLength(mantissa) + format.precision + 2);
  const scaled = mantissa << BigInt(shift);
  const quotient = scaled / denominator;
  const sticky = quotient * denominator !== scaled;
  return roundToFormat(quotient, -shift, sticky, format);
}

function exactToDouble(negative: boolean, rounded: Rounded): number {
  if (rounded === null) return negative ? -Infinity : Infinity;
  // significand < 2^53 and 2^exponent is a double (exponent >= -1074), so the product is exact.
  const magnitude = Number(rounded.significand) * 2 ** rounded.exponent;
  return negative ? -magnitude : magnitude;
}

// ---------------------------------------------------------------------------------------------
// Doubles (util.c string2d, t_zset.c zslParseRange)
// ---------------------------------------------------------------------------------------------

/**
 * Parses `text` as Redis's `string2d` does (ZADD scores, ZINCRBY, WEIGHTS, ...): the whole text
 * must be what glibc strtod reads — decimal with optional exponent, `0x` hex floats, `inf` /
 * `infinity` in any case, with an optional sign — with no leading whitespace, no trailing bytes,
 * no NaN, no overflow to ±inf, no underflow of nonzero digits to zero. Null when refused.
 */
export function parseDouble(text: string): number | null {
  switch (scanStrtod(text, 0)) {
    case SCAN_DECIMAL: {
      // The scan guarantees JS StrDecimalLiteral syntax, where Number() is correctly rounded.
      const value = Number(text);
      return value === 0 || value === Infinity || value === -Infinity ? null : value;
    }
    case SCAN_DECIMAL_ZERO:
      return Number(text);
    case SCAN_HEX: {
      const exact = decodeHex(text, 0);
      const rounded = roundToFormat(exact.significand, exact.exponent, false, DOUBLE_FORMAT);
      if (rounded === null) return null;
      if (rounded.significand === 0n && exact.significand !== 0n) return null;
      return exactToDouble(exact.negative, rounded);
    }
    case SCAN_INFINITY:
      return text.charCodeAt(0) === CODE_MINUS ? -Infinity : Infinity;
    default:
      return null;
  }
}

/**
 * Parses a score range bound as `zslParseRange` does (ZRANGEBYSCORE, ZCOUNT, ZREMRANGEBYSCORE,
 * ZRANGE BYSCORE, ...) after the caller has removed a leading '(': plain `strtod` followed only by
 * `eptr[0] != '\0' || isnan`. So, unlike `parseDouble`, it accepts leading whitespace, overflow
 * (`1e400` is inf), underflow (`1e-400` is 0), the empty string (strtod converts nothing and
 * stops at the terminating NUL: 0), and anything after a NUL byte (C never sees it).
 * Whitespace alone is refused: with no conversion strtod points back at the first space.
 */
export function parseDoubleLoose(text: string): number | null {
  const nul = text.indexOf('\0');
  if (nul >= 0) text = text.slice(0, nul);
  if (text.length === 0) return 0;
  let start = 0;
  while (start < text.length && isCSpace(text.charCodeAt(start))) start++;
  const kind = scanStrtod(text, start);
  switch (kind) {
    case SCAN_DECIMAL:
    case SCAN_DECIMAL_ZERO:
      return Number(start === 0 ? text : text.slice(start));
    case SCAN_HEX: {
      const exact = decodeHex(text, start);
      return exactToDouble(exact.negative, roundToFormat(exact.significand, exact.exponent, false, DOUBLE_FORMAT));
    }
    case SCAN_INFINITY:
      return text.charCodeAt(start) === CODE_MINUS ? -Infinity : Infinity;
    default:
      return null;
  }
}

/** A score range bound: `(` makes it exclusive. Null when Redis replies "min or max is not a float". */
export function parseScoreBound(text: string): { value: number; exclusive: boolean } | null {
  const exclusive = text.charCodeAt(0) === 40; /* ( */
  const value = parseDoubleLoose(exclusive ? text.slice(1) : text);
  return value === null ? null : { value, exclusive };
}

// ---------------------------------------------------------------------------------------------
// Double replies (networking.c addReplyDouble, RESP2: "%.17g")
// ---------------------------------------------------------------------------------------------

/** 2^25: a double with at most 25 fraction bits is the only kind that can tie at 17 digits. */
const TIE_CANDIDATE_SCALE = 33554432;

/**
 * Formats a double as Redis 7.0 replies with it in RESP2: `inf`, `-inf`, otherwise C's `%.17g`
 * (17 significant digits of the exact binary value, ties to even, trailing zeros dropped,
 * exponent form below 1e-4 and from 1e17 on, `-0` for negative zero).
 */
export function formatDouble(x: number): string {
  // Safe integers have at most 16 digits, which %.17g prints in full without an exponent.
  if (Number.isSafeInteger(x)) return x === 0 && 1 / x < 0 ? '-0' : String(x);
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : x < 0 ? '-inf' : 'nan';
  const negative = x < 0;
  const magnitude = negative ? -x : x;

  // A tie at the 17th digit needs an exact expansion of exactly 18 significant digits: with k
  // fraction bits that expansion has the digits of odd*5^k, so k <= 25, and integers never tie.
  // Only for those few doubles ask for the exact digits and round them ourselves.
  if (!Number.isInteger(magnitude) && Number.isInteger(magnitude * TIE_CANDIDATE_SCALE)) {
    // Find k and the odd significand; skip the exact look when odd*5^k is clearly not 18 digits
    // long (0.5, 2.25, 1234.125 and other common scores stop here).
    let oddSignificand = magnitude * 2;
    let fractionBits = 1;
    while (!Number.isInteger(oddSignificand)) { oddSignificand *= 2; fractionBits++; }
    const approximateDigits = oddSignificand * 5 ** fractionBits;
    if (approximateDigits > 0.99e17 && approximateDigits < 1.01e18) {
      const tie = roundExactTie(magnitude);
      if (tie !== null) return (negative ? '-' : '') + layoutG17(tie.digits, tie.exponent);
    }
  }

  // toPrecision rounds the exact binary value correctly, breaking ties upwards (excluded above),
  // and its layout is %g's apart from trailing zeros, 1-digit exponents, and 1e-6 <= x < 1e-4,
  // which JS still writes in fixed form.
  const text = magnitude.toPrecision(17);
  const sign = negative ? '-' : '';
  const e = text.indexOf('e');
  if (e < 0) {
    if (text.startsWith('0.0000')) {
      // "0.0000ddd..." or "0.00000ddd...": exponent -5 or -6, which %g writes as d.ddde-05.
      const exponent = text.charCodeAt(6) === CODE_0 ? -6 : -5;
      return sign + layoutG17(text.slice(-exponent + 1), exponent);
    }
    return sign + stripFractionZeros(text);
  }
  const exponentDigits = text.length - e - 2;
  return sign + stripFractionZeros(text.slice(0, e)) + text.slice(e, e + 2) + (exponentDigits === 1 ? '0' : '') + text.slice(e + 2);
}

/** Drops trailing zeros after a '.', and the '.' itself if nothing is left after it. */
function stripFractionZeros(text: string): string {
  if (text.indexOf('.') < 0) return text;
  let end = text.length;
  while (text.charCodeAt(end - 1) === CODE_0) end--;
  if (text.charCodeAt(end - 1) === CODE_DOT) end--;
  return end === text.length ? text : text.slice(0, end);
}

/**
 * For 0 < x < 2^53 with at most 25 fraction bits: when its exact expansion is a tie at 17 digits,
 * the digits rounded half to even and the decimal exponent; otherwise null.
 */
function roundExactTie(x: number): { digits: string; exponent: number } | null {
  // Exact: x * 10^25 is an integer for these x, so toFixed(25) has nothing to round.
  const fixed = x.toFixed(25);
  const dot = fixed.indexOf('.');
  const all = fixed.slice(0, dot) + fixed.slice(dot + 1);
  let first = 0;
  while (all.charCodeAt(first) === CODE_0) first++;
  let last = all.length;
  while (all.charCodeAt(last - 1) === CODE_0) last--;
  if (last - first !== 18 || all.charCodeAt(last - 1) !== 53 /* 5 */) return null;
  const exponent = dot - first - 1;
  const kept = all.slice(first, first + 17);
  if ((kept.charCodeAt(16) - CODE_0) % 2 === 0) return { digits: kept, exponent };
  // Odd last digit: round up, carrying through nines.
  const up = (BigInt(kept) + 1n).toString();
  return up.length > 17 ? { digits: up.slice(0, 17), exponent: exponent + 1 } : { digits: up, exponent };
}

/** Lays out 17 significant digits d.ddd * 10^exponent the way %.17g does. */
function layoutG17(digits: string, exponent: number): string {
  let end = digits.length;
  while (end > 1 && digits.charCodeAt(end - 1) === CODE_0) end--;
  const significant = end === digits.length ? digits : digits.slice(0, end);
  if (exponent < -4 || exponent >= 17) {
    const mantissa = significant.length === 1 ? significant : significant[0] + '.' + significant.slice(1);
    const absExponent = exponent < 0 ? -exponent : exponent;
    return mantissa + (exponent < 0 ? 'e-' : 'e+') + (absExponent < 10 ? '0' : '') + absExponent;
  }
  if (exponent < 0) return '0.' + '0'.repeat(-exponent - 1) + significant;
  if (significant.length <= exponent + 1) return significant + '0'.repeat(exponent + 1 - significant.length);
  return significant.slice(0, exponent + 1) + '.' + significant.slice(exponent + 1);
}

// ---------------------------------------------------------------------------------------------
// Long doubles (INCRBYFLOAT, HINCRBYFLOAT)
// ---------------------------------------------------------------------------------------------

/**
 * An x87 80-bit extended value. Finite values are (-1)^negative * significand * 2^exponent with
 * the significand rounded to at most 64 bits (zero is significand 0n, signed).
 */
export type LongDouble =
  | { readonly kind: 'finite'; readonly negative: boolean; readonly significand: bigint; readonly exponent: number }
  | { readonly kind: 'infinity'; readonly negative: boolean }
  | { readonly kind: 'nan' };

/** util.c MAX_LONG_DOUBLE_CHARS: string2ld refuses texts this long or longer. */
const MAX_LONG_DOUBLE_CHARS = 5 * 1024;

const LONG_DOUBLE_NAN: LongDouble = { kind: 'nan' };

function finiteLongDouble(negative: boolean, rounded: Rounded): LongDouble {
  if (rounded === null) return { kind: 'infinity', negative };
  return { kind: 'finite', negative, significand: rounded.significand, exponent: rounded.exponent };
}

/**
 * Parses `text` as Redis's `string2ld` does (glibc strtold, correctly rounded to 64 bits): the
 * strtod grammar, nothing before or after, shorter than 5120 bytes, no NaN, no overflow, no
 * underflow of nonzero digits to zero. `inf` itself is accepted (the sum is then refused).
 */
export function parseLongDouble(text: string): LongDouble | null {
  if (text.length === 0 || text.length >= MAX_LONG_DOUBLE_CHARS) return null;
  const kind = scanStrtod(text, 0);
  switch (kind) {
    case SCAN_DECIMAL:
    case SCAN_DECIMAL_ZERO: {
      const decimal = decodeDecimal(text, 0);
      const rounded = roundDecimalToFormat(decimal.digits, decimal.exponent, EXTENDED_FORMAT);
      return checkRange(decimal.negative, rounded, kind === SCAN_DECIMAL);
    }
    case SCAN_HEX: {
      const exact = decodeHex(text, 0);
      const rounded = roundToFormat(exact.significand, exact.exponent, false, EXTENDED_FORMAT);
      return checkRange(exact.negative, rounded, exact.significand !== 0n);
    }
    case SCAN_INFINITY:
      return { kind: 'infinity', negative: text.charCodeAt(0) === CODE_MINUS };
    default:
      return null;
  }
}

/** string2ld's ERANGE test: overflow to ±HUGE_VAL, or nonzero text that rounded to zero. */
function checkRange(negative: boolean, rounded: Rounded, nonzeroText: boolean): LongDouble | null {
  if (rounded === null) return null;
  if (rounded.significand === 0n && nonzeroText) return null;
  return finiteLongDouble(negative, rounded);
}

/** The long double of an integer, as `(long double)ll` (exact for every int64). */
export function longDoubleFromInteger(value: bigint | number): LongDouble {
  const big = BigInt(value);
  const negative = big < 0n;
  return finiteLongDouble(negative, roundToFormat(negative ? -big : big, 0, false, EXTENDED_FORMAT));
}

/** a + b in x87 extended precision, rounded to nearest even, with IEEE infinities and zeros. */
export function addLongDouble(a: LongDouble, b: LongDouble): LongDouble {
  if (a.kind === 'nan' || b.kind === 'nan') return LONG_DOUBLE_NAN;
  if (a.kind === 'infinity') {
    if (b.kind === 'infinity' && b.negative !== a.negative) return LONG_DOUBLE_NAN;
    return a;
  }
  if (b.kind === 'infinity') return b;
  if (a.significand === 0n) {
    // -0 + -0 is -0; any other sum of zeros is +0 when rounding to nearest.
    if (b.significand === 0n) return { kind: 'finite', negative: a.negative && b.negative, significand: 0n, exponent: 0 };
    return b;
  }
  if (b.significand === 0n) return a;
  const exponent = Math.min(a.exponent, b.exponent);
  const alignedA = a.significand << BigInt(a.exponent - exponent);
  const alignedB = b.significand << BigInt(b.exponent - exponent);
  const sum = (a.negative ? -alignedA : alignedA) + (b.negative ? -alignedB : alignedB);
  if (sum === 0n) return { kind: 'finite', negative: false, significand: 0n, exponent: 0 };
  const negative = sum < 0n;
  return finiteLongDouble(negative, roundToFormat(negative ? -sum : sum, exponent, false, EXTENDED_FORMAT));
}

/** False for ±inf and NaN: INCRBYFLOAT then replies "increment would produce NaN or Infinity". */
export function isFiniteLongDouble(x: LongDouble): boolean {
  return x.kind === 'finite';
}

/** The nearest double (ties to even), e.g. to compare with a double elsewhere. */
export function longDoubleToNumber(x: LongDouble): number {
  if (x.kind === 'nan') return NaN;
  if (x.kind === 'infinity') return x.negative ? -Infinity : Infinity;
  if (x.significand === 0n) return x.negative ? -0 : 0;
  return exactToDouble(x.negative, roundToFormat(x.significand, x.exponent, false, DOUBLE_FORMAT));
}

const TEN_TO_17 = 10n ** 17n;

/**
 * `ld2string(LD_STR_HUMAN)`: `%.17Lf` of the exact value (ties to even), then trailing zeros and a
 * trailing '.' removed, and "-0" turned into "0" (so -1e-20 prints as "0", but -1e-17 keeps its
 * sign). Infinities print as `inf` / `-inf`; NaN never reaches Redis's formatter, `nan` here.
 */
export function formatLongDoubleHuman(x: LongDouble): string {
  if (x.kind === 'nan') return 'nan';
  if (x.kind === 'infinity') return x.negative ? '-inf' : 'inf';
  let integerText: string;
  let fractionText: string;
  if (x.exponent >= 0) {
    integerText = (x.significand << BigInt(x.exponent)).toString();
    fractionText = '';
  } else {
    const shift = BigInt(-x.exponent);
    const scaled = x.significand * TEN_TO_17;
    let units = scaled >> shift;
    const remainder = scaled - (units << shift);
    const half = 1n << (shift - 1n);
    if (remainder > half || (remainder === half && (units & 1n) === 1n)) units += 1n;
    const text = units.toString().padStart(18, '0');
    integerText = text.slice(0, -17);
    fractionText = text.slice(-17);
    let end = fractionText.length;
    while (end > 0 && fractionText.charCodeAt(end - 1) === CODE_0) end--;
    fractionText = fractionText.slice(0, end);
  }
  const body = fractionText.length > 0 ? `${integerText}.${fractionText}` : integerText;
  if (body === '0') return '0';
  return x.negative ? '-' + body : body;
}

const INT64_LOW = -(2n ** 63n);
const INT64_HIGH = 2n ** 63n - 1n;

/**
 * INCRBY's arithmetic: `text` (parsed as `current`) plus an int64 increment, exact across the whole
 * int64 range: plain numbers while every value is a safe integer, BigInt beyond. Returns the sum as a
 * number (rounded beyond 2^53) and as exact text, or null when it would overflow int64.
 * Requires: current === parseInteger(text).
 */
export function addInt64(text: string, current: number, increment: number | bigint): { value: number; text: string } | null {
  const sum = typeof increment === 'number' ? current + increment : Number.NaN;
  if (Number.isSafeInteger(sum) && Number.isSafeInteger(current)) return { value: sum, text: String(sum) };
  const exact = (parseInt64(text) as bigint) + BigInt(increment);
  if (exact < INT64_LOW || exact > INT64_HIGH) return null;
  return { value: Number(exact), text: exact.toString() };
}
