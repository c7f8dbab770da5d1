import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { Redis } from 'ioredis';
import pg from 'pg';

/**
 * Shared external servers, made private to one test file: a database of its own on the
 * PostgreSQL, a chroot of its own on the ZooKeeper, a logical database of its own on the Redis.
 * Test files run in parallel and reuse namespaces, keys and tables; these keep them apart.
 */
export interface Isolation {
  /** The env an external stack of this file reads: ZKOC_ZK, ZKOC_REDIS and DATABASE_URL, each isolated. */
  readonly env: { ZKOC_ZK: string; ZKOC_REDIS: string; DATABASE_URL: string };
  /** Drops the database, the chroot and the Redis keys, and frees the Redis database. */
  release(): Promise<void>;
}

interface RawZooKeeper {
  connect(): void;
  close(): void;
  once(event: 'connected', listener: () => void): void;
  mkdirp(path: string, callback: (error: Error | null) => void): void;
  getChildren(path: string, callback: (error: ZooKeeperError | null, children: string[]) => void): void;
  remove(path: string, callback: (error: ZooKeeperError | null) => void): void;
}
type ZooKeeperError = Error & { getCode(): number };
const NO_NODE = -101;
const zookeeper = createRequire(import.meta.url)('node-zookeeper-client') as {
  createClient(connectString: string, options?: { sessionTimeout?: number }): RawZooKeeper;
};

const CHROOT_PARENT = '/zkoc-tests';
/** Redis databases 1..15 are handed out; database 0 holds the claims. */
const REDIS_DATABASES = 15;
/** In database 0: a live claim (expires, so a crashed run frees it)… */
const CLAIM_PREFIX = 'zkoc-tests:claim:';
/** …and a lasting mark that the database's keys are the suite's, so a crashed run's leftovers may be flushed. */
const OWNED_PREFIX = 'zkoc-tests:owned:';
const CLAIM_TTL_MS = 30 * 60_000;
const TIMEOUT_MS = 10_000;

/** Sets up the three private spaces for one test file; on failure, releases what it created. */
export async function isolate(env: { ZKOC_ZK: string; ZKOC_REDIS: string; DATABASE_URL: string }): Promise<Isolation> {
  const token = `${process.pid}_${randomBytes(4).toString('hex')}`;
  const undo: (() => Promise<void>)[] = [];
  const release = async (): Promise<void> => {
    const failures = (
      await Promise.allSettled(
        undo
          .splice(0)
          .reverse()
          .map((u) => u()),
      )
    ).filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failures.length > 0)
      throw new AggregateError(
        failures.map((f) => f.reason),
        'releasing the test file’s isolation failed',
      );
  };
  try {
    const database = `zkoc_t_${token}`;
    await postgres(env.DATABASE_URL, `CREATE DATABASE ${database}`);
    undo.push(() => postgres(env.DATABASE_URL, `DROP DATABASE IF EXISTS ${database} WITH (FORCE)`));
    const databaseUrl = new URL(env.DATABASE_URL);
    databaseUrl.pathname = `/${database}`;

    const chroot = `${CHROOT_PARENT}/${token}`;
    await onZooKeeper(env.ZKOC_ZK, (client, done) => client.mkdirp(chroot, done));
    undo.push(() =>
      onZooKeeper(env.ZKOC_ZK, (client, done) => removeTree(client, chroot).then(() => done(null), done)),
    );

    const redisDb = await claimRedisDatabase(env.ZKOC_REDIS, token);
    undo.push(() => freeRedisDatabase(env.ZKOC_REDIS, redisDb, token));
    const redisUrl = new URL(env.ZKOC_REDIS);
    redisUrl.pathname = `/${redisDb}`;

    return {
      env: { ZKOC_ZK: `${env.ZKOC_ZK}${chroot}`, ZKOC_REDIS: redisUrl.href, DATABASE_URL: databaseUrl.href },
      release,
    };
  } catch (error) {
    await release().catch(() => undefined);
    throw error;
  }
}

async function postgres(url: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: TIMEOUT_MS });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** Runs one callback-style operation on a fresh ZooKeeper client, bounded by TIMEOUT_MS. */
function onZooKeeper(
  connectString: string,
  operation: (client: RawZooKeeper, done: (error: Error | null) => void) => void,
): Promise<void> {
  const client = zookeeper.createClient(connectString, { sessionTimeout: TIMEOUT_MS });
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`ZooKeeper ${connectString} did not answer within ${TIMEOUT_MS} ms`)),
      TIMEOUT_MS,
    );
    client.once('connected', () =>
      operation(client, (error) => {
        clearTimeout(timer);
        if (error) reject(error);
        else resolve();
      }),
    );
    client.connect();
  }).finally(() => client.close());
}

/**
 * Deletes `path` and everything under it, children first. Not node-zookeeper-client's
 * removeRecursive: its listing stops two levels down, so deleting the chroot failed with NOT_EMPTY.
 */
async function removeTree(client: RawZooKeeper, path: string): Promise<void> {
  const children = await new Promise<string[]>((resolve, reject) =>
    client.getChildren(path, (error, names) =>
      error && error.getCode() !== NO_NODE ? reject(error) : resolve(error ? [] : names),
    ),
  );
  for (const child of children) await removeTree(client, `${path}/${child}`);
  await new Promise<void>((resolve, reject) =>
    client.remove(path, (error) => (error && error.getCode() !== NO_NODE ? reject(error) : resolve())),
  );
}

function redisOn(url: string, db: number): Redis {
  return new Redis(url, { db, lazyConnect: true, maxRetriesPerRequest: 1, connectTimeout: TIMEOUT_MS });
}

/**
 * Claims the first Redis database that is free (no live claim) and is either empty or marked
 * as the suite's: a database holding someone else's keys is never touched.
 */
async function claimRedisDatabase(url: string, token: string): Promise<number> {
  const claims = redisOn(url, 0);
  try {
    for (let db = 1; db <= REDIS_DATABASES; db += 1) {
      if ((await claims.set(`${CLAIM_PREFIX}${db}`, token, 'PX', CLAIM_TTL_MS, 'NX')) !== 'OK') continue;
      const space = redisOn(url, db);
      try {
        if ((await space.dbsize()) === 0 || (await claims.exists(`${OWNED_PREFIX}${db}`)) === 1) {
          await claims.set(`${OWNED_PREFIX}${db}`, token);
          await space.flushdb();
          return db;
        }
      } finally {
        space.disconnect();
      }
      await claims.del(`${CLAIM_PREFIX}${db}`);
    }
  } finally {
    claims.disconnect();
  }
  throw new Error(
    `no Redis database of ${url.replace(/\/\/[^@]*@/, '//…@')} is free for this test file: databases 1-${REDIS_DATABASES} are claimed or hold keys that are not the suite's`,
  );
}

async function freeRedisDatabase(url: string, db: number, token: string): Promise<void> {
  const space = redisOn(url, db);
  const claims = redisOn(url, 0);
  try {
    await space.flushdb();
    await claims.del(`${OWNED_PREFIX}${db}`);
    if ((await claims.get(`${CLAIM_PREFIX}${db}`)) === token) await claims.del(`${CLAIM_PREFIX}${db}`);
  } finally {
    space.disconnect();
    claims.disconnect();
  }
}
