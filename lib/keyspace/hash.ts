// Hash commands (Redis t_hash.c). Work in progress: the value helpers first.

import type { Value } from '../types.ts';
import type { HashValue } from './keyspace.ts';
import { SlotMap } from './slot-map.ts';

export function cloneHash(hash: HashValue): HashValue {
  const copy = new SlotMap<Value>();
  hash.forEach((value, field) => copy.set(field, value));
  return copy;
}

import type { CommandSpec } from '../command-spec.ts';
export const hashCommands: CommandSpec[] = [];
