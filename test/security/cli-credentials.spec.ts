import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OrderedCache } from '../../src/cache/ordered-cache.js';
import type { StartedStack } from '../../src/testing/index.js';
import { runZkoc, type ZkocRun } from '../cli/run-zkoc.js';
import { needs, startTestStack } from '../support/stack.js';

const exclusive = needs('exclusive', 'creates Redis ACL users and znodes only its credentials can remove');

const NAMESPACE = 'cli-sec';
const ZK_CREDENTIAL = 'zkoc:zk-cli-pass-81f';
const REDIS_PASSWORD = 'redis-cli-pass-27a';
const SECRETS = [
  'zk-cli-pass-81f',
  'redis-cli-pass-27a',
  'zk-wrong-pass-6c3',
  'redis-wrong-pass-19d',
  'pg-cli-pass-5b2',
];

// The built zkoc against an ACL'd lock root and an ACL Redis user: it works with the credentials,
// fails with a message that says which credential is missing without them, and never prints any.
describe('zkoc with ZooKeeper and Redis credentials', exclusive, () => {
  let stack: StartedStack;
  let admin: Redis;
  let owner: OrderedCache;
  let redisUrl: string;
  let common: string[];

  const expectNoSecrets = (run: ZkocRun): void => {
    for (const secret of SECRETS) {
      expect(run.stdout).not.toContain(secret);
      expect(run.stderr).not.toContain(secret);
    }
  };

  beforeAll(async () => {
    stack = await startTestStack();
    admin = new Redis(stack.redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await admin.connect();
    await admin.call('ACL', 'SETUSER', 'zkoc-cli', 'on', `>${REDIS_PASSWORD}`, 'resetkeys', '~zkoc:*', '+@all');
    // docs/access-control.md: the library's minimal ACL plus what scan and doctor need
    await admin.call(
      'ACL',
      'SETUSER',
      'zkoc-ops',
      'on',
      `>${REDIS_PASSWORD}`,
      'resetkeys',
      '~zkoc:*',
      'resetchannels',
      '-@all',
      '+hmget',
      '+get',
      '+set',
      '+evalsha',
      '+eval',
      '+hset',
      '+pexpire',
      '+exists',
      '+type',
      '+time',
      '+info',
      '+scan',
      '+ping',
      '+acl|whoami',
      '+script|exists',
    );
    redisUrl = `redis://zkoc-cli:${REDIS_PASSWORD}@${stack.redis.host}:${stack.redis.port}`;
    // the application creates the ACL'd lock root
    owner = await OrderedCache.connect({
      zookeeper: {
        connectString: stack.zookeeper.connectString,
        auth: [{ scheme: 'digest', credentials: ZK_CREDENTIAL }],
        acl: 'creator',
      },
      redis: redisUrl,
      namespace: NAMESPACE,
    });
    await owner.set('seeded', 'by the app', 1n);
    common = ['--zk', stack.zookeeper.connectString, '-n', NAMESPACE, '--timeout-ms', '3000'];
  });
  afterAll(async () => {
    await owner?.close();
    await admin?.call('ACL', 'DELUSER', 'zkoc-cli', 'zkoc-ops');
    admin?.disconnect();
    await stack?.stop();
  });

  it("with --zk-auth and a user:password Redis URL, set writes through the ACL'd lock; nothing secret is printed", async () => {
    const run = await runZkoc([
      'set',
      'product:1',
      '42',
      '--ts',
      '5',
      ...common,
      '--redis',
      redisUrl,
      '--zk-auth',
      ZK_CREDENTIAL,
    ]);
    expectNoSecrets(run);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^written: value for "product:1" at timestamp 5/);
    expect(await owner.peek('product:1')).toMatchObject({ kind: 'value', value: 42, timestamp: 5n });
  });

  it('the credential can come from ZKOC_ZK_AUTH, with --json', async () => {
    const run = await runZkoc(['set', 'product:2', '7', '--ts', '3', '--json', ...common, '--redis', redisUrl], {
      env: { ZKOC_ZK_AUTH: ZK_CREDENTIAL },
    });
    expectNoSecrets(run);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ key: 'product:2', status: 'written', timestamp: '3' });
  });

  it('without --zk-auth, or with a wrong password, set is refused with NO_AUTH and writes nothing', async () => {
    for (const auth of [[], ['--zk-auth', 'zkoc:zk-wrong-pass-6c3'], ['--zk-auth=zkoc:zk-wrong-pass-6c3']]) {
      const run = await runZkoc(['set', 'product:3', '1', '--ts', '1', ...common, '--redis', redisUrl, ...auth]);
      expectNoSecrets(run);
      expect(run.code, run.stderr).not.toBe(0);
      expect(run.stdout).toBe('');
      expect(run.stderr).toMatch(/NO_AUTH.*lacks the credential/);
      expect(run.stderr).toContain(`/zkoc/${NAMESPACE}/locks`);
    }
    expect(await owner.peek('product:3')).toBeUndefined();
  });

  it('a wrong Redis password fails with a masked URL; the password never appears', async () => {
    const run = await runZkoc([
      'get',
      'seeded',
      ...common,
      '--redis',
      `redis://zkoc-cli:redis-wrong-pass-19d@${stack.redis.host}:${stack.redis.port}`,
    ]);
    expectNoSecrets(run);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain('redis://zkoc-cli:***@');
  });

  it('reading needs no ZooKeeper credential (the lock tree is world-readable) and prints none', async () => {
    await using lock = await owner.locks.acquire('held-key');
    const run = await runZkoc(['locks', ...common, '--redis', redisUrl, '--zk-auth', ZK_CREDENTIAL]);
    expectNoSecrets(run);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('held-key');
    const anonymous = await runZkoc(['lock', 'held-key', ...common, '--redis', redisUrl]);
    expect(anonymous.code).toBe(0);
    expect(anonymous.stdout).toContain(lock.path.split('/').at(-1)!);
    expectNoSecrets(anonymous);
  });

  it('doctor passes ?sslmode= to the pg driver (the harness PostgreSQL has no SSL: require fails, disable works), password masked', async () => {
    const { host, port, database } = stack.postgres;
    const pgUrl = (sslmode: string): string =>
      `postgres://postgres:pg-cli-pass-5b2@${host}:${port}/${database}?sslmode=${sslmode}`;
    const doctor = (sslmode: string) =>
      runZkoc([
        'doctor',
        ...common,
        '--redis',
        redisUrl,
        '--zk-auth',
        ZK_CREDENTIAL,
        '--database-url',
        pgUrl(sslmode),
        '--json',
      ]);
    const postgresReachable = (run: ZkocRun) =>
      (
        JSON.parse(run.stdout) as { checks: { server: string; check: string; status: string; detail: string }[] }
      ).checks.find((c) => c.server === 'postgres' && c.check === 'reachable');

    const required = await doctor('require');
    expectNoSecrets(required);
    expect(postgresReachable(required)).toMatchObject({
      status: 'fail',
      detail: expect.stringMatching(/does not support SSL/),
    });
    expect(required.stdout).toContain('postgres://postgres:***@');

    const disabled = await doctor('disable');
    expectNoSecrets(disabled);
    expect(postgresReachable(disabled)).toMatchObject({ status: 'ok' });
  });

  it('the documented minimal ACL plus +scan +ping +acl|whoami +script|exists is enough for set, get, scan and doctor', async () => {
    const opsUrl = `redis://zkoc-ops:${REDIS_PASSWORD}@${stack.redis.host}:${stack.redis.port}`;
    const withOps = (args: string[]) => runZkoc([...args, ...common, '--redis', opsUrl, '--zk-auth', ZK_CREDENTIAL]);
    for (const args of [['set', 'ops:1', '"x"', '--ts', '2'], ['get', 'ops:1'], ['scan']]) {
      const run = await withOps(args);
      expectNoSecrets(run);
      expect(run.stderr, args.join(' ')).toBe('');
      expect(run.code, args.join(' ')).toBe(0);
    }
    expect((await withOps(['scan'])).stdout).toContain('ops:1');
    const doctor = await withOps(['doctor', '--json']);
    expectNoSecrets(doctor);
    const redisChecks = (
      JSON.parse(doctor.stdout) as { checks: { server: string; check: string; status: string; detail: string }[] }
    ).checks.filter((c) => c.server === 'redis');
    expect(redisChecks.length).toBeGreaterThan(2);
    for (const check of redisChecks) expect(check.status, `${check.check}: ${check.detail}`).not.toBe('fail');
    expect(redisChecks.map((c) => c.detail).join('\n')).toContain('zkoc-ops');
  });
});
