import { Redis } from 'ioredis';
import { zookeeperHosts } from '../../zookeeper/connect-string.js';
import { fourLetterWord } from '../four-letter-word.js';
import type { WorkerStats } from './chaos-report.js';
import type { LatencySummary, RaceCosts } from './types.js';

interface Counters {
  redis?: number;
  zookeeper?: number;
}

/**
 * Counts the requests the servers processed, for the round trips per operation of a cell: Redis
 * `INFO stats` `total_commands_processed` (every Redis: the cache's and Redlock's) and ZooKeeper
 * `mntr` `zk_packets_received` (every server of the connect string). A server that does not
 * answer (a 4lw not whitelisted, a managed Redis without INFO) makes that count `undefined`.
 */
export class CostMeter {
  readonly #redis: Redis[];
  readonly #zookeeper: { host: string; port: number }[];
  #redisTotal = 0;
  #zookeeperTotal = 0;
  #redisOk = true;
  #zookeeperOk = true;

  constructor(redisUrls: readonly string[], zookeeperConnectString: string) {
    this.#redis = redisUrls.map((url) => new Redis(url, { maxRetriesPerRequest: 1, lazyConnect: true }));
    for (const client of this.#redis) client.on('error', () => {});
    this.#zookeeper = zookeeperHosts(zookeeperConnectString);
  }

  /** Counters now; pass two of them to {@link add} to count what happened between. */
  async snapshot(): Promise<Counters> {
    const [redis, zookeeper] = await Promise.all([this.#redisCount(), this.#zookeeperCount()]);
    return { redis, zookeeper };
  }

  /** Adds the requests between `before` and `after` (less this meter's own INFO) to the cell's totals. */
  add(before: Counters, after: Counters): void {
    if (before.redis === undefined || after.redis === undefined) this.#redisOk = false;
    // INFO and mntr count themselves: one per server in every snapshot.
    else this.#redisTotal += after.redis - before.redis - this.#redis.length;
    if (before.zookeeper === undefined || after.zookeeper === undefined) this.#zookeeperOk = false;
    else this.#zookeeperTotal += after.zookeeper - before.zookeeper - this.#zookeeper.length;
  }

  /**
   * The cell's costs from its counted requests, the workers' stats and its operations; resets the
   * totals. `counted` false: the cell's requests were not counted (its iterations overlapped), so
   * it reports none.
   */
  costs(stats: WorkerStats, operations: number, counted = true): RaceCosts {
    const per = (total: number, ok: boolean) =>
      counted && ok && operations > 0 ? Math.round((Math.max(0, total) / operations) * 100) / 100 : undefined;
    const reads = stats.reads.length;
    const costs: RaceCosts = {
      reads,
      writes: stats.writes.length,
      loads: stats.loads,
      ...(reads > 0 ? { loadsPer100Reads: Math.round((stats.loads / reads) * 1000) / 10 } : {}),
      ...optional('redisPerOperation', per(this.#redisTotal, this.#redisOk)),
      ...optional('zookeeperPerOperation', per(this.#zookeeperTotal, this.#zookeeperOk)),
      readMs: latency(stats.reads),
      writeMs: latency(stats.writes),
    };
    this.#redisTotal = 0;
    this.#zookeeperTotal = 0;
    this.#redisOk = true;
    this.#zookeeperOk = true;
    return costs;
  }

  close(): void {
    for (const client of this.#redis) client.disconnect();
  }

  async #redisCount(): Promise<number | undefined> {
    try {
      const infos = await Promise.all(this.#redis.map((client) => client.info('stats')));
      const total = infos.reduce(
        (sum, info) => sum + Number(/total_commands_processed:(\d+)/.exec(info)?.[1] ?? Number.NaN),
        0,
      );
      return Number.isNaN(total) ? undefined : total;
    } catch {
      return undefined;
    }
  }

  async #zookeeperCount(): Promise<number | undefined> {
    try {
      const replies = await Promise.all(
        this.#zookeeper.map(({ host, port }) => fourLetterWord(host, port, 'mntr', { timeoutMs: 1_000 })),
      );
      const total = replies.reduce(
        (sum, r) => sum + Number(/zk_packets_received\s+(\d+)/.exec(r)?.[1] ?? Number.NaN),
        0,
      );
      return Number.isNaN(total) ? undefined : total;
    } catch {
      return undefined;
    }
  }
}

function optional<K extends string>(key: K, value: number | undefined): Partial<Record<K, number>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, number>);
}

/** p50 and p99 by nearest rank. */
export function latency(samples: readonly number[]): LatencySummary {
  if (samples.length === 0) return { count: 0 };
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = (p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
  return { count: sorted.length, p50: rank(50), p99: rank(99) };
}
