// The shape of one entry in the command table (lib/commands.ts). Each type's file
// (lib/keyspace/string.ts, hash.ts, ...) declares its commands with `command()`, next to their code.

import type { Keyspace } from './keyspace/keyspace.ts';
import type { Arg, Reply } from './types.ts';

export interface CommandFlags {
  /** Changes the keyspace: refused while writes are blocked, logged by the AOF. */
  readonly write: boolean;
  /** May grow memory: refused (or evicts first) when over maxmemory. */
  readonly denyoom: boolean;
  /**
   * O(1) or O(log n) in emberkv (so SET and RENAME are fast here, moving references): never timed
   * for the slow log, which keeps the hot path free of clock reads.
   */
  readonly fast: boolean;
}

export interface CommandSpec extends CommandFlags {
  /** Lower-case name, as Redis's error texts print it. */
  readonly name: string;
  /** Redis's arity: > 0 exact argument count including the name, < 0 a minimum. */
  readonly arity: number;
  /** Key positions as Redis gives them (1-based, lastKey -1 = to the end, 0 = no keys). */
  readonly firstKey: number;
  readonly lastKey: number;
  readonly keyStep: number;
  /** Runs the command on its arguments (the name excluded). */
  readonly run: (ks: Keyspace, args: Arg[]) => Reply;
}

export type FlagWord = 'write' | 'denyoom' | 'fast' | 'readonly';

/** Declares one command. `keys` is [firstKey, lastKey, keyStep]. */
export function command(
  name: string,
  arity: number,
  flags: readonly FlagWord[],
  keys: readonly [number, number, number],
  run: (ks: Keyspace, args: Arg[]) => Reply,
): CommandSpec {
  return {
    name,
    arity,
    write: flags.includes('write'),
    denyoom: flags.includes('denyoom'),
    fast: flags.includes('fast'),
    firstKey: keys[0],
    lastKey: keys[1],
    keyStep: keys[2],
    run,
  };
}
