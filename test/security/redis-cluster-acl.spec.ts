import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OrderedCache } from '../../src/cache/ordered-cache.js';
import { AccessDeniedError, ConnectionError } from '../../src/errors.js';
import type { StartedStack } from '../../src/testing/index.js';
import { needs, startTestStack } from '../support/stack.js';

const topology = needs('topology', 'needs a 3-master Redis Cluster');

const MINIMAL_ACL = [
  'resetkeys',
  '~zkoc:*',
  'resetchannels',
  '-@all',
  '+hmget',
  '+get',
  '+set',
  '+evalsha',
  '+eval',
  '+info',
  '+hset',
  '+pexpire',
  '+exists',
  '+type',
  '+time',
];

// docs/access-control.md: on a Redis Cluster the minimal ACL needs +cluster|slots and +cluster|info
// (ioredis's slot discovery and ready check) as well.
describe('Redis Cluster with an ACL user', topology, () => {
  let stack: StartedStack;
  const admins: Redis[] = [];

  beforeAll(async () => {
    stack = await startTestStack({ redis: { cluster: { masters: 3 } } });
    for (const node of stack.redis.nodes) {
      const admin = new Redis(node.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
      await admin.connect();
      admins.push(admin);
      await admin.call(
        'ACL',
        'SETUSER',
        'zkoc-cluster',
        'on',
        '>cluster-pass-4e7',
        ...MINIMAL_ACL,
        '+cluster|slots',
        '+cluster|info',
      );
      await admin.call('ACL', 'SETUSER', 'zkoc-noslots', 'on', '>cluster-pass-4e7', ...MINIMAL_ACL, '+cluster|info');
    }
  });
  afterAll(async () => {
    for (const admin of admins) {
      await admin.call('ACL', 'DELUSER', 'zkoc-cluster', 'zkoc-noslots');
      admin.disconnect();
    }
    await stack?.stop();
  });

  const seeds = (user: string): string[] =>
    stack.redis.nodes.map((n) => `redis://${user}:cluster-pass-4e7@${n.host}:${n.port}`);
  const connect = (user: string, namespace: string) =>
    OrderedCache.connect({
      zookeeper: { connectString: stack.zookeeper.connectString, sessionTimeoutMs: 4_000 },
      redis: seeds(user),
      namespace,
      lockTimeoutMs: 3_000,
      redisConnectTimeoutMs: 3_000,
      redisCommandTimeoutMs: 2_000,
    });

  it('the minimal ACL plus +cluster|slots +cluster|info writes and reads keys on several masters; without slots the cache cannot connect', async () => {
    const cache = await connect('zkoc-cluster', 'cl');
    try {
      for (let i = 0; i < 12; i++) expect((await cache.set(`k${i}`, i, 1n)).status).toBe('written');
      for (let i = 0; i < 12; i++) expect(await cache.peek(`k${i}`)).toMatchObject({ value: i });
      const sizes = await Promise.all(admins.map((admin) => admin.dbsize()));
      expect(sizes.filter((n) => n > 0).length).toBeGreaterThan(1);
    } finally {
      await cache.close();
    }
    const error = await connect('zkoc-noslots', 'cl2').then(
      async (c) => {
        await c.close();
        return new Error('connected without +cluster|slots');
      },
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ConnectionError);
    expect(String((error as Error).message)).not.toContain('cluster-pass-4e7');
    expect(error).not.toBeInstanceOf(AccessDeniedError);
  });
});
