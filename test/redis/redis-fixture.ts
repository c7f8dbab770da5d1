import { Redis } from 'ioredis';
import { afterAll, beforeAll } from 'vitest';
import { OrderedStore, type OrderedStoreOptions } from '../../src/redis/index.js';
import type { StartedStack } from '../../src/testing/index.js';
import { startTestStack } from '../support/stack.js';

/** A started stack plus one ioredis connection, shared by the tests of one file. */
export interface RedisFixture {
  stack: StartedStack;
  redis: Redis;
  /** A store on the shared connection, namespace `t` unless overridden. */
  store<T = unknown>(options?: Partial<OrderedStoreOptions<T>>): OrderedStore<T>;
}

/** Starts the file's stack (test/support/stack.ts) in beforeAll and stops it in afterAll; read the fixture inside tests. */
export function useRedisFixture(): RedisFixture {
  const fixture = {} as RedisFixture;
  beforeAll(async () => {
    fixture.stack = await startTestStack();
    fixture.redis = new Redis(fixture.stack.redis.url, { maxRetriesPerRequest: 1, connectTimeout: 5_000 });
    fixture.store = <T>(options: Partial<OrderedStoreOptions<T>> = {}) =>
      new OrderedStore<T>(fixture.redis, { namespace: 't', writerLabel: 'test-writer', ...options });
  });
  afterAll(async () => {
    fixture.redis?.disconnect();
    await fixture.stack?.stop();
  });
  return fixture;
}
