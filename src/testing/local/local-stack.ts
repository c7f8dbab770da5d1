import { chmod, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assembleStack } from '../stack/assemble-stack.js';
import type { RedisServerOptions, StartedStack, ZooKeeperServerOptions } from '../types.js';
import { findServerBinaries } from './binaries.js';
import { findFreePort } from './free-port.js';
import { LocalServer, type LocalServerRecipe, type LocalServerSettings } from './local-server.js';
import { postgresRecipe, runAsSuperuser } from './postgres-server.js';
import { forgetDirectory, removeDirectoryOnExit } from './reaper.js';
import { formRedisCluster } from './redis-cluster.js';
import { redisRecipe } from './redis-server.js';
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

  // Every server created so far, so that a failed start stops exactly what it launched.
  const created: LocalServer[] = [];
  const create = (recipe: LocalServerRecipe, name: string): LocalServer => {
    const server = new LocalServer(recipe, settings(name));
    created.push(server);
    return server;
  };
  const removeData = async (): Promise<void> => {
    await rm(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 50 });
    forgetDirectory(dir);
  };

  const zkSettings = zooKeeperSettings(options.zookeeper);
  const zkServers = options.zookeeper?.servers ?? 1;
  const launchZooKeeper = async (): Promise<LocalServer[]> => {
    if (zkServers === 1) {
      const zkDir = join(dir, 'zookeeper');
      await mkdir(zkDir);
      const server = create(zooKeeperRecipe(binaries, zkDir, zkSettings), 'zookeeper');
      await server.launch();
      return [server];
    }
    // Every member's zoo.cfg names every peer, so the quorum ports are chosen before any starts.
    const members: { peer: number; election: number }[] = [];
    for (let i = 0; i < zkServers; i += 1) members.push({ peer: await findFreePort(), election: await findFreePort() });
    const servers: LocalServer[] = [];
    for (let myid = 1; myid <= zkServers; myid += 1) {
      const zkDir = join(dir, `zookeeper-${myid}`);
      await mkdir(zkDir);
      servers.push(create(zooKeeperRecipe(binaries, zkDir, zkSettings, { myid, members }), `zookeeper-${myid}`));
    }
    await launchAll(servers);
    return servers;
  };
  const cluster = options.redis?.cluster;
  const launchRedis = async (): Promise<LocalServer[]> => {
    if (!cluster) {
      const server = create(redisRecipe(binaries, join(dir, 'redis')), 'redis');
      await server.launch();
      return [server];
    }
    let formed = false;
    const nodeSettings = {
      nodeTimeoutMs: cluster.nodeTimeoutMs ?? DEFAULT_CLUSTER_NODE_TIMEOUT_MS,
      isFormed: () => formed,
    };
    const nodes = Array.from({ length: cluster.masters }, (_, i) =>
      create(redisRecipe(binaries, join(dir, `redis-${i + 1}`), nodeSettings), `redis-${i + 1}`),
    );
    await launchAll(nodes);
    await formRedisCluster(
      nodes.map((n) => n.port),
      deadline,
    );
    formed = true;
    return nodes;
  };
  const launchPostgres = async (): Promise<LocalServer> => {
    const server = create(await postgresRecipe(binaries, join(dir, 'postgres'), options.startTimeoutMs), 'postgres');
    await server.launch();
    await runAsSuperuser(
      server.port,
      'postgres',
      `CREATE DATABASE ${DATABASE}`,
      Math.max(1_000, deadline - Date.now()),
    );
    return server;
  };

  const [zookeeper, redis, postgres] = await Promise.allSettled([launchZooKeeper(), launchRedis(), launchPostgres()]);
  if (zookeeper.status === 'rejected' || redis.status === 'rejected' || postgres.status === 'rejected') {
    await Promise.allSettled(created.map((s) => s.stop()));
    await removeData();
    throw [zookeeper, redis, postgres].find((r): r is PromiseRejectedResult => r.status === 'rejected')!.reason;
  }
  return assembleStack({
    provider: 'local',
    startedAt: options.startedAt,
    zookeeper: { servers: zookeeper.value },
    redis: { nodes: redis.value, cluster: cluster !== undefined },
    postgres: { server: postgres.value, database: DATABASE },
    stop: async () => {
      await Promise.allSettled(created.map((s) => s.stop()));
      await removeData();
    },
  });
}
