import type { Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openRedis } from '../../src/cache/redis-connection.js';
import type { StartedStack } from '../../src/testing/index.js';
import { needs, startTestStack } from '../support/stack.js';

type Sink = Record<'_write' | '_writev', (...args: unknown[]) => unknown>;

/** Counts what reaches each socket: one _writev (or _write) call is one system write. */
function countWrites(nodes: Redis[]): number[] {
  const writes: number[] = [];
  for (const node of nodes) {
    const stream = (node as unknown as { stream: Sink }).stream;
    for (const method of ['_write', '_writev'] as const) {
      const original = stream[method];
      stream[method] = function (this: unknown, ...args: unknown[]) {
        writes.push(method === '_writev' ? (args[0] as unknown[]).length : 1);
        return original.apply(this, args);
      };
    }
  }
  return writes;
}

describe(
  'a Cluster the library opens: each node connection batches the writes of one turn',
  needs('topology', 'a 3-master Redis Cluster'),
  () => {
    let stack: StartedStack;

    beforeAll(async () => {
      stack = await startTestStack({ zookeeper: { fsync: false }, redis: { cluster: { masters: 3 } } });
    });
    afterAll(async () => {
      await stack?.stop();
    });

    it('64 commands over every master leave in one write per master', async () => {
      const { client } = await openRedis([...stack.redis.urls], { connectTimeoutMs: 5_000, commandTimeoutMs: 5_000 });
      const cluster = client as Cluster;
      try {
        const keys = Array.from({ length: 64 }, (_, i) => `batching:${i}`);
        await Promise.all(keys.map((key) => cluster.hmgetBuffer(key, 'a'))); // every master connected
        const masters = cluster.nodes('master');
        expect(masters).toHaveLength(3);
        const writes = countWrites(masters);
        const replies = await Promise.all(keys.map((key) => cluster.hmgetBuffer(key, 'a')));
        expect(replies).toEqual(keys.map(() => [null]));
        expect(writes.reduce((a, b) => a + b, 0)).toBe(64);
        expect(writes).toHaveLength(3); // 64 keys hash to all three masters' slots
      } finally {
        cluster.disconnect();
      }
    });
  },
);
