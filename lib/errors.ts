// Every error emberkv throws on purpose. Each class has a stable `code` for programs and a message
// for people: what failed, where (file, offset, key, directory) and what to do next. Misuse of the
// API by the caller (a number where a key string belongs, say) throws a plain TypeError instead.

/** Base class of emberkv's errors. `code` is stable across versions; match on it, not on text. */
export class EmberError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/**
 * A command was refused. The message is Redis's reply text exactly, error prefix first
 * (`ERR syntax error`, `WRONGTYPE Operation against a key holding the wrong kind of value`), so code
 * written against Redis's error strings keeps working. Thrown by `store.call` and the typed methods;
 * the command changed nothing.
 */
export class ReplyError extends EmberError {
  /** The first word of the message: ERR, WRONGTYPE, OOM, MISCONF, EXECABORT, ... */
  readonly prefix: string;

  constructor(message: string) {
    super('EREPLY', message);
    const space = message.indexOf(' ');
    this.prefix = space === -1 ? message : message.slice(0, space);
  }
}

/** The key holds a different type than the command works on. */
export class WrongTypeError extends ReplyError {
  constructor() {
    super('WRONGTYPE Operation against a key holding the wrong kind of value');
  }
}

/**
 * A file in the data directory failed a check while loading or inspecting it. Names the file, the
 * byte offset of the first bad byte, which check failed, and the command that repairs it.
 */
export class CorruptFileError extends EmberError {
  readonly file: string;
  readonly offset: number;
  readonly check: string;

  constructor(file: string, offset: number, check: string, remedy: string) {
    super('ECORRUPT', `${file} is damaged at byte ${offset}: ${check}. ${remedy}`);
    this.file = file;
    this.offset = offset;
    this.check = check;
  }
}

/** A read, write, fsync or rename of a store file failed; `cause` holds the system error. */
export class StorageIOError extends EmberError {
  readonly file: string;

  constructor(file: string, action: string, cause: unknown) {
    const detail = cause instanceof Error ? cause.message : String(cause);
    super('EIO', `could not ${action} ${file}: ${detail}`, { cause });
    this.file = file;
  }
}

/** Another store (in this process or another) has the data directory open. */
export class StoreLockedError extends EmberError {
  readonly directory: string;

  constructor(directory: string, cause?: unknown) {
    super(
      'ELOCKED',
      `${directory} is already open by another emberkv store (in this process or another). ` +
        'Close that store first, or open a different directory.',
      { cause },
    );
    this.directory = directory;
  }
}

/** The store was used after `close()` began. */
export class ClosedError extends EmberError {
  constructor(action: string) {
    super('ECLOSED', `cannot ${action}: the store is closed. Open it again with open(dir).`);
  }
}
