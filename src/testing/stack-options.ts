import {
  assertOptionsObject,
  describeValue,
  optionNamer,
  rejectUnknownKeys,
  type WholeNumberBounds,
  wholeNumber,
} from '../core/option-checks.js';
import { InvalidOptionsError } from '../errors.js';
import type { RedisServerOptions, StackProviderChoice, StartStackOptions, ZooKeeperServerOptions } from './types.js';

/** Every value `provider` (or env `ZKOC_STACK_PROVIDER`) may take. */
export const STACK_PROVIDERS: readonly StackProviderChoice[] = ['local', 'containers', 'external', 'auto'];

/** Defaults of {@link StartStackOptions} that startStack itself applies. */
export const STACK_DEFAULTS = Object.freeze({ startTimeoutMs: 30_000 });

/** {@link StartStackOptions} after validation; `provider` is still unresolved (`auto` or env). */
export interface ResolvedStackOptions {
  provider: StackProviderChoice | undefined;
  zookeeper: ZooKeeperServerOptions | undefined;
  redis: RedisServerOptions | undefined;
  startTimeoutMs: number;
}

const POSITIVE_MS: WholeNumberBounds = { min: 1, max: Number.MAX_SAFE_INTEGER, unit: 'ms' };
const STACK_KEYS: readonly (keyof StartStackOptions)[] = ['provider', 'zookeeper', 'redis', 'startTimeoutMs'];
const ZOOKEEPER_KEYS: readonly (keyof ZooKeeperServerOptions)[] = [
  'fsync',
  'tickTimeMs',
  'minSessionTimeoutMs',
  'maxSessionTimeoutMs',
  'singleMemberEnsemble',
  'servers',
];

/**
 * Rejects bad `startStack` options before any server starts: unknown keys, bad types, and
 * topologies a quorum or a Redis Cluster cannot have.
 * @throws InvalidOptionsError naming the option as written (`zookeeper.tickTimeMs`) and the value's type.
 */
export function parseStackOptions(options: StartStackOptions): ResolvedStackOptions {
  assertOptionsObject(options, 'startStack options');
  rejectUnknownKeys(options, STACK_KEYS, optionNamer());
  if (options.provider !== undefined) checkStackProvider(options.provider, 'provider');
  const startTimeoutMs = wholeNumber(
    options.startTimeoutMs,
    'startTimeoutMs',
    POSITIVE_MS,
    STACK_DEFAULTS.startTimeoutMs,
  );
  if (options.zookeeper !== undefined) checkZooKeeper(options.zookeeper);
  if (options.redis !== undefined) checkRedis(options.redis);
  return { provider: options.provider, zookeeper: options.zookeeper, redis: options.redis, startTimeoutMs };
}

/**
 * `choice` when it names a provider.
 * @throws InvalidOptionsError listing the providers.
 */
export function checkStackProvider(choice: unknown, name: string): StackProviderChoice {
  if (!STACK_PROVIDERS.includes(choice as StackProviderChoice)) {
    throw new InvalidOptionsError(`${name} must be one of ${STACK_PROVIDERS.join(', ')}, got ${describeValue(choice)}`);
  }
  return choice as StackProviderChoice;
}

function checkZooKeeper(zookeeper: ZooKeeperServerOptions): void {
  const name = optionNamer('zookeeper.');
  assertOptionsObject(zookeeper, 'zookeeper');
  rejectUnknownKeys(zookeeper, ZOOKEEPER_KEYS, name);
  for (const key of ['fsync', 'singleMemberEnsemble'] as const) {
    const value = zookeeper[key];
    if (value !== undefined && typeof value !== 'boolean') {
      throw new InvalidOptionsError(`${name(key)} must be a boolean, got ${describeValue(value)}`);
    }
  }
  for (const key of ['tickTimeMs', 'minSessionTimeoutMs', 'maxSessionTimeoutMs'] as const) {
    wholeNumber(zookeeper[key], name(key), POSITIVE_MS, 0);
  }
  const servers = zookeeper.servers;
  if (
    servers !== undefined &&
    (!Number.isSafeInteger(servers) || servers < 1 || servers > 7 || (servers > 1 && servers % 2 === 0))
  ) {
    throw new InvalidOptionsError(
      `zookeeper.servers must be 1 or an odd number from 3 to 7 (a quorum needs a majority), got ${describeValue(servers)}`,
    );
  }
  if (servers !== undefined && servers > 1 && zookeeper.singleMemberEnsemble) {
    throw new InvalidOptionsError(
      'zookeeper.singleMemberEnsemble applies to one server only; drop it or set zookeeper.servers to 1',
    );
  }
}

function checkRedis(redis: RedisServerOptions): void {
  assertOptionsObject(redis, 'redis');
  rejectUnknownKeys(redis, ['cluster'], optionNamer('redis.'));
  const cluster = redis.cluster;
  if (cluster === undefined) return;
  assertOptionsObject(cluster, 'redis.cluster');
  rejectUnknownKeys(cluster, ['masters', 'nodeTimeoutMs'], optionNamer('redis.cluster.'));
  const masters = cluster.masters;
  if (!Number.isSafeInteger(masters) || masters < 3 || masters > 16) {
    throw new InvalidOptionsError(
      `redis.cluster.masters must be an integer from 3 to 16 (Redis Cluster needs at least 3 masters), got ${describeValue(masters)}`,
    );
  }
  wholeNumber(cluster.nodeTimeoutMs, 'redis.cluster.nodeTimeoutMs', POSITIVE_MS, 0);
}
