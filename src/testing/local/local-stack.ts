import { chmod, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expireSession } from '../expire-session.js';
import { fourLetterWord } from '../four-letter-word.js';
import type {
  ExpireSessionOptions,
  RedisServerOptions,
  StartedPostgres,
  StartedRedis,
  StartedRedisNode,
  StartedStack,
  StartedZooKeeper,
  StartedZooKeeperServer,
  ZooKeeperServerOptions,
} from '../types.js';
import { findLeader } from '../zookeeper-leader.js';
import { findServerBinaries } from './binaries.js';
import { findFreePort } from './free-port.js';
import { LocalServer, type LocalServerRecipe, type LocalServerSettings } from './local-server.js';
import { postgresRecipe, runAsSuperuser } from './postgres-server.js';
import { forgetDirectory, removeDirectoryOnExit } from './reaper.js';
import { formRedisCluster } from './redis-cluster.js';
import { redisRecipe } from './redis-server.js';
import { ServerSet } from './server-set.js';
import { zooKeeperRecipe, zooKeeperSettings } from './zookeeper-server.js';

const HOST = '127.0.0.1';
const DATABASE = 'zkoc';
const STOP_GRACE_MS = 3_000;
const DEFAULT_CLUSTER_NODE_TIMEOUT_MS = 1_000;

/** Launches servers in parallel; when one fails, the others are left for the caller's stop(). */
async function launchAll(servers: readonly LocalServer[]): Promise<void> {
  const failure = (await Promise.allSettled(servers.map((s) => s.launch()))).find(
    (r): r is PromiseRejectedResult => r.status === 'rejected',
  );
  if (failure) throw failure.reason;
}

class LocalZooKeeper extends LocalServer implements StartedZooKeeper {
  override readonly kind = 'zookeeper' as const;
  constructor(
    recipe: LocalServerRecipe,
    settings: LocalServerSettings,
    readonly id = 1,
  ) {
    super(recipe, settings);
  }
  get connectString(): string {
    return `${this.host}:${this.port}`;
  }
  get servers(): readonly StartedZooKeeperServer[] {
    return [this];
  }
  fourLetterWord(word: string, options?: { timeoutMs?: number }): Promise<string> {
    return fourLetterWord(this.host, this.port, word, options);
  }
  leader(options?: { timeoutMs?: number }): Promise<StartedZooKeeperServer> {
    return findLeader([this], options?.timeoutMs);
  }
}

/** A ZooKeeper ensemble: `connectString` lists every member. */
class LocalZooKeeperEnsemble extends ServerSet<LocalZooKeeper> implements StartedZooKeeper {
  override readonly kind = 'zookeeper' as const;
  readonly id = 1;
  get servers(): readonly StartedZooKeeperServer[] {
    return this.members;
  }
  get connectString(): string {
    return this.members.map((m) => m.connectString).join(',');
  }
  fourLetterWord(word: string, options?: { timeoutMs?: number }): Promise<string> {
    return this.members[0]!.fourLetterWord(word, options);
  }
  leader(options?: { timeoutMs?: number }): Promise<StartedZooKeeperServer> {
    return findLeader(this.members, options?.timeoutMs);
  }
}

class LocalRedis extends LocalServer implements StartedRedis {
  override readonly kind = 'redis' as const;
  readonly isCluster = false;
  get url(): string {
    return `redis://${this.host}:${this.port}`;
  }
  get urls(): readonly string[] {
    return [this.url];
  }
  get nodes(): readonly StartedRedisNode[] {
    return [this];
  }
}

/** A Redis Cluster: `urls` are every master's, the seeds for a cluster client. */
class LocalRedisCluster extends ServerSet<LocalRedis> implements StartedRedis {
  override readonly kind = 'redis' as const;
  readonly isCluster = true;
  get url(): string {
    return this.members[0]!.url;
  }
  get urls(): readonly string[] {
    return this.members.map((m) => m.url);
  }
  get nodes(): readonly StartedRedisNode[] {
    return this.members;
  }
}

class LocalPostgres extends LocalServer implements StartedPostgres {
  override readonly kind = 'postgres' as const;
  readonly database = DATABASE;
  get url(): string {
    return `postgres://postgres@${this.host}:${this.port}/${this.database}`;
  }
}

/** Options of {@link startLocalStack}. */
export interface LocalStackOptions {
  zookeeper?: ZooKeeperServerOptions;
  redis?: RedisServerOptions;
  startTimeoutMs: number;
  /** When the caller's clock started, for `startupMs`. */
  startedAt: number;
}

/**
 * Starts a fresh ZooKeeper, Redis and PostgreSQL (database `zkoc`) as child processes on free
 * loopback ports, in parallel, with data in a new temp directory. The reaper kills them and
 * removes the directory if this process dies without calling `stop()`.
 * @throws Error when a binary is missing (with the apt-get command); ConnectionError (with the
 *   server's log tail) when a server does not answer within `startTimeoutMs`. Nothing is left running.
 */
export async function startLocalStack(options: LocalStackOptions): Promise<StartedStack> {
  const binaries = await findServerBinaries();
  const dir = await mkdtemp(join(tmpdir(), 'zkoc-stack-'));
  removeDirectoryOnExit(dir);
  // PostgreSQL may run as another user (we are root): it must be able to reach its own subdirectory.
  await chmod(dir, 0o755);
  const settings = (name: string): LocalServerSettings => ({
    host: HOST,
    logFile: join(dir, `${name}.log`),
    startTimeoutMs: options.startTimeoutMs,
    stopGraceMs: STOP_GRACE_MS,
  });
  const deadline = options.startedAt + options.startTimeoutMs;

  let zookeeper: LocalZooKeeper | LocalZooKeeperEnsemble | undefined;
  let redis: LocalRedis | LocalRedisCluster | undefined;
  let postgres: LocalPostgres | undefined;
  const removeData = async (): Promise<void> => {
    await rm(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 50 });
    forgetDirectory(dir);
  };

  const zkSettings = zooKeeperSettings(options.zookeeper);
  const zkServers = options.zookeeper?.servers ?? 1;
  const launchZooKeeper = async (): Promise<void> => {
    if (zkServers === 1) {
      const zkDir = join(dir, 'zookeeper');
      await mkdir(zkDir);
      zookeeper = new LocalZooKeeper(zooKeeperRecipe(binaries, zkDir, zkSettings), settings('zookeeper'));
      await zookeeper.launch();
      return;
    }
    // Every member's zoo.cfg names every peer, so the quorum ports are chosen before any starts.
    const members: { peer: number; election: number }[] = [];
    for (let i = 0; i < zkServers; i += 1) members.push({ peer: await findFreePort(), election: await findFreePort() });
    const servers: LocalZooKeeper[] = [];
    for (let myid = 1; myid <= zkServers; myid += 1) {
      const zkDir = join(dir, `zookeeper-${myid}`);
      await mkdir(zkDir);
      servers.push(
        new LocalZooKeeper(
          zooKeeperRecipe(binaries, zkDir, zkSettings, { myid, members }),
          settings(`zookeeper-${myid}`),
          myid,
        ),
      );
    }
    zookeeper = new LocalZooKeeperEnsemble(servers);
    await launchAll(servers);
  };
  const cluster = options.redis?.cluster;
  const launchRedis = async (): Promise<void> => {
    if (!cluster) {
      const redisDir = join(dir, 'redis');
      redis = new LocalRedis(redisRecipe(binaries, redisDir), settings('redis'));
      await redis.launch();
      return;
    }
    let formed = false;
    const nodeSettings = {
      nodeTimeoutMs: cluster.nodeTimeoutMs ?? DEFAULT_CLUSTER_NODE_TIMEOUT_MS,
      isFormed: () => formed,
    };
    const nodes = Array.from(
      { length: cluster.masters },
      (_, i) =>
        new LocalRedis(redisRecipe(binaries, join(dir, `redis-${i + 1}`), nodeSettings), settings(`redis-${i + 1}`)),
    );
    redis = new LocalRedisCluster(nodes);
    await launchAll(nodes);
    await formRedisCluster(
      nodes.map((n) => n.port),
      deadline,
    );
    formed = true;
  };
  const launchPostgres = async (): Promise<void> => {
    const recipe: LocalServerRecipe = await postgresRecipe(binaries, join(dir, 'postgres'), options.startTimeoutMs);
    postgres = new LocalPostgres(recipe, settings('postgres'));
    await postgres.launch();
    await runAsSuperuser(
      postgres.port,
      'postgres',
      `CREATE DATABASE ${DATABASE}`,
      Math.max(1_000, deadline - Date.now()),
    );
  };

  const results = await Promise.allSettled([launchZooKeeper(), launchRedis(), launchPostgres()]);
  const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failure || !zookeeper || !redis || !postgres) {
    await Promise.allSettled([zookeeper?.stop(), redis?.stop(), postgres?.stop()]);
    await removeData();
    throw failure?.reason ?? new Error('local stack did not start');
  }
  const started = { zookeeper, redis, postgres };
  const startupMs = Date.now() - options.startedAt;

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      await Promise.allSettled([started.zookeeper.stop(), started.redis.stop(), started.postgres.stop()]);
      await removeData();
    })();
    return stopping;
  };

  return {
    provider: 'local',
    startupMs,
    zookeeper: started.zookeeper,
    redis: started.redis,
    postgres: started.postgres,
    expireSession: (sessionId: Buffer, password: Buffer, expireOptions?: ExpireSessionOptions) =>
      expireSession(started.zookeeper.connectString, sessionId, password, expireOptions?.timeoutMs),
    stop,
    [Symbol.asyncDispose]: stop,
  };
}
