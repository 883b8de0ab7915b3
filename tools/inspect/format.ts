// Text for people and scripts: colours, aligned tables, counts, sizes, times, and values shown
// bare, quoted or as JSON. Nothing here reads a file or writes output.

import type { Arg, Value } from '../../lib/types.ts';

/** cat shortens longer arguments unless --full. */
const SHOWN_CHARS_MAX = 120;

const colour = process.stdout.isTTY === true && !process.env.NO_COLOR;
const paint = (code: string) => (text: string) => (colour ? `\x1b[${code}m${text}\x1b[0m` : text);
export const red = paint('31');
export const green = paint('32');
export const yellow = paint('33');
export const dim = paint('2');
export const bold = paint('1');

function visibleLength(text: string): number {
  return text.replace(/\x1b\[[0-9;]*m/g, '').length;
}

/** Rows as aligned lines; columns listed in `right` are right-aligned (numbers). */
export function table(rows: string[][], right: readonly number[] = [], indent = '  '): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, visibleLength(cell))));
  return rows.map((row) =>
    (
      indent +
      row
        .map((cell, i) => {
          if (i === row.length - 1 && !right.includes(i)) return cell;
          const pad = ' '.repeat(widths[i] - visibleLength(cell));
          return right.includes(i) ? pad + cell : cell + pad;
        })
        .join('  ')
    ).trimEnd(),
  );
}

export const count = (n: number): string => n.toLocaleString('en-US');

export function plural(n: number, word: string, many = `${word}s`): string {
  return `${count(n)} ${n === 1 ? word : many}`;
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

export function formatTime(ms: number | null): string {
  if (ms === null || !Number.isFinite(ms) || ms <= 0 || ms > 8.64e15) return '-';
  return new Date(ms).toISOString().replace('T', ' ').replace(/\.\d{3}Z$/, 'Z');
}

export function isoTime(ms: number | null): string | null {
  return ms === null || !Number.isFinite(ms) || ms <= 0 || ms > 8.64e15 ? null : new Date(ms).toISOString();
}

export function formatDuration(ms: number): string {
  let seconds = Math.round(ms / 1000);
  if (seconds < 60) return `${seconds}s`;
  const parts: string[] = [];
  for (const [unit, size] of [['d', 86400], ['h', 3600], ['m', 60]] as const) {
    if (seconds >= size) {
      parts.push(`${Math.floor(seconds / size)}${unit}`);
      seconds %= size;
    }
  }
  if (seconds > 0) parts.push(`${seconds}s`);
  return parts.join(' ');
}

export function commandsSummary(commands: Map<string, number>, limit = 8): string {
  const sorted = [...commands].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  const shown = sorted.slice(0, limit).map(([name, n]) => `${name} ${count(n)}`);
  if (sorted.length > limit) shown.push(`${sorted.length - limit} more`);
  return shown.join(', ') || '-';
}

// Showing values ---------------------------------------------------------------------------------

export function showNumber(value: number): string {
  if (Number.isNaN(value)) return 'nan';
  if (!Number.isFinite(value)) return value > 0 ? 'inf' : '-inf';
  return String(value);
}

function showBytes(bytes: Uint8Array): string {
  let text = 'b"';
  for (const byte of bytes) {
    if (byte === 0x22 || byte === 0x5c) text += `\\${String.fromCharCode(byte)}`;
    else if (byte >= 0x20 && byte < 0x7f) text += String.fromCharCode(byte);
    else text += `\\x${byte.toString(16).padStart(2, '0')}`;
  }
  return `${text}"`;
}

/** One argument or value for people: bare when plain, quoted otherwise; bytes as b"..". */
export function showArg(arg: Arg, full: boolean): string {
  if (typeof arg === 'number') return showNumber(arg);
  const size = typeof arg === 'string' ? arg.length : arg.byteLength;
  const cut = !full && size > SHOWN_CHARS_MAX;
  let shown: string;
  if (typeof arg === 'string') {
    const text = cut ? arg.slice(0, SHOWN_CHARS_MAX) : arg;
    shown = /^[\x21-\x7e]+$/.test(text) && !text.startsWith('"') && !text.startsWith('b"') ? text : JSON.stringify(text);
  } else {
    shown = showBytes(cut ? arg.subarray(0, SHOWN_CHARS_MAX) : arg);
  }
  return cut ? `${shown}…(${count(size)} ${typeof arg === 'string' ? 'chars' : 'bytes'})` : shown;
}

/** A value as JSON: strings as they are, bytes as {"base64": ...}. */
export function jsonValue(value: Value): string | { base64: string } {
  return typeof value === 'string' ? value : { base64: Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64') };
}

/** A number as JSON: infinities (valid scores) as Redis writes them. */
export function jsonNumber(value: number): number | string {
  return Number.isFinite(value) ? value : showNumber(value);
}

export function jsonArg(arg: Arg): number | string | { base64: string } {
  return typeof arg === 'number' ? jsonNumber(arg) : jsonValue(arg);
}
