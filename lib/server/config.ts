// CONFIG GET / CONFIG SET: the settings that can be read and changed while the store runs, with
// Redis's parsing and its error texts (config.c). Each parameter reads and writes the live value
// through closures the store supplies; a CONFIG SET of several parameters checks them all before
// applying any, so a bad one changes nothing.

import { ReplyError } from '../errors.ts';
import { globMatch } from '../keyspace/glob.ts';
import { parseInteger } from '../keyspace/numbers.ts';

export interface ConfigParameter {
  readonly name: string;
  get(): string;
  /** Parses and checks a value; returns the function that applies it, or throws the reason. */
  parse?(value: string): () => void;
}

/** Thrown by parse() with the reason Redis gives after " - ". */
export class ConfigValueError extends Error {}

/** Redis's memtoull: bytes with an optional unit, k = 1000 and kb = 1024 (and m, mb, g, gb). */
export function parseMemory(text: string): number | null {
  const match = /^(\d+)(b|k|kb|m|mb|g|gb)?$/i.exec(text);
  if (match === null) return null;
  const units: Record<string, number> = { b: 1, k: 1000, kb: 1024, m: 1e6, mb: 1024 ** 2, g: 1e9, gb: 1024 ** 3 };
  const value = Number(match[1]) * units[(match[2] ?? 'b').toLowerCase()];
  return Number.isSafeInteger(value) ? value : null;
}

export function memoryParameter(name: string, get: () => number, set: (bytes: number) => void): ConfigParameter {
  return {
    name,
    get: () => String(get()),
    parse(value) {
      const bytes = parseMemory(value);
      if (bytes === null) throw new ConfigValueError('argument must be a memory value');
      return () => set(bytes);
    },
  };
}

export function integerParameter(name: string, min: number, max: number, get: () => number, set: (value: number) => void): ConfigParameter {
  return {
    name,
    get: () => String(get()),
    parse(value) {
      const parsed = parseInteger(value);
      if (parsed === null) throw new ConfigValueError("argument couldn't be parsed into an integer");
      if (parsed < min || parsed > max) throw new ConfigValueError(`argument must be between ${min} and ${max} inclusive`);
      return () => set(parsed);
    },
  };
}

export function enumParameter<T extends string>(name: string, choices: readonly T[], get: () => T, set: (value: T) => void): ConfigParameter {
  return {
    name,
    get,
    parse(value) {
      const choice = choices.find((c) => c === value.toLowerCase());
      if (choice === undefined) throw new ConfigValueError(`argument(s) must be one of the following: ${choices.join(', ')}`);
      return () => set(choice);
    },
  };
}

export function booleanParameter(name: string, get: () => boolean, set: (value: boolean) => void): ConfigParameter {
  return {
    name,
    get: () => (get() ? 'yes' : 'no'),
    parse(value) {
      const lower = value.toLowerCase();
      if (lower !== 'yes' && lower !== 'no') throw new ConfigValueError("argument must be 'yes' or 'no'");
      return () => set(lower === 'yes');
    },
  };
}

/** Read-only here: emberkv cannot change it while running. */
export function fixedParameter(name: string, get: () => string): ConfigParameter {
  return { name, get };
}

export class ConfigRegistry {
  private readonly parameters = new Map<string, ConfigParameter>();

  constructor(parameters: readonly ConfigParameter[]) {
    for (const parameter of parameters) this.parameters.set(parameter.name, parameter);
  }

  /** CONFIG GET: name/value pairs for every parameter matching one of the patterns (glob, no case). */
  get(patterns: readonly string[]): Array<[string, string]> {
    const found = new Map<string, string>();
    for (const pattern of patterns) {
      const lower = pattern.toLowerCase();
      if (!/[[*?]/.test(lower)) {
        const parameter = this.parameters.get(lower);
        if (parameter !== undefined) found.set(parameter.name, parameter.get());
        continue;
      }
      for (const parameter of this.parameters.values()) {
        if (globMatch(pattern, parameter.name, true)) found.set(parameter.name, parameter.get());
      }
    }
    return [...found];
  }

  /** CONFIG SET: checks every pair, then applies them all; Redis's errors otherwise. */
  set(pairs: ReadonlyArray<readonly [string, string]>): void {
    const seen = new Set<string>();
    const apply: Array<() => void> = [];
    for (const [name] of pairs) {
      const lower = name.toLowerCase();
      if (!this.parameters.has(lower) || seen.has(lower)) {
        throw new ReplyError(`ERR Unknown option or number of arguments for CONFIG SET - '${name}'`);
      }
      seen.add(lower);
    }
    for (const [name, value] of pairs) {
      const parameter = this.parameters.get(name.toLowerCase())!;
      if (parameter.parse === undefined) {
        throw new ReplyError(`ERR CONFIG SET failed (possibly related to argument '${parameter.name}') - can't set immutable config`);
      }
      try {
        apply.push(parameter.parse(value));
      } catch (error) {
        if (!(error instanceof ConfigValueError)) throw error;
        throw new ReplyError(`ERR CONFIG SET failed (possibly related to argument '${parameter.name}') - ${error.message}`);
      }
    }
    for (const change of apply) change();
  }

  names(): string[] {
    return [...this.parameters.keys()];
  }
}
