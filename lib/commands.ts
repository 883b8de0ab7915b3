// The command table: every command emberkv knows, with its arity, flags and key positions. `call`
// dispatches through it, the AOF replays records through it, the store's gate reads its flags, and
// docs/COMMANDS.md is generated from it. Each entry lives beside its code, in the file named after
// its type (lib/keyspace/string.ts, hash.ts, zset.ts, keys.ts).

import type { CommandSpec } from './command-spec.ts';
import { ReplyError } from './errors.ts';
import { hashCommands } from './keyspace/hash.ts';
import { keyCommands } from './keyspace/keys.ts';
import { stringCommands } from './keyspace/string.ts';
import { zsetCommands } from './keyspace/zset.ts';
import { serverCommands } from './server/commands.ts';
import type { Arg } from './types.ts';
import { textArg } from './keyspace/args.ts';

export type { CommandSpec } from './command-spec.ts';

const table = new Map<string, CommandSpec>();
/** The same entries by upper-case name: records in the log use them. */
const upperTable = new Map<string, CommandSpec>();

/** Adds commands to the table; a name may be defined once. */
export function registerCommands(specs: readonly CommandSpec[]): void {
  for (const spec of specs) {
    if (table.has(spec.name)) throw new Error(`command ${spec.name} is defined twice`);
    table.set(spec.name, spec);
    upperTable.set(spec.name.toUpperCase(), spec);
  }
}

registerCommands(stringCommands);
registerCommands(keyCommands);
registerCommands(hashCommands);
registerCommands(zsetCommands);
registerCommands(serverCommands);

/** The entry for a command name in any case, or undefined. */
export function findCommand(name: string): CommandSpec | undefined {
  return upperTable.get(name) ?? table.get(name) ?? table.get(name.toLowerCase());
}

/** The entry for a command name; throws Redis's unknown-command error. */
export function commandFor(name: string, args: readonly Arg[]): CommandSpec {
  const spec = findCommand(name);
  if (spec === undefined) throw unknownCommand(name, args);
  return spec;
}

/** Redis's arity check, with its error text. */
export function checkArity(spec: CommandSpec, argumentCount: number): void {
  const count = argumentCount + 1;
  if (spec.arity > 0 ? count !== spec.arity : count < -spec.arity) {
    throw new ReplyError(`ERR wrong number of arguments for '${spec.name}' command`);
  }
}

/** Every command, sorted by name. */
export function allCommands(): CommandSpec[] {
  return [...table.values()].sort((a, b) => (a.name < b.name ? -1 : 1));
}

function unknownCommand(name: string, args: readonly Arg[]): ReplyError {
  // Redis quotes the arguments until 128 characters, then stops; newlines become spaces.
  let quoted = '';
  for (const arg of args) {
    if (quoted.length >= 128) break;
    quoted += `'${textArg(arg).slice(0, 128 - quoted.length)}' `;
  }
  const text = `ERR unknown command '${name.slice(0, 128)}', with args beginning with: ${quoted}`;
  return new ReplyError(text.replace(/[\r\n]/g, ' '));
}
