// Helpers shared by the specs: comparing values across the string/bytes divide, a fake clock, and
// dumping a store's whole keyspace into plain data for equality checks.

import type { Store } from '../../lib/index.ts';
import type { HashValue } from '../../lib/keyspace/keyspace.ts';
import { TYPE_HASH, TYPE_STRING } from '../../lib/keyspace/keyspace.ts';
import type { ZSet } from '../../lib/keyspace/zset.ts';
import type { Value } from '../../lib/types.ts';

export class FakeClock {
  constructor(public ms = 1_700_000_000_000) {}
  now = (): number => this.ms;
  advance(ms: number): void {
    this.ms += ms;
  }
}

/** A value as comparable text: kind plus bytes in hex. */
export function describeValue(value: Value | null): string {
  if (value === null) return 'null';
  if (typeof value === 'string') return `s:${Buffer.from(value, 'utf8').toString('hex')}`;
  return `b:${Buffer.from(value).toString('hex')}`;
}

export interface DumpedKey {
  type: 'string' | 'hash' | 'zset';
  value: string | Array<[string, string]> | Array<[number, string]>;
  expiresAt: number;
}

/**
 * The whole keyspace as plain, order-independent data (hash fields sorted, sorted sets in order),
 * without expired keys as of `now`.
 */
export function dumpStore(store: Store, now = store.ks.now()): Record<string, DumpedKey> {
  const out: Record<string, DumpedKey> = {};
  const keys = [...store.ks.allEntries()].map((entry) => entry.key).sort();
  for (const key of keys) {
    const entry = store.ks.entries.get(key)!;
    if (entry.expiresAt !== 0 && entry.expiresAt <= now) continue;
    store.ks.unpack(entry); // a value loaded packed (keyspace/packed.ts) is read built
    if (entry.type === TYPE_STRING) {
      out[key] = { type: 'string', value: describeValue(entry.value as Value), expiresAt: entry.expiresAt };
    } else if (entry.type === TYPE_HASH) {
      const fields: Array<[string, string]> = [];
      (entry.value as HashValue).forEach((value, field) => fields.push([field, describeValue(value)]));
      fields.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
      out[key] = { type: 'hash', value: fields, expiresAt: entry.expiresAt };
    } else {
      const members: Array<[number, string]> = [];
      (entry.value as ZSet).index.forEach((score, member) => members.push([score, member]));
      out[key] = { type: 'zset', value: members, expiresAt: entry.expiresAt };
    }
  }
  return out;
}
