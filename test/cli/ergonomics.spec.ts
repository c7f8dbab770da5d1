import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { normalizeArgv } from '../../src/cli/argv.js';
import { describeError } from '../../src/cli/exit-codes.js';
import { ConnectionError, InvalidOptionsError, ZooKeeperError } from '../../src/errors.js';
import type { StartedStack } from '../../src/testing/index.js';
import { startTestStack } from '../support/stack.js';
import { runZkoc } from './run-zkoc.js';

const NAMESPACE = 'cli-ergonomics';

async function refusedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('normalizeArgv (pure)', () => {
  const argv = (...args: string[]) => ['node', 'zkoc', ...args];
  it('moves global flags given before the command after it', () => {
    expect(normalizeArgv(argv('-n', 'products', '--json', 'locks', '--prefix', 'p'))).toEqual(
      argv('locks', '-n', 'products', '--json', '--prefix', 'p'),
    );
    expect(normalizeArgv(argv('--zk=h:1', '--timeout-ms', '9', 'get', 'k'))).toEqual(
      argv('get', '--zk=h:1', '--timeout-ms', '9', 'k'),
    );
  });
  it('leaves everything else alone', () => {
    expect(normalizeArgv(argv('locks', '-n', 'x'))).toEqual(argv('locks', '-n', 'x'));
    expect(normalizeArgv(argv('--version'))).toEqual(argv('--version'));
    expect(normalizeArgv(argv('set', 'k', '--', '--timestamp'))).toEqual(argv('set', 'k', '--', '--timestamp'));
  });
  it('names the flag meant for a habitual one, without echoing its value', () => {
    expect(() => normalizeArgv(argv('set', 'k', 'v', '--timestamp=50'))).toThrow(
      "error: unknown option '--timestamp' (did you mean --ts?)",
    );
  });
});

describe('describeError (pure): messages in the terms of the flags the user typed', () => {
  it.each([
    [
      new ConnectionError('zookeeper', 'could not open a ZooKeeper session at h:1 within connectTimeoutMs=500'),
      'within --timeout-ms=500',
    ],
    [
      new ZooKeeperError(
        'NO_AUTH',
        'refused (NO_AUTH): lacks the credential (set zookeeper.auth to a credential the ACL grants)',
      ),
      '(pass --zk-auth with a credential the ACL grants)',
    ],
    [new InvalidOptionsError('connectString must look like "host:port", got "zk://h"'), '--zk must look like'],
    [new InvalidOptionsError('lockTimeoutMs must be an integer from 1 to 600000'), '--timeout-ms must be an integer'],
  ])('%s', (error, expected) => {
    expect(describeError(error).message).toContain(expected);
  });
});

describe('zkoc ergonomics', () => {
  let stack: StartedStack;
  let connection: string[];

  beforeAll(async () => {
    stack = await startTestStack();
    connection = ['--zk', stack.zookeeper.connectString, '--redis', stack.redis.url, '-n', NAMESPACE];
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('accepts the global flags before the command (zkoc -n products --json locks)', async () => {
    const run = await runZkoc([...connection, '--json', 'locks']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({ namespace: NAMESPACE, locks: [] });
  });

  it('the help lists --zk-auth and says flags may come before the command', async () => {
    const run = await runZkoc(['--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('--zk-auth <user:password> (ZKOC_ZK_AUTH)');
    expect(run.stdout).toContain('before or after its name: zkoc -n products locks');
  });

  it('--timestamp 50 is a usage error that suggests --ts', async () => {
    const run = await runZkoc(['set', 'k', '1', '--timestamp', '50', ...connection]);
    expect({ code: run.code, stderr: run.stderr }).toEqual({
      code: 2,
      stderr: "error: unknown option '--timestamp' (did you mean --ts?)\n",
    });
  });

  it('--version is the version in package.json', async () => {
    const manifest = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as {
      version: string;
    };
    const run = await runZkoc(['--version']);
    expect({ code: run.code, stdout: run.stdout }).toEqual({ code: 0, stdout: `${manifest.version}\n` });
  });

  it('errors name the flag the user typed (--timeout-ms), not the library option', async () => {
    const run = await runZkoc([
      'get',
      'k',
      '--redis',
      `redis://127.0.0.1:${await refusedPort()}`,
      '--timeout-ms',
      '700',
    ]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('(--timeout-ms=700)');
    expect(run.stderr).not.toMatch(/[a-zA-Z]TimeoutMs/);
  });

  it('a refused Redis fails about as fast as zkoc starts (no lingering driver timer)', async () => {
    const port = await refusedPort();
    const started = await runZkoc(['--version']);
    const refused = await runZkoc(['get', 'k', '--redis', `redis://127.0.0.1:${port}`, '--timeout-ms', '5000']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('ECONNREFUSED');
    expect(refused.durationMs - started.durationMs).toBeLessThan(1_000);
  });

  it('an equal timestamp reads as the same timestamp, not as "newer than" itself', async () => {
    await runZkoc(['set', 'eq', '1', '--ts', '9', ...connection]);
    const run = await runZkoc(['invalidate', 'eq', '--ts', '9', ...connection]);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(
      'stale: "eq" already holds a value at timestamp 9, which a tombstone at the same timestamp does not replace; nothing changed\n',
    );
  });

  it('doctor prints SKIP rows after a ZooKeeper and a PostgreSQL failure, as after a Redis one', async () => {
    const port = await refusedPort();
    const run = await runZkoc([
      'doctor',
      '--zk',
      `127.0.0.1:${port}`,
      '--redis',
      stack.redis.url,
      '--database-url',
      `postgres://nobody@127.0.0.1:${port}/none`,
      '--timeout-ms',
      '500',
    ]);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^FAIL\s+zookeeper\s+reachable\s+.*ECONNREFUSED/m);
    expect(run.stdout).toMatch(/^SKIP\s+zookeeper\s+version\s+skipped: zookeeper not reachable$/m);
    expect(run.stdout).toMatch(/^SKIP\s+zookeeper\s+acl\s+skipped: zookeeper not reachable$/m);
    expect(run.stdout).toMatch(/^FAIL\s+postgres\s+reachable\s+.*ECONNREFUSED/m);
    for (const check of ['version', 'auth', 'clock skew'])
      expect(run.stdout).toMatch(new RegExp(`^SKIP\\s+postgres\\s+${check}\\s+skipped: postgres not reachable$`, 'm'));
  });
});
