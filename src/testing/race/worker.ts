// A race worker process (`runRace` forks P of them): one ZooKeeper session for the lock-only
// strategy, an OrderedCache for the ordered one, a plain Redis client and a PostgreSQL pool.
// It speaks the line protocol (../worker/line-protocol.ts); several commands may be in flight at
// once (a held read waits for its `go`).
import { Redis } from 'ioredis';
import pg from 'pg';
import Redlock from 'redlock';
import { OrderedCache } from '../../cache/ordered-cache.js';
import { LockManager } from '../../zookeeper/lock-manager.js';
import { ZooKeeperConnection } from '../../zookeeper/zookeeper-connection.js';
import { emit, serveWorker } from '../worker/serve-worker.js';
import {
  type Holds,
  lockOnlyRoot,
  plainRedisKey,
  type ReadCommand,
  type StampedeCommand,
  type WorkerCommand,
  type WorkerConfig,
  type WriteCommand,
} from './protocol.js';
import { REMEDIES, type RemedyEnv } from './remedies/index.js';
import { lockTtlOf } from './remedies/remedy.js';
import { describeEvent, TRAIL_EVENTS, Trails } from './trails.js';
import { type FailureShape, failureLabel, retryTransient } from './transient.js';
import { isRemedy } from './types.js';
import { WorkerSteps } from './worker-steps.js';

/** Plain keys get a TTL like any cache-aside entry; long enough to outlive a run. */
const PLAIN_TTL_MS = 600_000;
/** Waiting for a lock held by a paused process lasts a session timeout; never give up before it. */
const LOCK_TIMEOUT_MS = 30_000;

const config = JSON.parse(process.argv[2] ?? '{}') as WorkerConfig;
const sleep = (ms: number): Promise<void> =>
  ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve();

const pool = new pg.Pool({ connectionString: config.postgres, max: 8 });
const redis = new Redis(config.redis, { maxRetriesPerRequest: 2 });
// A server that restarts (chaos) drops idle connections: the pool/client reconnect on their own and
// the failing command reports the error; without these listeners the 'error' event kills the process.
pool.on('error', () => {});
redis.on('error', () => {});
const zookeeper = { connectString: config.zookeeper, sessionTimeoutMs: config.sessionTimeoutMs };
const lockConnection = await ZooKeeperConnection.connect(zookeeper);
const locks = new LockManager(lockConnection, {
  root: lockOnlyRoot(config.namespace),
  label: config.label,
  timeoutMs: LOCK_TIMEOUT_MS,
});
const cache = await OrderedCache.connect<string>({
  zookeeper,
  redis: config.redis,
  namespace: config.namespace,
  lockTimeoutMs: LOCK_TIMEOUT_MS,
  ttlMs: PLAIN_TTL_MS,
  label: config.label,
});
// Redlock's three servers, with the package's default settings.
const redlockClients = (config.redlock ?? []).map((url) => new Redis(url, { maxRetriesPerRequest: 2 }));
for (const client of redlockClients) client.on('error', () => {});
const remedyEnv: RemedyEnv = {
  redis,
  namespace: config.namespace,
  ttlMs: PLAIN_TTL_MS,
  lockTtlMs: lockTtlOf(config.sessionTimeoutMs),
  commit: (rowId, price) => commit(rowId, price),
  ...(redlockClients.length > 0 ? { redlock: new Redlock(redlockClients) } : {}),
};
const steps = new WorkerSteps(emit);
const trails = new Trails();
for (const name of TRAIL_EVENTS) {
  cache.events.on(name, (event: { key: string }) => trails.noteKey(event.key, describeEvent(name, event)));
}
locks.on('node-recreated', (key) => trails.noteKey(key, 'lock-only: node-recreated'));

/** Retries since the last `stats` command, by cause (chaos runs only). */
const retried = new Map<string, number>();
const countRetry = (failure: FailureShape): void => {
  const label = failureLabel(failure);
  retried.set(label, (retried.get(label) ?? 0) + 1);
};

interface Row {
  value: string;
  timestamp: bigint;
}

async function loadRow(rowId: number): Promise<Row> {
  const { rows } = await pool.query<{ price: string; v: string }>(
    `SELECT price, cache_version::text AS v FROM ${config.table} WHERE id = $1`,
    [rowId],
  );
  const row = rows[0];
  if (!row) throw new Error(`race worker: row ${rowId} of ${config.table} does not exist`);
  return { value: row.price, timestamp: BigInt(row.v) };
}

function readHolds(command: ReadCommand): Holds | undefined {
  return command.holdTag === undefined ? command.holds : { ...command.holds, loaded: command.holdTag };
}

async function read(
  command: ReadCommand,
  countLoad: () => void = () => {},
): Promise<{ loaded: boolean; value: string }> {
  await sleep(command.startDelayMs);
  return steps.timed('read', (injected) => readNow(command, countLoad, injected));
}

async function readNow(
  command: ReadCommand,
  countLoad: () => void,
  injected: number[],
): Promise<{ loaded: boolean; value: string }> {
  const holds = readHolds(command);
  const fetch = async (): Promise<Row> => {
    countLoad();
    steps.countLoad();
    return loadRow(command.rowId);
  };
  const load = async (): Promise<Row> => {
    const row = await fetch();
    await steps.pauseAt(holds, 'loaded', command.loadDelayMs, injected);
    return row;
  };
  if (isRemedy(command.strategy))
    return REMEDIES[command.strategy].read(remedyEnv, {
      command,
      fetch,
      pauseAt: (point) => steps.pauseAt(holds, point, point === 'loaded' ? command.loadDelayMs : 0, injected),
    });
  if (command.strategy === 'ordered') {
    let loaded = false;
    const value = await cache.get(command.key, async () => {
      loaded = true;
      return load();
    });
    return { loaded, value: value ?? '' };
  }
  const redisKey = plainRedisKey(config.namespace, command.strategy, command.key);
  const hit = await redis.get(redisKey);
  if (hit !== null) return { loaded: false, value: hit };
  if (command.strategy === 'naive') {
    const row = await load();
    await redis.set(redisKey, row.value, 'PX', PLAIN_TTL_MS);
    return { loaded: true, value: row.value };
  }
  // lock-only: lock, re-check, load, SET; the SET does not look at the lock's signal, as in most
  // lock-based cache code (checking it first would only narrow the window: a pause can fall after the check).
  const lock = await locks.acquire(command.key);
  try {
    const again = await redis.get(redisKey);
    if (again !== null) return { loaded: false, value: again };
    const row = await load();
    await redis.set(redisKey, row.value, 'PX', PLAIN_TTL_MS);
    return { loaded: true, value: row.value };
  } finally {
    await lock.release().catch(() => {});
  }
}

async function commit(rowId: number, price: string): Promise<bigint> {
  const { rows } = await pool.query<{ v: string }>(
    `UPDATE ${config.table} SET price = $2 WHERE id = $1 RETURNING cache_version::text AS v`,
    [rowId, price],
  );
  return BigInt(rows[0]!.v);
}

async function write(command: WriteCommand): Promise<{ version: bigint }> {
  await sleep(command.startDelayMs);
  return steps.timed('write', (injected) => writeNow(command, injected));
}

async function writeNow(command: WriteCommand, injected: number[]): Promise<{ version: bigint }> {
  const racyPoint = () => steps.pauseAt(command.holds, 'committed', command.commitDelayMs, injected);
  if (isRemedy(command.strategy)) {
    const remedy = REMEDIES[command.strategy];
    const writeSteps = {
      command,
      pauseAt: (point: 'committed' | 'cached') => steps.pauseAt(command.holds, point, command.commitDelayMs, injected),
    };
    return retryTransient(() => remedy.write(remedyEnv, writeSteps), config.retry, countRetry);
  }
  if (command.strategy === 'ordered') {
    // Commit, then the cache write carries the committed version: the compare script orders it.
    // Under chaos each step is retried as it is (the documented policy): same key, same version.
    const version = await retryTransient(() => commit(command.rowId, command.price), config.retry, countRetry);
    await racyPoint();
    if (command.mode === 'invalidate')
      await retryTransient(() => cache.invalidate(command.key, version), config.retry, countRetry);
    else await retryTransient(() => cache.set(command.key, command.price, version), config.retry, countRetry);
    return { version };
  }
  const redisKey = plainRedisKey(config.namespace, command.strategy, command.key);
  const update = async (): Promise<bigint> => {
    const version = await commit(command.rowId, command.price);
    await racyPoint();
    if (command.mode === 'invalidate') await redis.del(redisKey);
    else await redis.set(redisKey, command.price, 'PX', PLAIN_TTL_MS);
    return version;
  };
  if (command.strategy === 'naive') return { version: await retryTransient(update, config.retry, countRetry) };
  // Under chaos the whole locked update is retried: a lost lock must be taken again.
  return retryTransient(
    async () => {
      const lock = await locks.acquire(command.key);
      try {
        return { version: await update() };
      } finally {
        await lock.release().catch(() => {});
      }
    },
    config.retry,
    countRetry,
  );
}

/** A read, retried as a whole under chaos; a held read (paused-holder) never is: its `go` comes once. */
function retriedRead(
  command: ReadCommand,
  countLoad?: () => void,
  onRetry?: () => void,
): Promise<{ loaded: boolean; value: string }> {
  return trails.track('read', command.key, (note) => {
    if (command.holdTag !== undefined || command.holds !== undefined) return read(command, countLoad);
    return retryTransient(
      () => read(command, countLoad),
      config.retry,
      (failure) => {
        countRetry(failure);
        note(`retry after ${failureLabel(failure)}`);
        onRetry?.();
      },
    );
  });
}

async function stampede(command: StampedeCommand): Promise<{ loads: number; values: string[]; retries: number }> {
  let loads = 0;
  let retries = 0;
  const values = await Promise.all(
    Array.from({ length: command.concurrency }, (_, i) =>
      retriedRead(
        {
          op: 'read',
          strategy: command.strategy,
          key: command.key,
          rowId: command.rowId,
          startDelayMs: command.startDelaysMs[i] ?? 0,
          loadDelayMs: command.loadDelayMs,
        },
        () => (loads += 1),
        () => (retries += 1),
      ),
    ),
  );
  return { loads, values: [...new Set(values.map((v) => v.value))], retries };
}

async function close(): Promise<Record<string, never>> {
  await cache.close();
  await locks.settled().catch(() => {});
  await lockConnection.close();
  redis.disconnect();
  for (const client of redlockClients) client.disconnect();
  await pool.end();
  setImmediate(() => process.exit(0));
  return {};
}

async function handle(command: WorkerCommand): Promise<object> {
  switch (command.op) {
    case 'read':
      return retriedRead(command);
    case 'write':
      return trails.track('write', command.key, () => write(command));
    case 'stampede':
      return stampede(command);
    case 'go':
      steps.go(command.tag);
      return {};
    case 'stats': {
      const retries = Object.fromEntries(retried);
      retried.clear();
      return { retries, ...steps.drain() };
    }
    case 'dump':
      return { commands: trails.snapshot() };
    case 'close':
      return close();
  }
}

await serveWorker(handle);
// stdin closed: the parent is gone.
process.exit(0);
