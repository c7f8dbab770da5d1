import { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { CacheEvents } from '../../src/cache/events.js';
import { OrderedCache } from '../../src/cache/ordered-cache.js';
import { entryRedisKey } from '../../src/redis/index.js';
import type { StartedStack } from '../../src/testing/index.js';
import { slotRange } from '../../src/testing/local/redis-cluster.js';
import { needs, startTestStack } from '../support/stack.js';

const NAMESPACE = 'fail-open-cluster';
const COMMAND_TIMEOUT_MS = 500;

describe(
  "onCacheUnavailable: 'load' on a Redis Cluster with one master paused",
  needs('topology', 'a 3-master Redis Cluster with one master paused'),
  () => {
    let stack: StartedStack;
    let cache: OrderedCache<string>;
    /** A key whose entry lives on master 1 (the one paused). */
    let onPaused: string;

    beforeAll(async () => {
      stack = await startTestStack({ zookeeper: { fsync: false }, redis: { cluster: { masters: 3 } } });
      const cluster = new Cluster([{ host: '127.0.0.1', port: stack.redis.nodes[0]!.port }], { lazyConnect: true });
      await cluster.connect();
      try {
        const range = slotRange(1, 3);
        for (let i = 0; ; i += 1) {
          const slot = (await cluster.cluster('KEYSLOT', entryRedisKey(NAMESPACE, `k${i}`))) as number;
          if (slot >= range.first && slot <= range.last) {
            onPaused = `k${i}`;
            break;
          }
        }
      } finally {
        cluster.disconnect();
      }
      cache = await OrderedCache.connect<string>({
        zookeeper: { connectString: stack.zookeeper.connectString, sessionTimeoutMs: 6_000 },
        redis: [...stack.redis.urls],
        namespace: NAMESPACE,
        redisCommandTimeoutMs: COMMAND_TIMEOUT_MS,
        onCacheUnavailable: 'load',
      });
    });
    afterAll(async () => {
      await cache?.close();
      await stack?.stop();
    });

    it("a read of the paused master's slot is answered by the loader within the bound; after resume, by Redis", async () => {
      let loads = 0;
      const loader = async () => {
        loads += 1;
        return { value: `v${loads}`, timestamp: loads };
      };
      expect(await cache.getEntry(onPaused, loader)).toMatchObject({ value: 'v1', source: 'loader' });
      const bypasses: CacheEvents['bypass'][] = [];
      cache.events.on('bypass', (b) => bypasses.push(b));
      await stack.redis.nodes[1]!.pause();
      try {
        const started = performance.now();
        // the entry (v1) is unreachable: the loader answers, and nothing is written
        expect(await cache.getEntry(onPaused, loader)).toMatchObject({ value: 'v2', timestamp: 2n, source: 'loader' });
        expect(performance.now() - started).toBeLessThan(COMMAND_TIMEOUT_MS * 1.2 + 300);
        expect(bypasses).toEqual([{ key: onPaused, reason: 'redis-unavailable' }]);
        const skipped = performance.now();
        expect(await cache.getEntry(onPaused, loader)).toMatchObject({ value: 'v3', source: 'loader' });
        expect(performance.now() - skipped).toBeLessThan(COMMAND_TIMEOUT_MS / 2);
        expect(bypasses.at(-1)).toEqual({ key: onPaused, reason: 'circuit-open' });
      } finally {
        await stack.redis.nodes[1]!.resume();
      }
      await vi.waitFor(
        async () => expect(await cache.getEntry(onPaused, loader)).toMatchObject({ source: 'cache', value: 'v1' }),
        { timeout: 5_000, interval: 100 },
      );
    });
  },
);
