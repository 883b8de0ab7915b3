// Random command sequences over every type, for the write-path and persistence round-trip
// properties: small key and member alphabets so commands collide, TTLs, errors (wrong types, bad
// numbers), and batches (MULTI) mixed in. Commands are in `store.call` form.

import fc from 'fast-check';
import { ReplyError, type Store } from '../../lib/index.ts';
import type { Arg } from '../../lib/types.ts';

const key = fc.constantFrom('s1', 's2', 'h1', 'h2', 'z1', 'z2', 'x');
const field = fc.constantFrom('f1', 'f2', 'f3', 'é', '😀');
const text = fc.oneof(
  fc.constantFrom('', 'v', '12', '-3', '1.5', 'é', 'abc'),
  fc.string({ maxLength: 5 }),
);
const bytes = fc.uint8Array({ maxLength: 5 });
const value: fc.Arbitrary<Arg> = fc.oneof(text, bytes, fc.integer({ min: -50, max: 50 }));
const score: fc.Arbitrary<Arg> = fc.oneof(
  fc.constantFrom('1', '2', '1.5', '-0', '+inf', '-inf', '0.1', 'nan', 'x'),
  fc.integer({ min: -5, max: 5 }),
  fc.double({ noNaN: true, min: -1e6, max: 1e6 }),
);
const bound = fc.constantFrom('-inf', '+inf', '(1', '1', '(1.5', '2', 'x');
const lexBound = fc.constantFrom('-', '+', '[f1', '(f2', '[é', 'bad');
const int = fc.integer({ min: -3, max: 5 });
const ttlMs = fc.integer({ min: -10, max: 2000 });

export type Command = Arg[];

export const writeCommand: fc.Arbitrary<Command> = fc.oneof(
  // strings
  fc.tuple(fc.constant('SET'), key, value),
  fc.tuple(fc.constant('SET'), key, value, fc.constantFrom('NX', 'XX', 'GET', 'KEEPTTL')),
  fc.tuple(fc.constant('SET'), key, value, fc.constant('PX'), fc.integer({ min: 1, max: 2000 })),
  fc.tuple(fc.constant('APPEND'), key, value),
  fc.tuple(fc.constantFrom('INCR', 'DECR'), key),
  fc.tuple(fc.constant('INCRBY'), key, int),
  fc.tuple(fc.constant('INCRBYFLOAT'), key, fc.constantFrom('0.1', '1.5', '-2', '1e3')),
  fc.tuple(fc.constant('SETRANGE'), key, fc.integer({ min: 0, max: 6 }), value),
  fc.tuple(fc.constant('GETDEL'), key),
  fc.tuple(fc.constant('GETEX'), key, fc.constant('PX'), fc.integer({ min: 1, max: 2000 })),
  fc.tuple(fc.constant('MSET'), key, value, key, value),
  // keys
  fc.tuple(fc.constant('DEL'), key, key),
  fc.tuple(fc.constant('PEXPIRE'), key, ttlMs),
  fc.tuple(fc.constant('EXPIRE'), key, fc.integer({ min: -1, max: 3 }), fc.constantFrom('NX', 'XX', 'GT', 'LT')),
  fc.tuple(fc.constant('PERSIST'), key),
  fc.tuple(fc.constant('RENAME'), key, key),
  fc.tuple(fc.constant('RENAMENX'), key, key),
  fc.tuple(fc.constant('COPY'), key, key, fc.constantFrom('REPLACE', 'DB')),
  fc.constant(['FLUSHALL'] as Command),
  // hashes
  fc.tuple(fc.constant('HSET'), key, field, value),
  fc.tuple(fc.constant('HSET'), key, field, value, field, value),
  fc.tuple(fc.constant('HSETNX'), key, field, value),
  fc.tuple(fc.constant('HDEL'), key, field, field),
  fc.tuple(fc.constant('HINCRBY'), key, field, int),
  fc.tuple(fc.constant('HINCRBYFLOAT'), key, field, fc.constantFrom('0.1', '2.5', '-1')),
  // sorted sets
  fc.tuple(fc.constant('ZADD'), key, score, field),
  fc.tuple(fc.constant('ZADD'), key, fc.constantFrom('NX', 'XX', 'GT', 'LT', 'CH'), score, field, score, field),
  fc.tuple(fc.constant('ZADD'), key, fc.constant('INCR'), score, field),
  fc.tuple(fc.constant('ZINCRBY'), key, score, field),
  fc.tuple(fc.constant('ZREM'), key, field, field),
  fc.tuple(fc.constantFrom('ZPOPMIN', 'ZPOPMAX'), key, fc.integer({ min: 1, max: 3 })),
  fc.tuple(fc.constant('ZREMRANGEBYRANK'), key, int, int),
  fc.tuple(fc.constant('ZREMRANGEBYSCORE'), key, bound, bound),
  fc.tuple(fc.constant('ZREMRANGEBYLEX'), key, lexBound, lexBound),
  fc.tuple(fc.constantFrom('ZUNIONSTORE', 'ZINTERSTORE'), key, fc.constant(2), key, key, fc.constant('WEIGHTS'), fc.constantFrom(1, 2, -1), fc.constantFrom(0.5, 3)),
  fc.tuple(fc.constant('ZDIFFSTORE'), key, fc.constant(2), key, key),
);

export const readCommand: fc.Arbitrary<Command> = fc.oneof(
  fc.tuple(fc.constant('GET'), key),
  fc.tuple(fc.constant('HGETALL'), key),
  fc.tuple(fc.constant('ZRANGE'), key, fc.constant(0), fc.constant(-1), fc.constant('WITHSCORES')),
  fc.tuple(fc.constant('EXISTS'), key),
  fc.tuple(fc.constant('TTL'), key),
);

export type Step =
  | { kind: 'command'; command: Command }
  | { kind: 'batch'; commands: Command[] }
  | { kind: 'tick'; ms: number };

export const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 12, arbitrary: writeCommand.map((command) => ({ kind: 'command' as const, command })) },
  { weight: 3, arbitrary: readCommand.map((command) => ({ kind: 'command' as const, command })) },
  {
    weight: 2,
    arbitrary: fc.array(fc.oneof(writeCommand, readCommand), { minLength: 1, maxLength: 5 }).map((commands) => ({ kind: 'batch' as const, commands })),
  },
  { weight: 2, arbitrary: fc.integer({ min: 1, max: 700 }).map((ms) => ({ kind: 'tick' as const, ms })) },
);

/** Runs one step on a store; errors from commands are part of the sequence, not failures. */
export function runStep(store: Store, current: Step, advance: (ms: number) => void): void {
  if (current.kind === 'tick') {
    advance(current.ms);
  } else if (current.kind === 'command') {
    try {
      store.call(String(current.command[0]), ...current.command.slice(1));
    } catch (error) {
      if (!(error instanceof ReplyError)) throw error;
    }
  } else {
    const multi = store.multi();
    for (const command of current.commands) multi.call(String(command[0]), ...command.slice(1));
    try {
      multi.exec();
    } catch (error) {
      if (!(error instanceof ReplyError)) throw error;
    }
  }
}
