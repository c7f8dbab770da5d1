import { InvalidOptionsError, type ServerKind } from '../../errors.js';
import { expireSession } from '../expire-session.js';
import { fourLetterWord } from '../four-letter-word.js';
import type {
  ExpireSessionOptions,
  StartedPostgres,
  StartedRedis,
  StartedServer,
  StartedStack,
  StartedZooKeeper,
  ZooKeeperServerOptions,
} from '../types.js';
import { findLeader } from '../zookeeper-leader.js';

/** Options of {@link startContainerStack}. */
export interface ContainerStackOptions {
  zookeeper?: ZooKeeperServerOptions;
  startTimeoutMs: number;
  startedAt: number;
}

type Testcontainers = typeof import('testcontainers');
type StartedTestContainer = import('testcontainers').StartedTestContainer;

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

/** One container with fault injection through the Docker API (pause = `docker pause`). */
class ContainerServer implements StartedServer {
  readonly kind: ServerKind;
  private paused = false;
  private running = true;

  constructor(
    kind: ServerKind,
    private readonly container: StartedTestContainer,
    private readonly internalPort: number,
    private readonly tc: Testcontainers,
  ) {
    this.kind = kind;
  }

  get host(): string {
    return this.container.getHost();
  }
  /** The mapped host port (Docker may map a new one after a restart). */
  get port(): number {
    return this.container.getMappedPort(this.internalPort);
  }
  get pid(): undefined {
    return undefined;
  }
  get isPaused(): boolean {
    return this.paused;
  }
  get isRunning(): boolean {
    return this.running;
  }
  private async docker() {
    return (await this.tc.getContainerRuntimeClient()).container.getById(this.container.getId());
  }
  async start(): Promise<void> {
    if (this.running) return;
    await this.container.restart();
    this.running = true;
  }
  async stop(): Promise<void> {
    if (!this.running) return;
    if (this.paused) await this.resume();
    await (await this.docker()).stop({ t: 3 });
    this.running = false;
  }
  async restart(): Promise<void> {
    if (this.paused) await this.resume();
    await this.container.restart();
    this.running = true;
  }
  async kill(): Promise<void> {
    if (!this.running) return;
    if (this.paused) await this.resume();
    await (await this.docker()).kill();
    this.running = false;
  }
  async pause(): Promise<void> {
    await (await this.docker()).pause();
    this.paused = true;
  }
  async resume(): Promise<void> {
    if (!this.paused) return;
    await (await this.docker()).unpause();
    this.paused = false;
  }
  async logTail(lines = 30): Promise<string> {
    const chunks: string[] = [];
    const stream = await this.container.logs({ tail: lines });
    await new Promise<void>((resolve) => {
      stream.on('data', (c: Buffer | string) => chunks.push(String(c)));
      stream.on('end', resolve);
      stream.on('error', () => resolve());
      setTimeout(resolve, 2_000);
    });
    return chunks.join('').trimEnd();
  }
  /** Removes the container for good. */
  async remove(): Promise<void> {
    if (this.paused) await this.resume().catch(() => {});
    await this.container.stop({ remove: true, timeout: 3_000 }).catch(() => {});
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
  const starts = [
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
      .withEnvironment({ POSTGRES_HOST_AUTH_METHOD: 'trust', POSTGRES_DB: 'zkoc' })
      .withCommand([
        'postgres',
        '-c',
        'fsync=off',
        '-c',
        'wal_level=logical',
        '-c',
        'max_replication_slots=16',
        '-c',
        'max_wal_senders=16',
      ])
      .withExposedPorts(5432)
      .withWaitStrategy(Wait.forLogMessage(/database system is ready to accept connections/, 2))
      .withStartupTimeout(options.startTimeoutMs)
      .start(),
  ];
  const results = await Promise.allSettled(starts);
  const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  const containers = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  if (failure) {
    await Promise.allSettled(containers.map((c) => c.stop({ remove: true })));
    throw failure.reason;
  }
  const [zkContainer, redisContainer, pgContainer] = containers as [
    StartedTestContainer,
    StartedTestContainer,
    StartedTestContainer,
  ];

  const zkServer = new ContainerServer('zookeeper', zkContainer, 2181, tc);
  // defineProperties, not Object.assign: the getters must stay live (ports can change on restart).
  const zookeeper = Object.defineProperties(zkServer, {
    id: { value: 1 },
    connectString: { get: () => `${zkServer.host}:${zkServer.port}` },
    fourLetterWord: {
      value: (word: string, o?: { timeoutMs?: number }) => fourLetterWord(zkServer.host, zkServer.port, word, o),
    },
    servers: { get: () => [zookeeper] },
    leader: { value: (o?: { timeoutMs?: number }) => findLeader([zookeeper], o?.timeoutMs) },
  }) as unknown as StartedZooKeeper;
  const redisServer = new ContainerServer('redis', redisContainer, 6379, tc);
  const redis = Object.defineProperties(redisServer, {
    url: { get: () => `redis://${redisServer.host}:${redisServer.port}` },
    isCluster: { value: false },
    urls: { get: () => [redis.url] },
    nodes: { get: () => [redis] },
  }) as unknown as StartedRedis;
  const pgServer = new ContainerServer('postgres', pgContainer, 5432, tc);
  const postgres = Object.defineProperties(pgServer, {
    database: { value: 'zkoc' },
    url: { get: () => `postgres://postgres@${pgServer.host}:${pgServer.port}/zkoc` },
  }) as unknown as StartedPostgres;
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= Promise.allSettled([zkServer.remove(), redisServer.remove(), pgServer.remove()]).then(() => undefined);
    return stopping;
  };
  return {
    provider: 'containers',
    startupMs: Date.now() - options.startedAt,
    zookeeper,
    redis,
    postgres,
    expireSession: (sessionId: Buffer, password: Buffer, o?: ExpireSessionOptions) =>
      expireSession(zookeeper.connectString, sessionId, password, o?.timeoutMs),
    stop,
    [Symbol.asyncDispose]: stop,
  };
}
