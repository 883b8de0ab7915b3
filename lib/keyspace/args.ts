// Turning `store.call` arguments into keys, values, keywords and numbers, with Redis's error texts
// for anything malformed. Arguments may be strings, numbers (sent as their decimal text, as a
// Redis client sends them) or bytes.

import { ReplyError } from '../errors.ts';
import type { Arg, Value } from '../types.ts';
import { parseDouble, parseInteger } from './numbers.ts';

/** Redis's reply texts, shared by the commands. */
export const ErrorText = {
  syntax: 'ERR syntax error',
  notInteger: 'ERR value is not an integer or out of range',
  notFloat: 'ERR value is not a valid float',
  overflow: 'ERR increment or decrement would overflow',
  nanOrInfinity: 'ERR increment would produce NaN or Infinity',
  noSuchKey: 'ERR no such key',
  invalidCursor: 'ERR invalid cursor',
  notPositive: 'ERR value is out of range, must be positive',
} as const;

const utf8 = new TextDecoder('utf-8', { fatal: true });
const utf8Lossy = new TextDecoder('utf-8');

/** A key: keys are strings; bytes must be valid UTF-8. */
export function keyArg(arg: Arg): string {
  if (typeof arg === 'string') return arg;
  if (typeof arg === 'number') return String(arg);
  if (arg instanceof Uint8Array) {
    try {
      return utf8.decode(arg);
    } catch {
      throw new TypeError('emberkv keys, fields and members are strings: got bytes that are not valid UTF-8');
    }
  }
  throw new TypeError(`expected a string, number or Uint8Array argument, got ${describe(arg)}`);
}

/** A hash field or sorted-set member: a string, like a key. */
export const nameArg = keyArg;

/** A value to store: strings and bytes as given, numbers as their decimal text. */
export function valueArg(arg: Arg): Value {
  if (typeof arg === 'string' || arg instanceof Uint8Array) return arg;
  if (typeof arg === 'number') return String(arg);
  throw new TypeError(`expected a string, number or Uint8Array argument, got ${describe(arg)}`);
}

/** The text of an argument, for keywords and numbers. */
export function textArg(arg: Arg): string {
  if (typeof arg === 'string') return arg;
  if (typeof arg === 'number') return String(arg);
  if (arg instanceof Uint8Array) return utf8Lossy.decode(arg);
  throw new TypeError(`expected a string, number or Uint8Array argument, got ${describe(arg)}`);
}

/** An option keyword in upper case, for case-insensitive matching. */
export function keywordArg(arg: Arg): string {
  return textArg(arg).toUpperCase();
}

/** An integer argument (Redis's long long rules); throws `message` when it is not one. */
export function integerArg(arg: Arg, message: string = ErrorText.notInteger): number {
  if (typeof arg === 'number') {
    if (Number.isInteger(arg) && arg >= -9223372036854775808 && arg <= 9223372036854775807) return arg;
    throw new ReplyError(message);
  }
  const value = parseInteger(textArg(arg));
  if (value === null) throw new ReplyError(message);
  return value;
}

/** A float argument (Redis's strtod rules, no NaN); throws `message` when it is not one. */
export function doubleArg(arg: Arg, message: string = ErrorText.notFloat): number {
  if (typeof arg === 'number') {
    if (Number.isNaN(arg)) throw new ReplyError(message);
    return arg;
  }
  const value = parseDouble(textArg(arg));
  if (value === null) throw new ReplyError(message);
  return value;
}

function describe(value: unknown): string {
  return value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value;
}
