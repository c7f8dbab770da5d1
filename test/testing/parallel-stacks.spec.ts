import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type StartedStack, startStack } from '../../src/testing/index.js';
import { needs } from '../support/stack.js';
import { connectTestClient } from './zookeeper-test-client.js';

const processes = needs('processes', 'starts and stops local stacks');

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('two stacks started in parallel', processes, () => {
  let first: StartedStack;
  let second: StartedStack;

  beforeAll(async () => {
    [first, second] = await Promise.all([startStack({ provider: 'local' }), startStack({ provider: 'local' })]);
  });
  afterAll(async () => {
    await Promise.all([first?.stop(), second?.stop()]);
  });

  it('get six different ports and their own processes', () => {
    const ports = [first, second].flatMap((s) => [s.zookeeper.port, s.redis.port, s.postgres.port]);
    expect(new Set(ports).size).toBe(6);
    const pids = [first, second].flatMap((s) => [s.zookeeper.pid, s.redis.pid, s.postgres.pid]);
    expect(new Set(pids).size).toBe(6);
  });

  it('do not share ZooKeeper data', async () => {
    const a = await connectTestClient(first.zookeeper.connectString, 5_000);
    const b = await connectTestClient(second.zookeeper.connectString, 5_000);
    try {
      await a.create('/only-in-first', 'a');
      await expect(b.getData('/only-in-first')).rejects.toThrow(/NO_NODE/);
    } finally {
      a.close();
      b.close();
    }
  });

  it('do not share Redis data', async () => {
    const a = new Redis(first.redis.url, { lazyConnect: true, maxRetriesPerRequest: 0 });
    const b = new Redis(second.redis.url, { lazyConnect: true, maxRetriesPerRequest: 0 });
    await Promise.all([a.connect(), b.connect()]);
    try {
      await a.set('only-in-first', '1');
      expect(await a.get('only-in-first')).toBe('1');
      expect(await b.get('only-in-first')).toBeNull();
    } finally {
      a.disconnect();
      b.disconnect();
    }
  });

  it('do not share PostgreSQL data', async () => {
    const a = new pg.Client({ connectionString: first.postgres.url });
    const b = new pg.Client({ connectionString: second.postgres.url });
    await Promise.all([a.connect(), b.connect()]);
    try {
      await a.query('CREATE TABLE only_in_first (id int)');
      const lookup = `SELECT to_regclass('only_in_first')::text AS t`;
      expect((await a.query(lookup)).rows).toEqual([{ t: 'only_in_first' }]);
      expect((await b.query(lookup)).rows).toEqual([{ t: null }]);
    } finally {
      await Promise.all([a.end(), b.end()]);
    }
  });
});

describe('stopping a stack', processes, () => {
  it('ends every server process, is idempotent, and works through Symbol.asyncDispose', async () => {
    const stack = await startStack({ provider: 'local' });
    const pids = [stack.zookeeper.pid!, stack.redis.pid!, stack.postgres.pid!];
    const redisPort = stack.redis.port;
    expect(pids.every(isAlive)).toBe(true);
    const stopStartedAt = Date.now();
    await stack[Symbol.asyncDispose]();
    console.log(`local stack stop took ${Date.now() - stopStartedAt} ms`);
    await stack.stop();
    expect(pids.filter(isAlive)).toEqual([]);
    for (const server of [stack.zookeeper, stack.redis, stack.postgres]) {
      expect(server.isRunning).toBe(false);
      expect(server.pid).toBeUndefined();
    }
    await expect(
      new Promise((resolve, reject) =>
        connect({ host: '127.0.0.1', port: redisPort }).on('connect', resolve).on('error', reject),
      ),
    ).rejects.toThrow(/ECONNREFUSED/);
    expect(existsSync(`/proc/${pids[0]}`)).toBe(false);
  });
});
