// emberkv: an embedded, persistent key-value store with Redis's data model.
//
// Public API
//   open(dir?, options?)  -> Promise<Store>   (no dir: in memory only)
//   Store                 typed commands (get, set, hset, zadd, ...) and call(name, ...args)
//   Value, Arg, Reply     value shapes
//   createCache, Cache    a look-aside cache layer over a key prefix (also store.cache()), with
//                         codecs stringCodec, bytesCodec, jsonCodec, msgpackCodec
//   Errors                EmberError (base, with `code`), ReplyError (Redis's error texts),
//                         WrongTypeError, CorruptFileError, StorageIOError, StoreLockedError,
//                         ClosedError, CacheTimeoutError, CacheEntryError
// Caveats
//   - Commands are synchronous; durability happens behind them (see README, Durability).
//   - Keys, hash fields and sorted-set members are strings; values are strings or Uint8Arrays.

import { Store, type StoreOptions } from './store.ts';

export { Store } from './store.ts';
export type {
  ExpireOptions,
  GetexOptions,
  ScanIteratorOptions,
  ScanOptions,
  ScanPage,
  SetOptions,
  StoreOptions,
} from './store.ts';
export type { Arg, Reply, Value } from './types.ts';
export type { Multi, Transaction, TransactionMethod } from './multi.ts';
export type { HashFields, HashScanOptions, HashScanPage } from './keyspace/hash.ts';
export type {
  Aggregate,
  LexBound,
  ScoreBound,
  ZaddOptions,
  ZrangeByScoreOptions,
  ZrangeOptions,
  ZscanOptions,
  ZscanPage,
  ZstoreOptions,
} from './keyspace/zset.ts';
export type { SaveRule } from './persistence/persistence.ts';
export type { SnapshotResult } from './persistence/snapshot.ts';
export type { RewriteResult } from './persistence/rewrite.ts';
export type { PersistenceStatus } from './persistence/persistence.ts';
export type { ServerOptions } from './server/server-state.ts';
export type { MaxmemoryPolicy } from './keyspace/evict.ts';
export type { Info, InfoSection, InfoValue } from './server/info.ts';
export type { SlowlogEntry } from './server/slowlog.ts';
export type { TypeName } from './keyspace/keyspace.ts';
export type { StoreWarning } from './persistence/recovery.ts';
export type { AppendFsync } from './persistence/aof.ts';
export {
  ClosedError,
  CorruptFileError,
  EmberError,
  ReplyError,
  StorageIOError,
  StoreLockedError,
  WrongTypeError,
} from './errors.ts';

export { Cache, createCache } from './cache/cache.ts';
export type {
  CachedEntry,
  CacheEvents,
  CacheOptions,
  CacheStats,
  EntryOptions,
  Loader,
  LoaderContext,
  LoadErrorEvent,
  LoadOptions,
  StoreErrorEvent,
  WarmOptions,
  Writer,
} from './cache/cache.ts';
export { bytesCodec, type Codec, jsonCodec, msgpackCodec, stringCodec } from './cache/codec.ts';
export { CacheEntryError, CacheTimeoutError } from './cache/errors.ts';
export type { WarmItem, WarmProgress } from './cache/warm.ts';

export type OpenOptions = StoreOptions;

/**
 * Opens a store. With `dir`, the store lives in that directory (created if missing); without, it
 * is in memory only.
 */
export async function open(dir?: string, options: OpenOptions = {}): Promise<Store> {
  if (dir !== undefined && typeof dir !== 'string') throw new TypeError('open(dir): dir must be a string path');
  return Store.open(dir, options);
}
