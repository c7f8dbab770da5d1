import { Redis } from 'ioredis';
import type { OrderedCacheOptions } from '../../src/cache/options.js';
import { OrderedCache } from '../../src/cache/ordered-cache.js';
import type { StartedStack } from '../../src/testing/index.js';

let namespaces = 0;

/** A cache on the stack in a namespace of its own, so tests in one file never see each other's keys. */
export async function openCache<T = unknown>(
  stack: StartedStack,
  overrides: Partial<OrderedCacheOptions<T>> = {},
): Promise<OrderedCache<T>> {
  namespaces += 1;
  return OrderedCache.connect<T>({
    zookeeper: { connectString: stack.zookeeper.connectString, sessionTimeoutMs: 4_000, connectTimeoutMs: 5_000 },
    redis: stack.redis.url,
    namespace: `t${process.pid}-${namespaces}`,
    lockTimeoutMs: 5_000,
    ...overrides,
  });
}

/** A plain Redis client for looking behind the cache's back. */
export async function rawRedis(stack: StartedStack): Promise<Redis> {
  const redis = new Redis(stack.redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  return redis;
}

/** A promise and the functions that settle it, for sequencing races deterministically. */
export function deferred<T = void>(): {
  promise: Promise<T>;
  resolve: (value: T) => void;
  reject: (error: unknown) => void;
} {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}
