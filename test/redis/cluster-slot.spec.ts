import type { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openRedis } from '../../src/cache/redis-connection.js';
import { CLUSTER_SLOTS, clusterSlot, hashTagForSlot } from '../../src/redis/cluster-slot.js';
import { OrderedStore } from '../../src/redis/index.js';
import type { StartedStack } from '../../src/testing/index.js';
import { needs, startTestStack } from '../support/stack.js';

describe('clusterSlot and hashTagForSlot', () => {
  it('match the Cluster specification’s examples', () => {
    expect(clusterSlot('123456789')).toBe(0x31c3); // the spec's CRC16 check value, 12739
    expect(clusterSlot('foo')).toBe(12182);
    expect(clusterSlot('{user1000}.following')).toBe(clusterSlot('{user1000}.followers'));
    expect(clusterSlot('{user1000}.following')).toBe(clusterSlot('user1000'));
    expect(clusterSlot('foo{{bar}}zap')).toBe(clusterSlot('{bar'));
  });

  it('hashTagForSlot gives, for every slot, a tag that hashes to it', () => {
    for (let slot = 0; slot < CLUSTER_SLOTS; slot++) expect(clusterSlot(`x{${hashTagForSlot(slot)}}`)).toBe(slot);
  });
});

describe('the epoch key lives in its entry’s slot on a Cluster', needs('topology', 'a 3-master Redis Cluster'), () => {
  let stack: StartedStack;
  let cluster: Cluster;

  beforeAll(async () => {
    stack = await startTestStack({ zookeeper: { fsync: false }, redis: { cluster: { masters: 3 } } });
    cluster = (await openRedis([...stack.redis.urls], { connectTimeoutMs: 5_000, commandTimeoutMs: 5_000 }))
      .client as Cluster;
  });
  afterAll(async () => {
    cluster?.disconnect();
    await stack?.stop();
  });

  it('CLUSTER KEYSLOT agrees, and fenced reads and writes of keys on every master work (no CROSSSLOT)', async () => {
    const store = new OrderedStore<number>(cluster, { namespace: 'slots', writerLabel: 'w' });
    const keys = [
      ...Array.from({ length: 24 }, (_, i) => `k:${i}`),
      '{tagged}:a',
      'ünï{c}ode',
      '{}empty',
      'foo{}{bar}',
    ];
    for (const key of keys) {
      const rk = store.redisKeyOf(key);
      expect(await cluster.cluster('KEYSLOT', rk)).toBe(clusterSlot(rk));
      const { entry, epoch } = await store.readForFill(key);
      expect(entry).toBeUndefined();
      expect(await store.write(key, 1, 7, { epoch })).toEqual({ status: 'written', current: 7n });
    }
    // One epoch per slot: keys in different slots get different tokens.
    const tokens = new Set(await Promise.all(keys.slice(0, 24).map((k) => store.epoch(k))));
    expect(tokens.size).toBeGreaterThan(1);
  });
});
