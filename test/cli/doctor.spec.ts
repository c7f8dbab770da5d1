import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OrderedStore } from '../../src/redis/index.js';
import type { StartedStack } from '../../src/testing/index.js';
import { LockManager, ZooKeeperConnection } from '../../src/zookeeper/index.js';
import { needs, startTestStack } from '../support/stack.js';
import { runZkoc } from './run-zkoc.js';

const exclusive = needs('exclusive', 'expects the server’s script cache not to hold the compare script yet');
const faults = needs('faults', 'pauses Redis');

describe('zkoc doctor', () => {
  let stack: StartedStack;
  let connection: string[];

  beforeAll(async () => {
    stack = await startTestStack();
    connection = [
      '--zk',
      stack.zookeeper.connectString,
      '--redis',
      stack.redis.url,
      '--database-url',
      stack.postgres.url,
      '--timeout-ms',
      '1500',
    ];
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('passes against healthy servers, with a line per check naming version and latency', async () => {
    const run = await runZkoc(['doctor', ...connection]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^ok\s+zookeeper\s+reachable\s+127\.0\.0\.1:\d+ answered srvr in [\d.]+m?s$/m);
    expect(run.stdout).toMatch(
      /^ok\s+zookeeper\s+version\s+.*ZooKeeper 3\.8\.\S+, mode (standalone|leader|follower)$/m,
    );
    expect(run.stdout).toMatch(/^ok\s+redis\s+version\s+Redis 7\.\S+, mode standalone$/m);
    expect(run.stdout).toMatch(/^ok\s+redis\s+clock skew\s+redis clock is .* this host/m);
    expect(run.stdout).toMatch(/^ok\s+postgres\s+version\s+PostgreSQL 15\./m);
    expect(run.stdout).toMatch(/^ok\s+postgres\s+clock skew/m);
    expect(run.stdout).toMatch(/^all checks passed/m);
  });

  it('reports whether the compare script is loaded in Redis', exclusive, async () => {
    const before = await runZkoc(['doctor', ...connection]);
    expect(before.stdout).toMatch(
      /^WARN\s+redis\s+script\s+not cached yet \(loaded on first write\): compare-write [0-9a-f]{12}$/m,
    );
    expect(before.code).toBe(0); // a warning is not a failure
    const redis = new Redis(stack.redis.url, { lazyConnect: true, maxRetriesPerRequest: 0 });
    await redis.connect();
    try {
      await new OrderedStore(redis, { namespace: 'cli-doctor' }).write('k', 1, 1n);
    } finally {
      redis.disconnect();
    }
    const after = await runZkoc(['doctor', ...connection]);
    expect(after.stdout).toMatch(/^ok\s+redis\s+script\s+loaded: compare-write [0-9a-f]{12}$/m);
  });

  it('flags nodes under the lock root that are not ephemeral lock contenders', async () => {
    await using zk = await ZooKeeperConnection.connect({ connectString: stack.zookeeper.connectString });
    const held = await new LockManager(zk, { root: '/zkoc/doctor-clean/locks' }).acquire('k');
    const clean = await runZkoc(['doctor', ...connection, '-n', 'doctor-clean']);
    expect(clean.stdout).toMatch(
      /^ok\s+zookeeper\s+lock tree\s+\/zkoc\/doctor-clean\/locks: 1 key\(s\), 1 ephemeral contender\(s\), nothing else$/m,
    );
    await held.release();

    // anyone may create these under the default open ACL
    const session = await zk.liveSession();
    const root = '/zkoc/doctor-tree/locks';
    await session.mkdirp(`${root}/k`);
    const impostor = `${root}/k/_c_00000000-0000-0000-0000-000000000000-lock-0000000000`;
    for (const path of [impostor, `${root}/k/junk`, `${root}/not.a.key`]) await session.create(path, null, 0);
    const run = await runZkoc(['doctor', ...connection, '-n', 'doctor-tree']);
    expect(run.code).toBe(0); // the lock ignores them: a warning, not a failure
    const line = run.stdout.split('\n').find((l) => /^WARN\s+zookeeper\s+lock tree\s/.test(l));
    expect(line).toContain(`3 node(s) under ${root} are not ephemeral lock contenders`);
    expect(line).toContain(`${impostor} (persistent, not a contender)`);
    expect(line).toContain(`${root}/k/junk (not a contender name)`);
    expect(line).toContain(`${root}/not.a.key (not a key)`);
  });

  it('prints one parseable JSON document under --json', async () => {
    const run = await runZkoc(['doctor', ...connection, '--json']);
    expect(run.code).toBe(0);
    const doc = JSON.parse(run.stdout) as { ok: boolean; checks: { server: string; check: string; status: string }[] };
    expect(doc.ok).toBe(true);
    expect(doc.checks.filter((c) => c.status === 'fail')).toEqual([]);
    expect(new Set(doc.checks.map((c) => c.server))).toEqual(new Set(['zookeeper', 'redis', 'postgres']));
  });

  it('fails clearly, within its timeout, when Redis is paused', faults, async () => {
    await stack.redis.pause();
    try {
      const run = await runZkoc(['doctor', ...connection, '--timeout-ms', '1000']);
      expect(run.code).toBe(1);
      expect(run.stdout).toMatch(
        /^FAIL\s+redis\s+reachable\s+redis at redis:\/\/127\.0\.0\.1:\d+: .*no answer within 1\.0s/m,
      );
      expect(run.stdout).toMatch(/^1 check FAILED: redis reachable$/m);
      // ZooKeeper and PostgreSQL are still checked and still fine.
      expect(run.stdout).toMatch(/^ok\s+zookeeper\s+session/m);
      expect(run.stdout).toMatch(/^ok\s+postgres\s+reachable/m);
      // Bounded: one probe timeout plus process start-up, not a hang.
      expect(run.durationMs).toBeLessThan(6_000);
    } finally {
      await stack.redis.resume();
    }
  });

  it('never prints a password given in --redis or --database-url, even in errors', async () => {
    const redisPassword = 'Redis-Pa55word-Xyzzy';
    const pgPassword = 'Pg-Pa55word-Plugh';
    const redisUrl = stack.redis.url.replace('redis://', `redis://:${redisPassword}@`);
    const pgUrl = stack.postgres.url.replace('postgres://postgres@', `postgres://postgres:${pgPassword}@`);
    for (const json of [[], ['--json']]) {
      const run = await runZkoc([
        'doctor',
        '--zk',
        stack.zookeeper.connectString,
        '--redis',
        redisUrl,
        '--database-url',
        pgUrl,
        '--timeout-ms',
        '1500',
        ...json,
      ]);
      const everything = run.stdout + run.stderr;
      expect(everything).not.toContain(redisPassword);
      expect(everything).not.toContain(pgPassword);
      expect(everything).toContain(':***@127.0.0.1');
    }
    // From the environment too, and on an unreachable server whose error embeds the URL.
    const run = await runZkoc(['doctor', '--timeout-ms', '500'], {
      env: {
        ZKOC_ZK: '127.0.0.1:1',
        ZKOC_REDIS: `redis://:${redisPassword}@127.0.0.1:1`,
        DATABASE_URL: `postgres://u:${pgPassword}@127.0.0.1:1/x`,
      },
    });
    expect(run.code).toBe(1);
    expect(run.stdout + run.stderr).not.toContain(redisPassword);
    expect(run.stdout + run.stderr).not.toContain(pgPassword);
    expect(run.stdout).toMatch(/FAIL\s+redis\s+reachable\s+redis at redis:\/\/:\*\*\*@127\.0\.0\.1:1/);
  });
});
