import { InvalidOptionsError } from '../../errors.js';
import { assembleStack } from '../stack/assemble-stack.js';
import { POSTGRES_SETTINGS, postgresSettingArgs } from '../stack/postgres-settings.js';
import type { StartedStack, ZooKeeperServerOptions } from '../types.js';
import { ContainerServer } from './container-server.js';

const DATABASE = 'zkoc';

/** Options of {@link startContainerStack}. */
export interface ContainerStackOptions {
  zookeeper?: ZooKeeperServerOptions;
  startTimeoutMs: number;
  startedAt: number;
}

type Testcontainers = typeof import('testcontainers');

/** testcontainers is an optional peer dependency: load it only when this provider is chosen. */
async function loadTestcontainers(): Promise<Testcontainers> {
  try {
    return await import('testcontainers');
  } catch (cause) {
    throw new InvalidOptionsError(
      `provider 'containers' needs the optional package testcontainers (npm install -D testcontainers); ${String(cause)}`,
    );
  }
}

/**
 * ZooKeeper 3.8, Redis 7 and PostgreSQL 16 in containers (testcontainers; needs a Docker engine).
 * `pid` is undefined; pause/resume use `docker pause`/`unpause`; ports may change on restart.
 * @throws InvalidOptionsError when testcontainers is not installed; its own errors when Docker fails.
 */
export async function startContainerStack(options: ContainerStackOptions): Promise<StartedStack> {
  const tc = await loadTestcontainers();
  const { GenericContainer, Wait } = tc;
  const zk = options.zookeeper ?? {};
  const tickTimeMs = zk.tickTimeMs ?? 200;
  const extra = [
    `minSessionTimeout=${zk.minSessionTimeoutMs ?? 2 * tickTimeMs}`,
    `maxSessionTimeout=${zk.maxSessionTimeoutMs ?? 60_000}`,
    `forceSync=${zk.fsync === false ? 'no' : 'yes'}`,
  ].join(' ');
  const [zkStart, redisStart, pgStart] = await Promise.allSettled([
    new GenericContainer('zookeeper:3.8')
      .withEnvironment({
        ZOO_TICK_TIME: String(tickTimeMs),
        ZOO_4LW_COMMANDS_WHITELIST: '*',
        ZOO_CFG_EXTRA: extra,
        ZOO_STANDALONE_ENABLED: 'true',
      })
      .withExposedPorts(2181)
      .withWaitStrategy(Wait.forLogMessage(/binding to port|PrepRequestProcessor.*started/))
      .withStartupTimeout(options.startTimeoutMs)
      .start(),
    new GenericContainer('redis:7')
      .withCommand(['redis-server', '--save', '', '--appendonly', 'no'])
      .withExposedPorts(6379)
      .withWaitStrategy(Wait.forLogMessage(/Ready to accept connections/))
      .withStartupTimeout(options.startTimeoutMs)
      .start(),
    new GenericContainer('postgres:16')
      .withEnvironment({ POSTGRES_HOST_AUTH_METHOD: 'trust', POSTGRES_DB: DATABASE })
      .withCommand(['postgres', ...postgresSettingArgs(POSTGRES_SETTINGS)])
      .withExposedPorts(5432)
      .withWaitStrategy(Wait.forLogMessage(/database system is ready to accept connections/, 2))
      .withStartupTimeout(options.startTimeoutMs)
      .start(),
  ]);
  if (zkStart.status === 'rejected' || redisStart.status === 'rejected' || pgStart.status === 'rejected') {
    const started = [zkStart, redisStart, pgStart].flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    await Promise.allSettled(started.map((c) => c.stop({ remove: true })));
    throw [zkStart, redisStart, pgStart].find((r): r is PromiseRejectedResult => r.status === 'rejected')!.reason;
  }

  const servers = {
    zookeeper: new ContainerServer('zookeeper', zkStart.value, 2181, tc),
    redis: new ContainerServer('redis', redisStart.value, 6379, tc),
    postgres: new ContainerServer('postgres', pgStart.value, 5432, tc),
  };
  return assembleStack({
    provider: 'containers',
    startedAt: options.startedAt,
    zookeeper: { servers: [servers.zookeeper] },
    redis: { nodes: [servers.redis], cluster: false },
    postgres: { server: servers.postgres, database: DATABASE },
    stop: async () => {
      await Promise.allSettled(Object.values(servers).map((s) => s.remove()));
    },
  });
}
