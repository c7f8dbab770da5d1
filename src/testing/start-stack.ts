import { InvalidOptionsError } from '../errors.js';
import { dockerEngineAnswers } from './docker-probe.js';
import { externalStack } from './external-stack.js';
import { startLocalStack } from './local/local-stack.js';
import type { StackProvider, StackProviderChoice, StartedStack, StartStackOptions } from './types.js';

const PROVIDERS: readonly StackProviderChoice[] = ['local', 'containers', 'external', 'auto'];

/**
 * Resolves `auto` (and the env default): `containers` when a Docker engine answers within 2 s,
 * else `local`. Concrete choices are returned as they are.
 * @throws InvalidOptionsError for an unknown provider name.
 */
export async function resolveStackProvider(
  choice: string | undefined = process.env.ZKOC_STACK_PROVIDER || 'auto',
): Promise<StackProvider> {
  if (!PROVIDERS.includes(choice as StackProviderChoice)) {
    throw new InvalidOptionsError(
      `provider (or env ZKOC_STACK_PROVIDER) must be one of ${PROVIDERS.join(', ')}, got ${JSON.stringify(choice)}`,
    );
  }
  if (choice !== 'auto') return choice as StackProvider;
  return (await dockerEngineAnswers()) ? 'containers' : 'local';
}

function assertPositiveInteger(value: unknown, name: string): void {
  if (value !== undefined && (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0)) {
    throw new InvalidOptionsError(`${name} must be a positive integer, got ${String(value)}`);
  }
}

function assertTopology(options: StartStackOptions): void {
  const servers = options.zookeeper?.servers;
  if (
    servers !== undefined &&
    (!Number.isSafeInteger(servers) || servers < 1 || servers > 7 || (servers > 1 && servers % 2 === 0))
  ) {
    throw new InvalidOptionsError(
      `zookeeper.servers must be 1 or an odd number from 3 to 7 (a quorum needs a majority), got ${String(servers)}`,
    );
  }
  if (servers !== undefined && servers > 1 && options.zookeeper?.singleMemberEnsemble) {
    throw new InvalidOptionsError(
      'zookeeper.singleMemberEnsemble applies to one server only; drop it or set zookeeper.servers to 1',
    );
  }
  const cluster = options.redis?.cluster;
  if (cluster !== undefined) {
    const masters = cluster.masters;
    if (!Number.isSafeInteger(masters) || masters < 3 || masters > 16) {
      throw new InvalidOptionsError(
        `redis.cluster.masters must be an integer from 3 to 16 (Redis Cluster needs at least 3 masters), got ${String(masters)}`,
      );
    }
    assertPositiveInteger(cluster.nodeTimeoutMs, 'redis.cluster.nodeTimeoutMs');
  }
}

/**
 * Starts (or, for `external`, finds) a ZooKeeper, a Redis and a PostgreSQL for tests, demos and
 * benchmarks. Blocks until all three answer. Use `await using stack = await startStack()` or call
 * `stack.stop()`.
 *
 * ```ts
 * await using stack = await startStack({ provider: 'local', zookeeper: { fsync: false } });
 * const client = zookeeper.createClient(stack.zookeeper.connectString);
 * await stack.redis.pause();   // SIGSTOP: Redis stops answering
 *
 * // A 3-server ensemble and a 3-master Redis Cluster (local provider):
 * await using big = await startStack({ zookeeper: { servers: 3 }, redis: { cluster: { masters: 3 } } });
 * await (await big.zookeeper.leader()).kill();   // an election follows
 * await big.redis.nodes[1].pause();              // that master's slots stop answering
 * ```
 * @throws InvalidOptionsError for bad options; ConnectionError (with the server's log tail) when a
 *   server does not answer within `startTimeoutMs` (default 30 000); Error naming the missing
 *   binaries and the apt-get command when `local` cannot find a server.
 */
export async function startStack(options: StartStackOptions = {}): Promise<StartedStack> {
  const startedAt = Date.now();
  const startTimeoutMs = options.startTimeoutMs ?? 30_000;
  assertPositiveInteger(startTimeoutMs, 'startTimeoutMs');
  assertPositiveInteger(options.zookeeper?.tickTimeMs, 'zookeeper.tickTimeMs');
  assertPositiveInteger(options.zookeeper?.minSessionTimeoutMs, 'zookeeper.minSessionTimeoutMs');
  assertPositiveInteger(options.zookeeper?.maxSessionTimeoutMs, 'zookeeper.maxSessionTimeoutMs');
  assertTopology(options);
  const provider = await resolveStackProvider(options.provider ?? (process.env.ZKOC_STACK_PROVIDER || 'auto'));
  const wantsTopology = (options.zookeeper?.servers ?? 1) > 1 || options.redis?.cluster !== undefined;
  if (wantsTopology && provider !== 'local') {
    throw new InvalidOptionsError(
      `zookeeper.servers > 1 and redis.cluster need provider 'local' (got '${provider}'); with Docker use docker-compose.yml's profiles 'ensemble' and 'cluster' and provider 'external'`,
    );
  }
  switch (provider) {
    case 'local':
      return startLocalStack({ zookeeper: options.zookeeper, redis: options.redis, startTimeoutMs, startedAt });
    case 'external':
      return externalStack(startedAt);
    case 'containers': {
      const { startContainerStack } = await import('./containers/container-stack.js');
      return startContainerStack({ zookeeper: options.zookeeper, startTimeoutMs, startedAt });
    }
  }
}
