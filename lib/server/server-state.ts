// The store's server-side state beside its data: the memory limit and eviction, the slow log, the
// runtime configuration (CONFIG GET/SET) and INFO. The Store owns one; the server commands reach it
// through keyspace.host.

import { ReplyError } from '../errors.ts';
import { Evictor, MAXMEMORY_POLICIES, type MaxmemoryPolicy, lfuMinutes } from '../keyspace/evict.ts';
import type { Keyspace } from '../keyspace/keyspace.ts';
import type { AppendFsync } from '../persistence/aof.ts';
import type { Persistence, SaveRule } from '../persistence/persistence.ts';
import { EMBERKV_VERSION } from '../version.ts';
import type { ServerHost } from './commands.ts';
import {
  booleanParameter,
  ConfigRegistry,
  ConfigValueError,
  enumParameter,
  fixedParameter,
  integerParameter,
  memoryParameter,
  parseMemory,
} from './config.ts';
import { bytesToHuman, formatInfo, type Info, OpsMeter, selectSections } from './info.ts';
import { Slowlog, type SlowlogEntry } from './slowlog.ts';

export interface ServerOptions {
  /** Memory limit in bytes, or '256mb'-style (Redis's units); 0 = none. Default 0. */
  maxmemory?: number | string;
  /** What to do at the limit (Redis's policies). Default 'noeviction'. */
  maxmemoryPolicy?: MaxmemoryPolicy;
  /** Keys sampled per eviction round (Redis allows up to 2^31-1; more than the keyspace is no use). Default 5. */
  maxmemorySamples?: number;
  /** LFU counter growth: higher is slower. Default 10. */
  lfuLogFactor?: number;
  /** LFU counter decay: one step per this many minutes idle, 0 = never. Default 1. */
  lfuDecayTime?: number;
  /** Commands slower than this many microseconds go to the slow log; negative turns it off. Default 10000. */
  slowlogLogSlowerThan?: number;
  /** Slow log entries kept. Default 128. */
  slowlogMaxLen?: number;
}

/** What ServerState needs from its store. */
export interface ServerStore {
  readonly ks: Keyspace;
  commandsProcessed(): number;
  persistence(): Persistence | null;
}

const LLONG_MAX = 9223372036854775807;

function checkOptions(options: ServerOptions): void {
  if (options.maxmemoryPolicy !== undefined && !MAXMEMORY_POLICIES.includes(options.maxmemoryPolicy)) {
    throw new TypeError(`maxmemoryPolicy: expected one of ${MAXMEMORY_POLICIES.join(', ')}, got ${JSON.stringify(options.maxmemoryPolicy)}`);
  }
  const integer = (name: string, value: number | undefined, min: number, max: number) => {
    if (value !== undefined && (!Number.isInteger(value) || value < min || value > max)) {
      throw new TypeError(`${name}: expected an integer from ${min} to ${max}, got ${value}`);
    }
  };
  integer('maxmemorySamples', options.maxmemorySamples, 1, 2147483647);
  integer('lfuLogFactor', options.lfuLogFactor, 0, 2147483647);
  integer('lfuDecayTime', options.lfuDecayTime, 0, 2147483647);
  integer('slowlogLogSlowerThan', options.slowlogLogSlowerThan, -1, Number.MAX_SAFE_INTEGER);
  integer('slowlogMaxLen', options.slowlogMaxLen, 0, Number.MAX_SAFE_INTEGER);
}

export class ServerState implements ServerHost {
  readonly evictor: Evictor;
  readonly slowlog = new Slowlog();
  readonly config: ConfigRegistry;
  private readonly ops: OpsMeter;
  private readonly startedMs = Date.now();
  private clockTimer: NodeJS.Timeout | null = null;
  private peakMemory = 0;

  constructor(
    private readonly store: ServerStore,
    options: ServerOptions,
  ) {
    checkOptions(options);
    const ks = store.ks;
    this.evictor = new Evictor(ks, () => (ks.observer as { cowBytes?: number } | null)?.cowBytes ?? 0);
    if (options.maxmemory !== undefined) {
      const bytes = typeof options.maxmemory === 'number' ? options.maxmemory : parseMemory(options.maxmemory.trim());
      if (bytes === null || !Number.isSafeInteger(bytes) || bytes < 0) {
        throw new TypeError(`maxmemory: expected bytes or a string like '256mb', got ${JSON.stringify(options.maxmemory)}`);
      }
      this.evictor.maxmemory = bytes;
    }
    this.setPolicy(options.maxmemoryPolicy ?? 'noeviction');
    this.evictor.samples = options.maxmemorySamples ?? 5;
    ks.lfuLogFactor = options.lfuLogFactor ?? 10;
    ks.lfuDecayMinutes = options.lfuDecayTime ?? 1;
    ks.lfuClock = lfuMinutes(ks.now());
    this.slowlog.thresholdMicros = options.slowlogLogSlowerThan ?? 10_000;
    this.slowlog.setMaxLength(options.slowlogMaxLen ?? 128);
    this.ops = new OpsMeter(() => store.commandsProcessed());
    this.config = new ConfigRegistry(this.parameters());
  }

  start(): void {
    this.ops.start();
    // LFU's minute clock and the memory peak, refreshed once a second off the hot path.
    this.clockTimer = setInterval(() => {
      this.store.ks.lfuClock = lfuMinutes(this.store.ks.now());
      this.peakMemory = Math.max(this.peakMemory, this.evictor.usedMemory);
    }, 1000);
    this.clockTimer.unref();
  }

  stop(): void {
    this.ops.stop();
    if (this.clockTimer !== null) clearInterval(this.clockTimer);
    this.clockTimer = null;
  }

  private setPolicy(policy: MaxmemoryPolicy): void {
    this.evictor.policy = policy;
    this.evictor.reset();
    this.store.ks.lfuMode = policy.endsWith('-lfu');
  }

  private parameters() {
    const ks = this.store.ks;
    const persistence = () => this.store.persistence();
    const needsDirectory = (name: string) => {
      if (persistence() === null) throw new ConfigValueError(`${name} needs a store opened with a directory`);
    };
    return [
      memoryParameter('maxmemory', () => this.evictor.maxmemory, (bytes) => (this.evictor.maxmemory = bytes)),
      enumParameter('maxmemory-policy', ['volatile-lru', 'volatile-lfu', 'volatile-random', 'volatile-ttl', 'allkeys-lru', 'allkeys-lfu', 'allkeys-random', 'noeviction'] as const, () => this.evictor.policy, (policy) => this.setPolicy(policy)),
      integerParameter('maxmemory-samples', 1, 2147483647, () => this.evictor.samples, (n) => (this.evictor.samples = n)),
      integerParameter('lfu-log-factor', 0, 2147483647, () => ks.lfuLogFactor, (n) => (ks.lfuLogFactor = n)),
      integerParameter('lfu-decay-time', 0, 2147483647, () => ks.lfuDecayMinutes, (n) => (ks.lfuDecayMinutes = n)),
      integerParameter('slowlog-log-slower-than', -1, LLONG_MAX, () => this.slowlog.thresholdMicros, (n) => (this.slowlog.thresholdMicros = n)),
      integerParameter('slowlog-max-len', 0, LLONG_MAX, () => this.slowlog.maxLength, (n) => this.slowlog.setMaxLength(n)),
      {
        name: 'save',
        get: () => (persistence()?.settings.saveRules ?? []).flat().join(' '),
        parse(value: string) {
          needsDirectory('save');
          const words = value.trim() === '' ? [] : value.trim().split(/\s+/);
          if (words.length % 2 !== 0 || words.some((w) => !/^\d+$/.test(w))) throw new ConfigValueError('Invalid save parameters');
          const rules: SaveRule[] = [];
          for (let i = 0; i < words.length; i += 2) rules.push([Number(words[i]), Number(words[i + 1])]);
          return () => (persistence()!.settings.saveRules = rules);
        },
      },
      enumParameter<AppendFsync>('appendfsync', ['always', 'everysec', 'no'], () => persistence()?.appendfsync ?? 'everysec', (policy) => {
        const target = persistence();
        if (target === null) throw new ReplyError("ERR CONFIG SET failed (possibly related to argument 'appendfsync') - needs a store opened with a directory");
        target.setAppendfsync(policy);
      }),
      booleanParameter('stop-writes-on-bgsave-error', () => persistence()?.settings.stopWritesOnBgsaveError ?? true, (on) => {
        const target = persistence();
        if (target !== null) target.settings.stopWritesOnBgsaveError = on;
      }),
      integerParameter('auto-aof-rewrite-percentage', 0, 2147483647, () => persistence()?.settings.rewritePercentage ?? 100, (n) => {
        const target = persistence();
        if (target !== null) target.settings.rewritePercentage = n;
      }),
      memoryParameter('auto-aof-rewrite-min-size', () => persistence()?.settings.rewriteMinBytes ?? 64 * 1024 * 1024, (bytes) => {
        const target = persistence();
        if (target !== null) target.settings.rewriteMinBytes = bytes;
      }),
      fixedParameter('appendonly', () => (persistence()?.status().aof_enabled === 1 ? 'yes' : 'no')),
      fixedParameter('dbfilename', () => persistence()?.snapshotFile ?? 'dump.rdb'),
      fixedParameter('dir', () => persistence()?.dir ?? ''),
    ];
  }

  // ---------------------------------------------------------------------------------------------
  // INFO

  info(sections: readonly string[] = []): Info {
    const ks = this.store.ks;
    const info: Info = {};
    const used = this.evictor.usedMemory;
    this.peakMemory = Math.max(this.peakMemory, used);
    for (const section of selectSections(sections)) {
      if (section === 'server') {
        info.server = {
          emberkv_version: EMBERKV_VERSION,
          redis_compatibility: '7.0',
          node_version: process.version,
          os: `${process.platform} ${process.arch}`,
          process_id: process.pid,
          uptime_in_seconds: Math.floor((Date.now() - this.startedMs) / 1000),
          uptime_in_days: Math.floor((Date.now() - this.startedMs) / 86_400_000),
        };
      } else if (section === 'memory') {
        const rss = process.memoryUsage.rss();
        info.memory = {
          used_memory: used,
          used_memory_human: bytesToHuman(used),
          used_memory_rss: rss,
          used_memory_rss_human: bytesToHuman(rss),
          used_memory_peak: this.peakMemory,
          used_memory_peak_human: bytesToHuman(this.peakMemory),
          used_memory_dataset: ks.usedMemory,
          mem_cow_bytes: used - ks.usedMemory,
          mem_fragmentation_ratio: used === 0 ? 0 : Number((rss / used).toFixed(2)),
          maxmemory: this.evictor.maxmemory,
          maxmemory_human: bytesToHuman(this.evictor.maxmemory),
          maxmemory_policy: this.evictor.policy,
        };
      } else if (section === 'persistence') {
        const status = this.store.persistence()?.status();
        info.persistence = { loading: 0, ...(status ?? { aof_enabled: 0, rdb_changes_since_last_save: ks.dirty }) } as Record<string, string | number>;
        for (const [field, value] of Object.entries(info.persistence)) {
          if (value === null || value === undefined) delete info.persistence[field];
        }
      } else if (section === 'stats') {
        info.stats = {
          total_commands_processed: this.store.commandsProcessed(),
          instantaneous_ops_per_sec: this.ops.perSecond,
          keyspace_hits: ks.stats.hits,
          keyspace_misses: ks.stats.misses,
          expired_keys: ks.stats.expiredKeys,
          evicted_keys: ks.stats.evictedKeys,
        };
      } else {
        info.keyspace = {};
        if (ks.size > 0) {
          const now = ks.now();
          let ttlSum = 0;
          for (const entry of ks.volatile) ttlSum += Math.max(0, entry.expiresAt - now);
          const avg = ks.volatile.length === 0 ? 0 : Math.round(ttlSum / ks.volatile.length);
          info.keyspace.db0 = `keys=${ks.size},expires=${ks.volatile.length},avg_ttl=${avg}`;
        }
      }
    }
    return info;
  }

  // ---------------------------------------------------------------------------------------------
  // ServerHost (the server commands)

  infoText(sections: readonly string[]): string {
    return formatInfo(this.info(sections));
  }

  configGet(patterns: readonly string[]): Array<[string, string]> {
    return this.config.get(patterns);
  }

  configSet(pairs: ReadonlyArray<readonly [string, string]>): void {
    this.config.set(pairs);
  }

  slowlogGet(count: number): SlowlogEntry[] {
    return this.slowlog.get(count);
  }

  slowlogLength(): number {
    return this.slowlog.length;
  }

  slowlogReset(): void {
    this.slowlog.reset();
  }

  startBgsave(): void {
    const persistence = this.store.persistence();
    if (persistence === null) throw new ReplyError('ERR no data directory: open(dir) a store to save snapshots');
    const refusal = persistence.jobRefusal('bgsave');
    if (refusal !== null) throw refusal;
    persistence.bgsave().catch(() => {});
  }

  startBgrewriteaof(): void {
    const persistence = this.store.persistence();
    if (persistence === null) throw new ReplyError('ERR no data directory: open(dir) a store to rewrite its AOF');
    const refusal = persistence.jobRefusal('rewrite');
    if (refusal !== null) throw refusal;
    persistence.bgrewriteaof().catch(() => {});
  }

  lastsave(): number {
    return this.store.persistence()?.lastsave ?? Math.floor(this.startedMs / 1000);
  }
}
