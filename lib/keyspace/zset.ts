// Sorted-set commands (Redis t_zset.c). Work in progress: the value class first.

import { SlotMap } from './slot-map.ts';
import { ZSetIndex } from './zset-index.ts';

/** A sorted set: member -> score, plus the (score, member) order. */
export class ZSet {
  dict = new SlotMap<number>();
  index = new ZSetIndex();

  get size(): number {
    return this.dict.size;
  }

  clone(): ZSet {
    const copy = new ZSet();
    this.index.forEach((score, member) => {
      copy.dict.set(member, score);
      copy.index.insert(score, member);
    });
    return copy;
  }
}

import type { CommandSpec } from '../command-spec.ts';
export const zsetCommands: CommandSpec[] = [];
