// MULTI/EXEC: commands queued, then run together with nothing in between, their records handed to
// the log as one unit (a batch frame), so after any crash replay applies all of them or none.
//
// Redis's semantics: an unknown command or wrong arity at queue time discards the whole
// transaction (EXEC throws EXECABORT); an error while running (WRONGTYPE, say) fails only that
// command, the others still run, and its slot in the results holds the error. There is no
// rollback. While writes are refused (MISCONF), a transaction with a write in it runs nothing.

import { checkArity, commandFor, findCommand } from './commands.ts';
import type { CommandSpec } from './command-spec.ts';
import { ReplyError } from './errors.ts';
import type { Keyspace } from './keyspace/keyspace.ts';
import type { Arg, Reply } from './types.ts';
import type { Store } from './store.ts';

/** The store's typed command methods, each of which a transaction can queue. */
export const TRANSACTION_METHODS = [
  'append', 'copy', 'dbsize', 'decr', 'decrby', 'del', 'exists', 'expire', 'expireat', 'expiretime', 'flushall',
  'get', 'getdel', 'getex', 'getrange', 'getset', 'hdel', 'hexists', 'hget', 'hgetall', 'hincrby', 'hincrbyfloat',
  'hkeys', 'hlen', 'hmget', 'hmset', 'hrandfield', 'hscan', 'hset', 'hsetnx', 'hstrlen', 'hvals', 'incr', 'incrby',
  'incrbyfloat', 'info', 'keys', 'mget', 'mset', 'msetnx', 'persist', 'pexpire', 'pexpireat', 'pexpiretime', 'psetex', 'pttl',
  'randomkey', 'rename', 'renamenx', 'scan', 'set', 'setex', 'setnx', 'setrange', 'strlen', 'touch', 'ttl', 'type',
  'unlink', 'zadd', 'zcard', 'zcount', 'zdiffstore', 'zincrby', 'zinterstore', 'zlexcount', 'zmscore', 'zpopmax',
  'zpopmin', 'zrandmember', 'zrange', 'zrangebylex', 'zrangebyscore', 'zrank', 'zrem', 'zremrangebylex',
  'zremrangebyrank', 'zremrangebyscore', 'zrevrange', 'zrevrangebylex', 'zrevrangebyscore', 'zrevrank', 'zscan',
  'zscore', 'zunionstore',
] as const satisfies ReadonlyArray<keyof Store>;

export type TransactionMethod = (typeof TRANSACTION_METHODS)[number];

/** A transaction: `call` and every typed command method queue a command and return it again. */
export type Transaction = Multi & {
  [K in TransactionMethod]: (...args: Parameters<Store[K]>) => Transaction;
};

/** What a Multi needs from its store. */
export interface MultiHost {
  readonly ks: Keyspace;
  /** The message writes are refused with, or null. */
  refusedWrites(): string | null;
  /** Runs a command through the store's gate. */
  runCall(spec: CommandSpec, args: Arg[]): Reply;
  /** Runs a typed method by name. */
  runTyped(method: string, args: unknown[]): unknown;
}

type Queued = { spec: CommandSpec; args: Arg[] } | { method: string; write: boolean; args: unknown[] };

export class Multi {
  private queue: Queued[] = [];
  private abortReason: ReplyError | null = null;
  private done = false;

  constructor(private readonly host: MultiHost) {}

  /** Queues a command in Redis's form. Unknown commands and bad arity abort the transaction. */
  call(name: string, ...args: Arg[]): this {
    this.checkOpen();
    try {
      const spec = commandFor(name, args);
      checkArity(spec, args.length);
      this.queue.push({ spec, args });
    } catch (error) {
      if (!(error instanceof ReplyError)) throw error;
      this.abortReason ??= error;
    }
    return this;
  }

  /** Queues a typed method call (the generated typed methods below call this). */
  queueTyped(method: string, args: unknown[]): this {
    this.checkOpen();
    this.queue.push({ method, write: findCommand(method)?.write ?? true, args });
    return this;
  }

  get length(): number {
    return this.queue.length;
  }

  /** Drops the queued commands. */
  discard(): void {
    this.checkOpen();
    this.done = true;
    this.queue = [];
  }

  /**
   * Runs the queued commands in order, as one unit in the log. Returns each command's reply, or
   * the error it failed with (a ReplyError, or a TypeError for a bad typed call).
   */
  exec(): Array<unknown> {
    this.checkOpen();
    this.done = true;
    if (this.abortReason !== null) {
      throw new ReplyError('EXECABORT Transaction discarded because of previous errors.');
    }
    const refused = this.host.refusedWrites();
    if (refused !== null && this.queue.some((q) => ('spec' in q ? q.spec.write : q.write))) {
      throw new ReplyError(refused);
    }
    const results: unknown[] = [];
    const ks = this.host.ks;
    ks.beginBatch();
    try {
      for (const queued of this.queue) {
        try {
          results.push('spec' in queued ? this.host.runCall(queued.spec, queued.args) : this.host.runTyped(queued.method, queued.args));
        } catch (error) {
          if (!(error instanceof ReplyError) && !(error instanceof TypeError)) throw error;
          results.push(error);
        }
      }
    } finally {
      // Whatever ran is in memory: its records go to the log together, even if something threw.
      ks.endBatch();
    }
    return results;
  }

  private checkOpen(): void {
    if (this.done) throw new TypeError('this transaction already ran or was discarded; start another with store.multi()');
  }
}

// The typed queueing methods, one per store method: set(...) queues store.set(...) and so on.
for (const method of TRANSACTION_METHODS) {
  Object.defineProperty(Multi.prototype, method, {
    value(this: Multi, ...args: unknown[]) {
      return this.queueTyped(method, args);
    },
    writable: true,
    configurable: true,
  });
}
