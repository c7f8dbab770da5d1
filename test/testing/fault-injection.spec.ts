import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConnectionError } from '../../src/errors.js';
import { type StartedStack, startStack } from '../../src/testing/index.js';
import { needs } from '../support/stack.js';
import { CreateMode, connectTestClient } from './zookeeper-test-client.js';

const processes = needs('processes', 'pauses, restarts, stops and kills each local server, checking its pid');

// A paused server keeps its sockets open and answers nothing: every probe needs its own deadline.
const SHORT_DEADLINE_MS = 400;

describe('fault injection on a local stack', processes, () => {
  let stack: StartedStack;

  beforeAll(async () => {
    stack = await startStack({ provider: 'local', zookeeper: { fsync: false, singleMemberEnsemble: true } });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('pause silences ZooKeeper and resume brings it back', async () => {
    expect(await stack.zookeeper.fourLetterWord('ruok', { timeoutMs: SHORT_DEADLINE_MS })).toBe('imok');
    await stack.zookeeper.pause();
    try {
      expect(stack.zookeeper.isPaused).toBe(true);
      await expect(stack.zookeeper.fourLetterWord('ruok', { timeoutMs: SHORT_DEADLINE_MS })).rejects.toBeInstanceOf(
        ConnectionError,
      );
    } finally {
      await stack.zookeeper.resume();
    }
    expect(stack.zookeeper.isPaused).toBe(false);
    expect(await stack.zookeeper.fourLetterWord('ruok', { timeoutMs: 2_000 })).toBe('imok');
  });

  it('pause silences Redis and resume brings it back', async () => {
    const redis = new Redis(stack.redis.url, {
      lazyConnect: true,
      commandTimeout: SHORT_DEADLINE_MS,
      maxRetriesPerRequest: 0,
    });
    await redis.connect();
    try {
      expect(await redis.ping()).toBe('PONG');
      await stack.redis.pause();
      try {
        await expect(redis.ping()).rejects.toThrow(/timed out/i);
      } finally {
        await stack.redis.resume();
      }
      expect(await redis.ping()).toBe('PONG');
    } finally {
      redis.disconnect();
    }
  });

  it('pause silences every PostgreSQL process and resume brings them back', async () => {
    const client = new pg.Client({
      connectionString: stack.postgres.url,
      query_timeout: SHORT_DEADLINE_MS,
      connectionTimeoutMillis: 5_000,
    });
    client.on('error', () => {});
    await client.connect();
    try {
      expect((await client.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
      await stack.postgres.pause();
      try {
        // The backend serving this connection is a child of the postmaster: pausing the group reaches it.
        await expect(client.query('SELECT 2 AS two')).rejects.toThrow(/timeout/i);
      } finally {
        await stack.postgres.resume();
      }
    } finally {
      await client.end().catch(() => {});
    }
    const fresh = new pg.Client({
      connectionString: stack.postgres.url,
      query_timeout: 5_000,
      connectionTimeoutMillis: 5_000,
    });
    await fresh.connect();
    try {
      expect((await fresh.query('SELECT 3 AS three')).rows).toEqual([{ three: 3 }]);
    } finally {
      await fresh.end();
    }
  });

  it('a ZooKeeper restart shorter than the session timeout keeps the session and its ephemeral node', async () => {
    const client = await connectTestClient(stack.zookeeper.connectString, 10_000);
    try {
      const sessionId = client.raw.getSessionId().toString('hex');
      await client.create('/survives-restart', 'mine', CreateMode.EPHEMERAL);
      const disconnected = client.nextState('DISCONNECTED', 10_000);
      const reconnected = disconnected.then(() => client.nextState('SYNC_CONNECTED', 10_000));
      const pidBefore = stack.zookeeper.pid;
      const portBefore = stack.zookeeper.port;
      await stack.zookeeper.restart();
      expect(stack.zookeeper.pid).not.toBe(pidBefore);
      expect(stack.zookeeper.port).toBe(portBefore);
      await reconnected;
      expect(client.raw.getSessionId().toString('hex')).toBe(sessionId);
      expect(await client.getData('/survives-restart')).toBe('mine');
      expect(await stack.zookeeper.fourLetterWord('mntr')).toMatch(/^zk_ephemerals_count\s+1$/m);
    } finally {
      client.close();
    }
  });

  it('expireSession makes the original client observe `expired` and drops its ephemeral node', async () => {
    const client = await connectTestClient(stack.zookeeper.connectString, 10_000);
    try {
      await client.create('/dies-with-session', 'x', CreateMode.EPHEMERAL);
      const expired = client.nextState('EXPIRED', 8_000);
      await stack.expireSession(client.raw.getSessionId(), client.raw.getSessionPassword());
      await expired;
    } finally {
      client.close();
    }
    const observer = await connectTestClient(stack.zookeeper.connectString, 5_000);
    try {
      await expect(observer.getData('/dies-with-session')).rejects.toThrow(/NO_NODE/);
    } finally {
      observer.close();
    }
  });

  it('a Redis restart keeps the port and comes back empty', async () => {
    const port = stack.redis.port;
    const before = new Redis(stack.redis.url, { lazyConnect: true, maxRetriesPerRequest: 0 });
    await before.connect();
    await before.set('lost-on-restart', '1');
    before.disconnect();
    await stack.redis.restart();
    expect(stack.redis.port).toBe(port);
    const after = new Redis(stack.redis.url, { lazyConnect: true, maxRetriesPerRequest: 0 });
    await after.connect();
    try {
      expect(await after.exists('lost-on-restart')).toBe(0);
    } finally {
      after.disconnect();
    }
  });

  it('stop makes a server unreachable and start brings it back on the same port with its data', async () => {
    const port = stack.postgres.port;
    const setup = new pg.Client({ connectionString: stack.postgres.url });
    await setup.connect();
    await setup.query('CREATE TABLE kept_across_restart (id int)');
    await setup.end();
    await stack.postgres.stop();
    expect(stack.postgres.isRunning).toBe(false);
    expect(stack.postgres.pid).toBeUndefined();
    const refused = new pg.Client({ connectionString: stack.postgres.url, connectionTimeoutMillis: 2_000 });
    await expect(refused.connect()).rejects.toThrow(/ECONNREFUSED/);
    await stack.postgres.start();
    expect(stack.postgres.port).toBe(port);
    const check = new pg.Client({ connectionString: stack.postgres.url });
    await check.connect();
    try {
      expect((await check.query(`SELECT to_regclass('kept_across_restart')::text AS t`)).rows).toEqual([
        { t: 'kept_across_restart' },
      ]);
    } finally {
      await check.end();
    }
  });

  it('kill SIGKILLs a server at once (even a paused one), and start brings it back on the same port', async () => {
    const port = stack.redis.port;
    const pid = stack.redis.pid!;
    await stack.redis.pause();
    const started = Date.now();
    await stack.redis.kill();
    // No clean-shutdown grace: SIGKILL does not wait for the 3 s stop grace a SIGTERM gets.
    expect(Date.now() - started).toBeLessThan(1_500);
    expect(stack.redis.isRunning).toBe(false);
    expect(stack.redis.isPaused).toBe(false);
    expect(stack.redis.pid).toBeUndefined();
    expect(() => process.kill(pid, 0)).toThrow();
    await stack.redis.kill(); // idempotent
    await stack.redis.start();
    expect(stack.redis.port).toBe(port);
    const redis = new Redis(stack.redis.url, { lazyConnect: true, maxRetriesPerRequest: 0 });
    await redis.connect();
    try {
      expect(await redis.ping()).toBe('PONG');
    } finally {
      redis.disconnect();
    }
  });
});
