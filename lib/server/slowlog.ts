// The slow log, after Redis's slowlog.c: commands that took longer than a threshold, newest first,
// at most `maxLength` kept. Arguments are shortened as Redis shortens them (32 arguments at most,
// 128 characters each), so one huge MSET cannot make the log itself huge. This is how a user finds
// the KEYS or whole-hash reads that block the event loop.

export const SLOWLOG_ENTRY_ARGUMENTS_MAX = 32;
export const SLOWLOG_ENTRY_CHARACTERS_MAX = 128;

export interface SlowlogEntry {
  id: number;
  /** Unix time in seconds when the command ran. */
  timestamp: number;
  durationMicros: number;
  args: string[];
}

/** A command's arguments as the log keeps them. */
function shorten(args: readonly unknown[]): string[] {
  const kept: string[] = [];
  const count = Math.min(args.length, SLOWLOG_ENTRY_ARGUMENTS_MAX);
  for (let i = 0; i < count; i++) {
    if (i === SLOWLOG_ENTRY_ARGUMENTS_MAX - 1 && args.length > SLOWLOG_ENTRY_ARGUMENTS_MAX) {
      kept.push(`... (${args.length - SLOWLOG_ENTRY_ARGUMENTS_MAX + 1} more arguments)`);
      break;
    }
    const arg = args[i];
    const text =
      typeof arg === 'string'
        ? arg
        : arg instanceof Uint8Array
          ? Buffer.from(arg).toString('latin1')
          : typeof arg === 'number' || typeof arg === 'bigint' || typeof arg === 'boolean'
            ? String(arg)
            : JSON.stringify(arg) ?? String(arg);
    kept.push(
      text.length > SLOWLOG_ENTRY_CHARACTERS_MAX
        ? `${text.slice(0, SLOWLOG_ENTRY_CHARACTERS_MAX)}... (${text.length - SLOWLOG_ENTRY_CHARACTERS_MAX} more bytes)`
        : text,
    );
  }
  return kept;
}

export class Slowlog {
  /** Commands at least this slow are kept, in microseconds; negative turns the log off, 0 keeps all. */
  thresholdMicros = 10_000;
  maxLength = 128;
  private entries: SlowlogEntry[] = [];
  private nextId = 0;

  /** Records a command that took `durationMicros`, if that is slow enough. */
  record(name: string, args: readonly unknown[], durationMicros: number, nowMs: number): void {
    if (this.thresholdMicros < 0 || durationMicros < this.thresholdMicros) return;
    this.entries.unshift({
      id: this.nextId++,
      timestamp: Math.floor(nowMs / 1000),
      durationMicros: Math.round(durationMicros),
      args: shorten([name, ...args]),
    });
    if (this.entries.length > this.maxLength) this.entries.length = this.maxLength;
  }

  /** The newest `count` entries (all with a negative count). */
  get(count = 10): SlowlogEntry[] {
    return count < 0 ? [...this.entries] : this.entries.slice(0, count);
  }

  get length(): number {
    return this.entries.length;
  }

  reset(): void {
    this.entries = [];
  }

  /** Applies a new maximum length, dropping the oldest beyond it. */
  setMaxLength(length: number): void {
    this.maxLength = length;
    if (this.entries.length > length) this.entries.length = length;
  }
}
