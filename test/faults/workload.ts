import pg from 'pg';
import type { OrderedCache } from '../../src/cache/ordered-cache.js';
import { ensureVersionColumn, loadVersioned, updateVersioned } from '../../src/postgres/index.js';
import type { WriteResult } from '../../src/redis/entry.js';

/** The cache key of product `id`. */
export const keyOf = (id: number): string => `product:${id}`;

/** A pg pool for the stack that survives a PostgreSQL stop (idle clients' errors are expected then). */
export function openPool(url: string, max = 10): pg.Pool {
  const pool = new pg.Pool({ connectionString: url, max, connectionTimeoutMillis: 3_000, query_timeout: 5_000 });
  pool.on('error', () => {}); // an idle client whose server went away; the pool replaces it
  return pool;
}

/** Creates `products(id, price)` with `count` rows and the version column; returns the cache keys. */
export async function createProducts(pool: pg.Pool, count: number): Promise<string[]> {
  await pool.query('CREATE TABLE products (id int PRIMARY KEY, price int NOT NULL)');
  await pool.query('INSERT INTO products SELECT g, 100 FROM generate_series(1, $1) AS g', [count]);
  await ensureVersionColumn(pool, { table: 'products' });
  return Array.from({ length: count }, (_, i) => keyOf(i + 1));
}

const idOf = (key: string): number => Number(key.slice('product:'.length));

/** The loader a worker passes to `get`: value and version from one statement. */
export function productLoader(pool: pg.Pool, key: string) {
  return () =>
    loadVersioned<number>(pool, 'SELECT id, price, cache_version FROM products WHERE id = $1', [idOf(key)], {
      valueColumn: 'price',
    });
}

/**
 * The retry policy a worker applies, as documented for users: an operation that failed with an
 * absorbed error is retried (same key, same version: the timestamp makes a retry safe) up to
 * `attempts` times in all, `backoffMs` apart; any other error, or the last attempt's, is the worker's failure.
 */
export interface RetryPolicy {
  attempts: number;
  backoffMs: number;
  absorbs(error: unknown): boolean;
}

/** A typed error code, or the driver's (pg/ioredis/node) code, or the class name. */
export function errorCode(error: unknown): string {
  const e = error as { code?: unknown; name?: unknown };
  return typeof e?.code === 'string' ? e.code : typeof e?.name === 'string' ? e.name : 'unknown';
}

/** What a workload run did. */
export interface WorkloadStats {
  updates: number;
  reads: number;
  /** Write outcomes of the cache `set` after each committed update. */
  setStatus: Record<string, number>;
  /** Absorbed errors by code (each one cost a retry). */
  retried: Record<string, number>;
  /** Errors the policy did not absorb: each one is a test failure. */
  failures: { op: string; key: string; code: string; message: string }[];
}

/** Options of {@link runWorkload}. */
export interface WorkloadOptions {
  /** One cache per worker, or shared: the caller decides how many sessions there are. */
  caches: readonly OrderedCache<number>[];
  workers: number;
  pool: pg.Pool;
  keys: readonly string[];
  policy: RetryPolicy;
  /** Share of operations that are reads (`get` with the loader); the rest update the row then `set`. */
  readShare?: number;
  /** Keys a worker picks from; default: all. Lets a test pin workers to keys of one Redis node. */
  keysOfWorker?: (worker: number) => readonly string[];
  /** Called after each successful operation (for per-phase counting). */
  /** `status`: the write's result (`stale` may come without a Redis round trip: a newer local write was in flight). */
  onSuccess?: (op: 'read' | 'update', key: string, status?: WriteResult['status']) => void;
  /** Called after each absorbed error. */
  onRetry?: (op: 'read' | 'update', key: string, error: unknown) => void;
}

/**
 * Runs `workers` async loops of reads and updates until `stop()` is called, then waits for every
 * loop to finish its current operation (retries included) and resolves with what happened.
 */
export function runWorkload(options: WorkloadOptions): { stop(): Promise<WorkloadStats>; stats: WorkloadStats } {
  const stats: WorkloadStats = { updates: 0, reads: 0, setStatus: {}, retried: {}, failures: [] };
  let stopped = false;
  const readShare = options.readShare ?? 0.5;

  const attempt = async <R>(op: 'read' | 'update', key: string, run: () => Promise<R>): Promise<R | undefined> => {
    for (let n = 1; ; n += 1) {
      try {
        return await run();
      } catch (error) {
        if (n < options.policy.attempts && options.policy.absorbs(error)) {
          const code = errorCode(error);
          stats.retried[code] = (stats.retried[code] ?? 0) + 1;
          options.onRetry?.(op, key, error);
          await new Promise((resolve) => setTimeout(resolve, options.policy.backoffMs));
          continue;
        }
        stats.failures.push({
          op,
          key,
          code: errorCode(error),
          message: error instanceof Error ? error.message : String(error),
        });
        return undefined;
      }
    }
  };

  const worker = async (index: number): Promise<void> => {
    const cache = options.caches[index % options.caches.length]!;
    const keys = options.keysOfWorker?.(index) ?? options.keys;
    while (!stopped) {
      const key = keys[Math.floor(Math.random() * keys.length)]!;
      if (Math.random() < readShare) {
        const value = await attempt('read', key, () => cache.get(key, productLoader(options.pool, key)));
        if (value !== undefined) {
          stats.reads += 1;
          options.onSuccess?.('read', key);
        }
        continue;
      }
      // The database first (its own transaction, committed), then the ordered cache write.
      const updated = await attempt('update', key, () =>
        updateVersioned<number>(
          options.pool,
          'UPDATE products SET price = price + 1 WHERE id = $1 RETURNING id, price, cache_version',
          [idOf(key)],
          { valueColumn: 'price' },
        ),
      );
      if (!updated) continue;
      const result = await attempt('update', key, () => cache.set(key, updated.value, updated.timestamp));
      if (result) {
        stats.updates += 1;
        stats.setStatus[result.status] = (stats.setStatus[result.status] ?? 0) + 1;
        options.onSuccess?.('update', key, result.status);
      }
    }
  };

  const loops = Array.from({ length: options.workers }, (_, i) => worker(i));
  return {
    stats,
    async stop() {
      stopped = true;
      await Promise.all(loops);
      return stats;
    },
  };
}

/** One key whose cached entry differs from its row. */
export interface Mismatch {
  key: string;
  database: { price: number; version: string };
  cache: { price: unknown; version: string } | 'absent';
}

/**
 * Compares every key's cached entry (read with `peek`, which never loads) with its row. A cached
 * version below the row's is a stale value; `absent` entries are listed too (the caller decides
 * whether a key that was never cached counts).
 */
export async function compareCacheWithDatabase(
  cache: OrderedCache<number>,
  pool: pg.Pool,
  keys: readonly string[],
): Promise<Mismatch[]> {
  const { rows } = await pool.query<{ id: number; price: number; v: string }>(
    'SELECT id, price, cache_version::text AS v FROM products',
  );
  const byId = new Map(rows.map((r) => [r.id, r]));
  const mismatches: Mismatch[] = [];
  for (const key of keys) {
    const row = byId.get(idOf(key))!;
    const entry = await cache.peek(key);
    const database = { price: row.price, version: row.v };
    if (!entry) mismatches.push({ key, database, cache: 'absent' });
    else if (entry.kind !== 'value' || entry.timestamp.toString() !== row.v || entry.value !== row.price) {
      mismatches.push({
        key,
        database,
        cache: { price: entry.kind === 'value' ? entry.value : entry.kind, version: entry.timestamp.toString() },
      });
    }
  }
  return mismatches;
}
