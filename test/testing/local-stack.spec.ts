import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type StartedStack, startStack } from '../../src/testing/index.js';
import { needs } from '../support/stack.js';
import { connectTestClient } from './zookeeper-test-client.js';

const processes = needs('processes', 'checks the local provider’s server processes');

describe('local stack', processes, () => {
  let stack: StartedStack;

  beforeAll(async () => {
    stack = await startStack({ provider: 'local' });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('starts all three servers on loopback quickly and reports the start-up time', () => {
    console.log(`local stack startupMs=${stack.startupMs}`);
    expect(stack.provider).toBe('local');
    expect(stack.startupMs).toBeGreaterThan(0);
    expect(stack.startupMs).toBeLessThan(15_000);
    expect(stack.zookeeper.connectString).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(stack.redis.url).toMatch(/^redis:\/\/127\.0\.0\.1:\d+$/);
    expect(stack.postgres.url).toMatch(/^postgres:\/\/postgres@127\.0\.0\.1:\d+\/zkoc$/);
    expect(new Set([stack.zookeeper.port, stack.redis.port, stack.postgres.port]).size).toBe(3);
    for (const server of [stack.zookeeper, stack.redis, stack.postgres]) {
      expect(server.pid).toBeGreaterThan(0);
      expect(server.isRunning).toBe(true);
      expect(server.isPaused).toBe(false);
    }
  });

  it('keeps the single-server shape: one server in servers/nodes, the standalone ZooKeeper is its own leader', async () => {
    expect(stack.zookeeper.servers).toEqual([stack.zookeeper]);
    expect(stack.zookeeper.id).toBe(1);
    expect(await stack.zookeeper.leader()).toBe(stack.zookeeper);
    expect(stack.redis.isCluster).toBe(false);
    expect(stack.redis.urls).toEqual([stack.redis.url]);
    expect(stack.redis.nodes).toEqual([stack.redis]);
  });

  it('serves ZooKeeper requests and four-letter words', async () => {
    const client = await connectTestClient(stack.zookeeper.connectString, 5_000);
    try {
      await client.create('/harness-smoke', 'hello');
      expect(await client.getData('/harness-smoke')).toBe('hello');
    } finally {
      client.close();
    }
    expect(await stack.zookeeper.fourLetterWord('ruok')).toBe('imok');
    expect(await stack.zookeeper.fourLetterWord('srvr')).toMatch(/^Mode: standalone$/m);
    expect(await stack.zookeeper.fourLetterWord('mntr')).toMatch(/^zk_znode_count\s+\d+$/m);
  });

  it('serves Redis commands', async () => {
    const redis = new Redis(stack.redis.url, { lazyConnect: true, maxRetriesPerRequest: 0 });
    try {
      await redis.connect();
      await redis.set('harness:smoke', 'value-1');
      expect(await redis.get('harness:smoke')).toBe('value-1');
    } finally {
      redis.disconnect();
    }
  });

  it('serves SQL on a fresh zkoc database', async () => {
    const client = new pg.Client({ connectionString: stack.postgres.url, connectionTimeoutMillis: 5_000 });
    await client.connect();
    try {
      const { rows } = await client.query<{ db: string; tables: string }>(
        `SELECT current_database() AS db, (SELECT count(*) FROM pg_tables WHERE schemaname = 'public')::text AS tables`,
      );
      expect(rows).toEqual([{ db: 'zkoc', tables: '0' }]);
      await client.query('CREATE TABLE harness_smoke (id int PRIMARY KEY, v text)');
      await client.query(`INSERT INTO harness_smoke VALUES (1, 'x')`);
      expect((await client.query('SELECT v FROM harness_smoke WHERE id = 1')).rows).toEqual([{ v: 'x' }]);
    } finally {
      await client.end();
    }
  });
});
