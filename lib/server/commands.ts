// Commands about the store rather than its data: INFO, CONFIG GET/SET, SLOWLOG, BGSAVE,
// BGREWRITEAOF, LASTSAVE. They reach the store through keyspace.host (the Store sets it), as Redis's
// reach its global server state. None is a write: CONFIG SET must work while writes are refused,
// since it is how one fixes what refused them.

import { command, type CommandSpec } from '../command-spec.ts';
import { ReplyError } from '../errors.ts';
import { integerArg, keywordArg, textArg } from '../keyspace/args.ts';
import type { Keyspace } from '../keyspace/keyspace.ts';
import type { Reply } from '../types.ts';
import type { SlowlogEntry } from './slowlog.ts';

/** What the server commands need from the store. */
export interface ServerHost {
  infoText(sections: readonly string[]): string;
  configGet(patterns: readonly string[]): Array<[string, string]>;
  configSet(pairs: ReadonlyArray<readonly [string, string]>): void;
  slowlogGet(count: number): SlowlogEntry[];
  slowlogLength(): number;
  slowlogReset(): void;
  /** Starts a background save; throws Redis's error if one cannot start. */
  startBgsave(): void;
  startBgrewriteaof(): void;
  lastsave(): number;
}

function host(ks: Keyspace): ServerHost {
  if (ks.host === null) throw new ReplyError('ERR this command needs a store');
  return ks.host;
}

function wrongArity(name: string): ReplyError {
  return new ReplyError(`ERR wrong number of arguments for '${name}' command`);
}

function unknownSubcommand(sub: string, container: string): ReplyError {
  return new ReplyError(`ERR unknown subcommand '${sub.slice(0, 128)}'. Try ${container} HELP.`);
}

function slowlogReply(entries: SlowlogEntry[]): Reply {
  return entries.map((entry) => [entry.id, entry.timestamp, entry.durationMicros, entry.args, '', '']);
}

export const serverCommands: CommandSpec[] = [
  command('info', -1, [], [0, 0, 0], (ks, args) => host(ks).infoText(args.map(textArg))),
  command('config', -2, [], [0, 0, 0], (ks, args) => {
    const sub = keywordArg(args[0]);
    if (sub === 'GET') {
      if (args.length < 2) throw wrongArity('config|get');
      return host(ks).configGet(args.slice(1).map(textArg)).flat();
    }
    if (sub === 'SET') {
      if (args.length < 3 || (args.length - 1) % 2 !== 0) throw wrongArity('config|set');
      const pairs: Array<[string, string]> = [];
      for (let i = 1; i < args.length; i += 2) pairs.push([textArg(args[i]), textArg(args[i + 1])]);
      host(ks).configSet(pairs);
      return 'OK';
    }
    throw unknownSubcommand(textArg(args[0]), 'CONFIG');
  }),
  command('slowlog', -2, [], [0, 0, 0], (ks, args) => {
    const sub = keywordArg(args[0]);
    if (sub === 'GET') {
      if (args.length > 2) throw wrongArity('slowlog|get');
      let count = 10;
      if (args.length === 2) {
        count = integerArg(args[1], 'ERR count should be greater than or equal to -1');
        if (count < -1) throw new ReplyError('ERR count should be greater than or equal to -1');
      }
      return slowlogReply(host(ks).slowlogGet(count));
    }
    if (sub === 'LEN') {
      if (args.length !== 1) throw wrongArity('slowlog|len');
      return host(ks).slowlogLength();
    }
    if (sub === 'RESET') {
      if (args.length !== 1) throw wrongArity('slowlog|reset');
      host(ks).slowlogReset();
      return 'OK';
    }
    throw unknownSubcommand(textArg(args[0]), 'SLOWLOG');
  }),
  command('bgsave', -1, [], [0, 0, 0], (ks, args) => {
    if (args.length > 1 || (args.length === 1 && keywordArg(args[0]) !== 'SCHEDULE')) throw new ReplyError('ERR syntax error');
    host(ks).startBgsave();
    return 'Background saving started';
  }),
  command('bgrewriteaof', 1, [], [0, 0, 0], (ks) => {
    host(ks).startBgrewriteaof();
    return 'Background append only file rewriting started';
  }),
  command('lastsave', 1, ['fast'], [0, 0, 0], (ks) => host(ks).lastsave()),
];
