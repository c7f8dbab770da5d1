import { type Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openRedis } from '../../src/cache/redis-connection.js';
import { clusterSlot, hashTagForSlot } from '../../src/redis/cluster-slot.js';
import type { StartedStack } from '../../src/testing/index.js';
import { needs, startTestStack } from '../support/stack.js';
import { countWrites } from './socket-writes.js';

describe(
  'a Cluster the library opens: each node connection batches its writes',
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

    async function openCluster(): Promise<Cluster> {
      const { client } = await openRedis([...stack.redis.urls], { connectTimeoutMs: 5_000, commandTimeoutMs: 5_000 });
      return client as Cluster;
    }
    const keyOf = (node: Redis) => `${node.options.host}:${node.options.port}`;

    it('MOVED: commands sent, and held, on a node that does not own their slot end on the owner', async () => {
      const cluster = await openCluster();
      try {
        const keys = Array.from({ length: 64 }, (_, i) => `moved:${i}`);
        await Promise.all(keys.map((key, i) => cluster.set(key, String(i))));
        const first = cluster.nodes('master')[0] as Redis;
        const slots = (cluster as unknown as { slots: string[][] }).slots;
        for (let slot = 0; slot < slots.length; slot += 1) slots[slot] = [keyOf(first)]; // every slot "moved" to one node
        const writes = countWrites([first]);
        // 8 readers of 8 keys each: the first master sees every first read, most answer MOVED.
        const replies = await Promise.all(
          Array.from({ length: 8 }, async (_, reader) => {
            const got: (string | null)[] = [];
            for (let i = 0; i < 8; i += 1) got.push(await cluster.get(keys[reader * 8 + i] as string));
            return got;
          }),
        );
        expect(replies.flat()).toEqual(keys.map((_, i) => String(i)));
        expect(writes[0]).toBe(8); // the first reads, one write, then redirected
      } finally {
        cluster.disconnect();
      }
    });

    it('ASK: ASKING and the command it covers leave together, held or not', async () => {
      const cluster = await openCluster();
      const raws: Redis[] = [];
      try {
        const key = 'asked:{k}';
        await cluster.get(key); // slots known, every master connected
        const slot = clusterSlot(key);
        const slots = (cluster as unknown as { slots: string[][] }).slots;
        const masters = cluster.nodes('master');
        const owner = masters.find((node) => slots[slot]?.[0] === keyOf(node));
        const target = masters.find((node) => node !== owner);
        if (!owner || !target) throw new Error('no owner and target master');
        const targetTag = hashTagForSlot(slots.findIndex((nodes) => nodes?.[0] === keyOf(target)));
        const [source, destination] = [owner, target].map((node) => {
          const raw = new Redis({ host: node.options.host, port: node.options.port, password: node.options.password });
          raws.push(raw);
          return raw;
        }) as [Redis, Redis];
        const [sourceId, destinationId] = await Promise.all([source.cluster('MYID'), destination.cluster('MYID')]);
        await destination.cluster('SETSLOT', slot, 'IMPORTING', sourceId as string);
        await source.cluster('SETSLOT', slot, 'MIGRATING', destinationId as string);
        try {
          await destination.pipeline().asking().set(key, 'migrated').exec();
          // The source no longer has the key: each read gets ASK and goes to the destination as
          // ASKING + GET, while other commands keep the destination's connection busy.
          const reads = Array.from({ length: 32 }, () => cluster.get(key));
          const others = Array.from({ length: 32 }, (_, i) => target.get(`other:{${targetTag}}:${i}`));
          expect(await Promise.all(reads)).toEqual(reads.map(() => 'migrated'));
          expect(await Promise.all(others)).toEqual(others.map(() => null));
        } finally {
          await destination.pipeline().asking().del(key).exec();
          await Promise.all([source, destination].map((raw) => raw.cluster('SETSLOT', slot, 'STABLE')));
        }
      } finally {
        for (const raw of raws) raw.disconnect();
        cluster.disconnect();
      }
    });
  },
);
