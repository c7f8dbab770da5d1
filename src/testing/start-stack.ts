import { InvalidOptionsError } from '../errors.js';
import { dockerEngineAnswers } from './docker-probe.js';
import { externalStack } from './external-stack.js';
import { startLocalStack } from './local/local-stack.js';
import { checkStackProvider, parseStackOptions } from './stack-options.js';
import type { StackProvider, StartedStack, StartStackOptions } from './types.js';

/**
 * Resolves `auto` (and the env default): `containers` when a Docker engine answers within 2 s,
 * else `local`. Concrete choices are returned as they are.
 * @throws InvalidOptionsError for an unknown provider name.
 */
export async function resolveStackProvider(
  choice: string | undefined = process.env.ZKOC_STACK_PROVIDER || 'auto',
): Promise<StackProvider> {
  if (checkStackProvider(choice, 'provider (or env ZKOC_STACK_PROVIDER)') !== 'auto') return choice as StackProvider;
  return (await dockerEngineAnswers()) ? 'containers' : 'local';
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
  const { startTimeoutMs } = parseStackOptions(options);
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
