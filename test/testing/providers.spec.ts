import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { InvalidOptionsError } from '../../src/errors.js';
import {
  checkServerBinaries,
  dockerEngineAnswers,
  resolveStackProvider,
  type StartedStack,
  startStack,
} from '../../src/testing/index.js';
import { needs } from '../support/stack.js';
import { connectTestClient } from './zookeeper-test-client.js';

const processes = needs(
  'processes',
  'starts the local provider (as a stand-in for external servers, or with binaries missing)',
);

const ENV_NAMES = [
  'ZKOC_ZK',
  'ZKOC_REDIS',
  'DATABASE_URL',
  'ZKOC_STACK_PROVIDER',
  'ZKOC_REDIS_SERVER',
  'ZKOC_PG_BIN',
  'ZKOC_ZOOKEEPER_JAR',
] as const;
const savedEnv = Object.fromEntries(ENV_NAMES.map((name) => [name, process.env[name]]));
afterEach(() => {
  for (const name of ENV_NAMES) {
    if (savedEnv[name] === undefined) delete process.env[name];
    else process.env[name] = savedEnv[name];
  }
});

describe('external provider', processes, () => {
  let local: StartedStack;
  beforeAll(async () => {
    local = await startStack({ provider: 'local' });
  });
  afterAll(async () => {
    await local?.stop();
  });

  it('uses the servers named by ZKOC_ZK, ZKOC_REDIS and DATABASE_URL', async () => {
    process.env.ZKOC_ZK = local.zookeeper.connectString;
    process.env.ZKOC_REDIS = local.redis.url;
    process.env.DATABASE_URL = local.postgres.url;
    const external = await startStack({ provider: 'external' });
    expect(external.provider).toBe('external');
    expect(external.zookeeper.connectString).toBe(local.zookeeper.connectString);
    expect(external.zookeeper.port).toBe(local.zookeeper.port);
    expect(external.redis.url).toBe(local.redis.url);
    expect(external.postgres.url).toBe(local.postgres.url);
    expect(external.postgres.database).toBe('zkoc');
    expect(external.zookeeper.pid).toBeUndefined();

    expect(await external.zookeeper.fourLetterWord('ruok')).toBe('imok');
    const zk = await connectTestClient(external.zookeeper.connectString, 5_000);
    const expired = zk.nextState('EXPIRED', 8_000);
    await external.expireSession(zk.raw.getSessionId(), zk.raw.getSessionPassword());
    await expired;
    zk.close();

    const redis = new Redis(external.redis.url, { lazyConnect: true, maxRetriesPerRequest: 0 });
    await redis.connect();
    expect(await redis.ping()).toBe('PONG');
    redis.disconnect();
    const sql = new pg.Client({ connectionString: external.postgres.url });
    await sql.connect();
    expect((await sql.query('SELECT current_database() AS db')).rows).toEqual([{ db: 'zkoc' }]);
    await sql.end();

    await external.stop(); // touches nothing
    expect(await local.zookeeper.fourLetterWord('ruok')).toBe('imok');
  });

  it('refuses fault injection with InvalidOptionsError naming the provider', async () => {
    process.env.ZKOC_ZK = local.zookeeper.connectString;
    process.env.ZKOC_REDIS = local.redis.url;
    process.env.DATABASE_URL = local.postgres.url;
    const external = await startStack({ provider: 'external' });
    for (const attempt of [
      () => external.redis.pause(),
      () => external.zookeeper.restart(),
      () => external.postgres.stop(),
    ]) {
      const error = await attempt().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(InvalidOptionsError);
      expect((error as Error).message).toMatch(/provider 'external' cannot/);
    }
    // Never paused, so resume() is the documented no-op (cleanup hooks call it unconditionally).
    await expect(external.zookeeper.resume()).resolves.toBeUndefined();
    expect(external.zookeeper.isPaused).toBe(false);
  });

  it('lists every server of a multi-host ZKOC_ZK and every seed of a comma-separated ZKOC_REDIS', async () => {
    process.env.ZKOC_ZK = `${local.zookeeper.connectString},127.0.0.1:1`;
    process.env.ZKOC_REDIS = `${local.redis.url},redis://127.0.0.1:2`;
    process.env.DATABASE_URL = local.postgres.url;
    const external = await startStack({ provider: 'external' });
    expect(external.zookeeper.servers.map((s) => [s.id, s.port])).toEqual([
      [1, local.zookeeper.port],
      [2, 1],
    ]);
    // The answering server is found; the one on port 1 refuses and is skipped.
    expect((await external.zookeeper.leader({ timeoutMs: 3_000 })).port).toBe(local.zookeeper.port);
    expect(external.redis.isCluster).toBe(true);
    expect(external.redis.urls).toEqual([local.redis.url, 'redis://127.0.0.1:2']);
    expect(external.redis.nodes.map((n) => n.port)).toEqual([local.redis.port, 2]);
    await expect(external.zookeeper.servers[0]!.kill()).rejects.toThrow(/provider 'external' cannot kill zookeeper/);
  });

  it('names the missing variable', async () => {
    process.env.ZKOC_ZK = local.zookeeper.connectString;
    delete process.env.ZKOC_REDIS;
    process.env.DATABASE_URL = local.postgres.url;
    await expect(startStack({ provider: 'external' })).rejects.toThrow(/needs env ZKOC_REDIS/);
  });
});

describe('provider choice', () => {
  it('auto picks containers only when a Docker engine answers, else local (local on this machine)', async () => {
    const docker = await dockerEngineAnswers();
    expect(await resolveStackProvider('auto')).toBe(docker ? 'containers' : 'local');
    delete process.env.ZKOC_STACK_PROVIDER;
    expect(await resolveStackProvider()).toBe(docker ? 'containers' : 'local');
    process.env.ZKOC_STACK_PROVIDER = 'external';
    expect(await resolveStackProvider()).toBe('external');
  });

  it('rejects an unknown provider and bad numbers with InvalidOptionsError', async () => {
    await expect(startStack({ provider: 'kubernetes' as never })).rejects.toThrow(InvalidOptionsError);
    await expect(startStack({ provider: 'local', startTimeoutMs: -1 })).rejects.toThrow(
      /startTimeoutMs must be a whole number of ms from 1 to \d+, got number -1/,
    );
    await expect(startStack({ provider: 'local', zookeeper: { tickTimeMs: 1.5 } })).rejects.toThrow(
      /zookeeper\.tickTimeMs/,
    );
  });
});

describe('missing server binaries', processes, () => {
  it('are listed with the override and the apt-get command, and the local provider refuses to start', async () => {
    expect(await checkServerBinaries()).toEqual([]);
    process.env.ZKOC_REDIS_SERVER = '/nonexistent/redis-server';
    process.env.ZKOC_PG_BIN = '/nonexistent/pg/bin';
    const missing = await checkServerBinaries();
    expect(missing.map((m) => m.what)).toEqual(['redis-server', 'PostgreSQL initdb/postgres']);
    expect(missing[0]!.hint).toContain('/nonexistent/redis-server (from ZKOC_REDIS_SERVER)');
    expect(missing[0]!.hint).toContain('apt-get install -y redis-server');
    expect(missing[1]!.hint).toContain('ZKOC_PG_BIN');
    await expect(startStack({ provider: 'local' })).rejects.toThrow(
      /redis-server[\s\S]*apt-get update && apt-get install -y zookeeper redis-server postgresql/,
    );
  });
});
