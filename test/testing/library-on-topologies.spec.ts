import { Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OrderedCache } from '../../src/cache/ordered-cache.js';
import { entryRedisKey, keyFromEntryRedisKey } from '../../src/redis/index.js';
import { type StartedStack, startStack } from '../../src/testing/index.js';
import { runZkoc } from '../cli/run-zkoc.js';
import { needs } from '../support/stack.js';

const topology = needs('topology', 'needs a ZooKeeper ensemble and a Redis Cluster');

const NAMESPACE = 'topo';
const KEYS = Array.from({ length: 24 }, (_, i) => `product:${i}`);

/** The cache keys each cluster node holds: asks every node directly, so routing is not assumed. */
async function keysPerNode(stack: StartedStack): Promise<string[][]> {
  return Promise.all(
    stack.redis.urls.map(async (url) => {
      const node = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0 });
      await node.connect();
      try {
        return (await node.keys(`zkoc:${NAMESPACE}:*`)).map((redisKey) => keyFromEntryRedisKey(NAMESPACE, redisKey)!);
      } finally {
        node.disconnect();
      }
    }),
  );
}

describe('OrderedCache and zkoc on a ZooKeeper ensemble and a Redis Cluster', topology, () => {
  let stack: StartedStack;
  let cache: OrderedCache<{ price: number }>;

  beforeAll(async () => {
    stack = await startStack({
      provider: 'local',
      zookeeper: { servers: 3, fsync: false },
      redis: { cluster: { masters: 3 } },
    });
    cache = await OrderedCache.connect({
      zookeeper: { connectString: stack.zookeeper.connectString, sessionTimeoutMs: 4_000 },
      redis: [...stack.redis.urls],
      namespace: NAMESPACE,
    });
  });
  afterAll(async () => {
    await cache?.close();
    await stack?.stop();
  });

  it('connects with a multi-host connect string and a URL list, and orders writes on every slot', async () => {
    for (const [i, key] of KEYS.entries()) {
      expect((await cache.set(key, { price: i }, 10n + BigInt(i))).status).toBe('written');
      expect((await cache.set(key, { price: -1 }, 9n)).status).toBe('stale');
    }
    // The keys really are spread over the three masters (each entry is one Redis key, one slot).
    const perNode = await keysPerNode(stack);
    expect(perNode.flat().sort()).toEqual([...KEYS].sort());
    expect(perNode.every((keys) => keys.length > 0)).toBe(true);
    for (const [i, key] of KEYS.entries()) {
      expect(await cache.get(key, async () => ({ value: { price: -2 }, timestamp: 1n }))).toEqual({ price: i });
    }
    expect((await cache.invalidate(KEYS[0]!, 100n)).status).toBe('written');
    expect(await cache.peek(KEYS[0]!)).toBeUndefined();
  });

  it('serializes two caches (two sessions) on one key through the ensemble', async () => {
    const other = await OrderedCache.connect<{ price: number }>({
      zookeeper: { connectString: stack.zookeeper.connectString, sessionTimeoutMs: 4_000 },
      redis: [...stack.redis.urls],
      namespace: NAMESPACE,
    });
    try {
      const order: string[] = [];
      let inside = 0;
      const critical = async (who: string): Promise<void> => {
        inside += 1;
        expect(inside).toBe(1);
        order.push(`${who}:in`);
        await new Promise((resolve) => setTimeout(resolve, 30));
        order.push(`${who}:out`);
        inside -= 1;
      };
      await Promise.all(
        Array.from({ length: 6 }, (_, i) =>
          (i % 2 === 0 ? cache : other).withLock('contended', () => critical(`w${i}`)),
        ),
      );
      expect(order).toHaveLength(12);
      for (let i = 0; i < order.length; i += 2) expect(order[i + 1]).toBe(order[i]!.replace(':in', ':out'));
    } finally {
      await other.close();
    }
  });

  it('accepts an ioredis Cluster the caller owns, and leaves it open on close()', async () => {
    const cluster = new Cluster(
      stack.redis.urls.map((u) => ({ host: '127.0.0.1', port: Number(new URL(u).port) })),
      { lazyConnect: true },
    );
    await cluster.connect();
    try {
      const own = await OrderedCache.connect<{ price: number }>({
        zookeeper: { connectString: stack.zookeeper.connectString, sessionTimeoutMs: 4_000 },
        redis: cluster,
        namespace: NAMESPACE,
      });
      expect((await own.set('owned-cluster', { price: 7 }, 7n)).status).toBe('written');
      await own.close();
      expect(cluster.status).toBe('ready');
      expect(await cluster.exists(entryRedisKey(NAMESPACE, 'owned-cluster'))).toBe(1);
    } finally {
      cluster.disconnect();
    }
  });

  it('zkoc scan lists the entries of every master; zkoc get finds a key on any of them', async () => {
    const connection = [
      '--zk',
      stack.zookeeper.connectString,
      '--redis',
      stack.redis.urls.join(','),
      '-n',
      NAMESPACE,
      '--timeout-ms',
      '5000',
    ];
    const scan = await runZkoc(['scan', ...connection, '--prefix', 'product:', '--json']);
    expect(scan.stderr).toBe('');
    expect(scan.code).toBe(0);
    const doc = JSON.parse(scan.stdout) as {
      entries: { key: string; timestamp: string; kind: string }[];
      truncated: boolean;
    };
    expect(doc.truncated).toBe(false);
    const expected = KEYS.map((key, i) => [key, i === 0 ? '100' : String(10 + i)]).sort();
    expect(doc.entries.map((e) => [e.key, e.timestamp]).sort()).toEqual(expected);

    // One key held by each master (each run is a process start, so not all 24).
    const onEachNode = (await keysPerNode(stack)).map(
      (keys) => keys.filter((k) => k !== KEYS[0] && k.startsWith('product:')).sort()[0]!,
    );
    expect(onEachNode).toHaveLength(3);
    for (const key of onEachNode) {
      const i = KEYS.indexOf(key);
      const get = await runZkoc(['get', key, ...connection, '--json']);
      expect(get.code).toBe(0);
      const entry = (JSON.parse(get.stdout) as { entry: { timestamp: string; value: unknown } }).entry;
      expect([entry.timestamp, entry.value]).toEqual([String(10 + i), { price: i }]);
    }
    const text = await runZkoc(['get', KEYS[3]!, ...connection]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^timestamp:\s+13$/m);
  });
});
