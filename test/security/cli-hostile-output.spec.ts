import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeKeyAsZnodeName } from '../../src/core/key.js';
import { OrderedStore } from '../../src/redis/index.js';
import type { StartedStack } from '../../src/testing/index.js';
import { connectionFlags, runZkoc, spawnZkoc, type ZkocRun } from '../cli/run-zkoc.js';
import { startTestStack } from '../support/stack.js';
import { CreateMode, connectTestClient, type TestZooKeeperClient } from '../testing/zookeeper-test-client.js';

const NAMESPACE = 'cli-hostile';
// Clears the screen and sets the window title; a C1 CSI (U+009B) and DEL; a bidi override.
const HOSTILE_HOST = '\u001b[2J\u001b]0;pwned\u0007';
const HOSTILE_LABEL = '\u009b31mred\u007f\u202egnp.exe';
const HOSTILE_KEY = 'k\u001b[2J\u0085\u009b0m\u007f';
const MISSING_KEY = 'gone\u009b2J\u007f\u001b]0;x\u0007';
const URL_KEY = 'x://u:p@h';
const URL_VALUE = 'y://a:b@c';
const URL_LOCK_KEY = 'z://v:q@w';
// node-zookeeper-client's mode for a contender node (the test client types only two modes).
const EPHEMERAL_SEQUENTIAL = (CreateMode as unknown as { EPHEMERAL_SEQUENTIAL: number }).EPHEMERAL_SEQUENTIAL;
// Raw bytes a terminal acts on: C0 except newline, DEL, C1, line separators, bidi controls.
const UNSAFE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

function expectTerminalSafe(run: ZkocRun | { stdout: string; stderr: string }, what: string): void {
  expect(UNSAFE.exec(run.stdout), `${what}: stdout ${JSON.stringify(run.stdout)}`).toBeNull();
  expect(UNSAFE.exec(run.stderr), `${what}: stderr ${JSON.stringify(run.stderr)}`).toBeNull();
}

// Issue 18, items 5 and 8: everything zkoc prints that came from a server is escaped, in every
// command, and data that looks like a credential URL is printed as it is.
describe('zkoc against hostile data written by a raw ZooKeeper client', () => {
  let stack: StartedStack;
  let zk: TestZooKeeperClient;
  let redis: Redis;
  let connection: string[];

  beforeAll(async () => {
    stack = await startTestStack();
    zk = await connectTestClient(stack.zookeeper.connectString, 10_000);
    // Under the default open ACL anyone may queue a contender with any holder data.
    for (const key of [HOSTILE_KEY, URL_LOCK_KEY]) {
      let path = '';
      for (const part of ['zkoc', NAMESPACE, 'locks', encodeKeyAsZnodeName(key)]) {
        path += `/${part}`;
        await zk.create(path, '').catch((error: { name?: string }) => {
          if (error.name !== 'NODE_EXISTS') throw error;
        });
      }
      await zk.create(
        `${path}/_c_${randomUUID()}-lock-`,
        JSON.stringify({ host: HOSTILE_HOST, pid: 1, label: HOSTILE_LABEL, requestedAt: Date.now() }),
        EPHEMERAL_SEQUENTIAL,
      );
    }
    redis = new Redis(stack.redis.url, { lazyConnect: true, maxRetriesPerRequest: 0 });
    await redis.connect();
    const store = new OrderedStore(redis, { namespace: NAMESPACE, writerLabel: `writer${HOSTILE_LABEL}` });
    await store.write(HOSTILE_KEY, { v: `value${HOSTILE_HOST}${HOSTILE_LABEL}` }, 5n);
    connection = connectionFlags(stack, NAMESPACE);
  });
  afterAll(async () => {
    zk?.close();
    redis?.disconnect();
    await stack?.stop();
  });

  it('locks, lock, get, scan and ts escape keys, values, holder data and labels, in text and JSON', async () => {
    for (const args of [
      ['locks'],
      ['lock', HOSTILE_KEY],
      ['get', HOSTILE_KEY],
      ['get', HOSTILE_KEY, '--raw'],
      ['scan'],
      ['ts', HOSTILE_KEY],
    ]) {
      for (const json of [[], ['--json']]) {
        const run = await runZkoc([...args, ...connection, ...json]);
        expect(run.code, `${args.join(' ')} ${json.join(' ')}: ${run.stderr}`).toBe(0);
        expectTerminalSafe(run, args.join(' '));
        if (json.length > 0)
          expect(JSON.stringify(JSON.parse(run.stdout))).toContain(JSON.stringify(HOSTILE_KEY).slice(1, -1));
      }
    }
    const locks = await runZkoc(['locks', ...connection]);
    expect(locks.stdout).toContain('\\x1b[2J\\x1b]0;pwned\\x07');
    expect(locks.stdout).toContain('\\x9b31mred\\x7f\\u202egnp.exe');
  });

  it('set and invalidate result lines and the not-found messages of get, ts and lock are escaped', async () => {
    const runs: [string, ZkocRun][] = [
      ['set', await runZkoc(['set', MISSING_KEY.replace('gone', 'new'), 'v', '--ts', '3', ...connection])],
      ['set stale', await runZkoc(['set', HOSTILE_KEY, 'v', '--ts', '1', ...connection])],
      ['invalidate', await runZkoc(['invalidate', MISSING_KEY.replace('gone', 'inv'), '--ts', '3', ...connection])],
      ['get', await runZkoc(['get', MISSING_KEY, ...connection])],
      ['ts', await runZkoc(['ts', MISSING_KEY, ...connection])],
      ['lock', await runZkoc(['lock', MISSING_KEY, ...connection])],
    ];
    for (const [what, run] of runs) {
      expect(run.stdout + run.stderr, what).toMatch(/\\x9b|\\x1b/);
      expectTerminalSafe(run, what);
    }
  });

  it('watch escapes the hostile holder, in text and NDJSON', async () => {
    for (const json of [[], ['--json']]) {
      const watch = spawnZkoc(['watch', ...connection, ...json]);
      try {
        await watch.waitFor((_, stderr) => stderr.includes('Ctrl-C to stop'), 10_000, 'watch start');
        await watch.waitFor((stdout) => stdout.includes('pwned'), 5_000, 'the hostile holder');
      } finally {
        await watch.interrupt();
      }
      expectTerminalSafe({ stdout: watch.stdout(), stderr: watch.stderr() }, `watch ${json.join(' ')}`);
      if (json.length > 0)
        for (const line of watch.stdout().trim().split('\n')) expect(() => JSON.parse(line) as unknown).not.toThrow();
    }
  });

  it('a key and a value that look like a URL with a password are printed as they are (item 8)', async () => {
    expect((await runZkoc(['set', URL_KEY, URL_VALUE, '--ts', '7', '--string', ...connection])).code).toBe(0);
    const get = await runZkoc(['get', URL_KEY, ...connection]);
    expect(get.stdout).toContain(`key:            ${URL_KEY}`);
    expect(get.stdout).toContain(URL_VALUE);
    const getJson = JSON.parse((await runZkoc(['get', URL_KEY, ...connection, '--json'])).stdout) as {
      entry: { key: string; value: string };
    };
    expect(getJson.entry).toMatchObject({ key: URL_KEY, value: URL_VALUE });
    const scan = await runZkoc(['scan', ...connection]);
    expect(scan.stdout).toContain(URL_KEY);
    const scanJson = JSON.parse((await runZkoc(['scan', ...connection, '--json'])).stdout) as {
      entries: { key: string }[];
    };
    expect(scanJson.entries.map((e) => e.key)).toContain(URL_KEY);
    const locks = await runZkoc(['locks', ...connection]);
    expect(locks.stdout).toContain(URL_LOCK_KEY);
    const locksJson = await runZkoc(['locks', ...connection, '--json']);
    expect(locksJson.stdout).toContain(JSON.stringify(URL_LOCK_KEY));
  });

  it('a JSON number a double cannot hold is refused, not stored rounded (item 11)', async () => {
    const run = await runZkoc(['set', 'big', '12345678901234567890', '--ts', '1', ...connection]);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(/12345678901234567890 would be stored as 12345678901234567000/);
    expect((await runZkoc(['get', 'big', ...connection])).code).toBe(3);
    expect((await runZkoc(['set', 'big', '"12345678901234567890"', '--ts', '1', ...connection])).code).toBe(0);
    expect((await runZkoc(['get', 'big', ...connection])).stdout).toContain('"12345678901234567890"');
  });

  it('a password with an unencoded @ is masked whole by get and doctor --json (item 2)', async () => {
    await redis.call('ACL', 'SETUSER', 'atuser', 'on', '>p@ss1234X', '~*', '+@all');
    try {
      const url = `redis://atuser:p@ss1234X-wrong@${stack.redis.host}:${stack.redis.port}`;
      const args = ['--zk', stack.zookeeper.connectString, '--redis', url, '-n', NAMESPACE, '--timeout-ms', '3000'];
      for (const run of [await runZkoc(['get', 'k', ...args]), await runZkoc(['doctor', ...args, '--json'])]) {
        expect(run.stdout + run.stderr).toContain('redis://atuser:***@');
        expect(run.stdout + run.stderr).not.toMatch(/ss1234X/);
      }
    } finally {
      await redis.call('ACL', 'DELUSER', 'atuser');
    }
  });

  it('a mistyped flag carrying a credential is not echoed (item 4)', async () => {
    const run = await runZkoc(['locks', '--zk-auht=app:S3cretZk', ...connection]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("unknown option '--zk-auht=***'");
    expect(run.stdout + run.stderr).not.toContain('S3cretZk');
  });

  it('a foreign key does not stop scan: it is reported and the other entries are listed (item 6)', async () => {
    const foreign = `zkoc:${NAMESPACE}:e:foreign\u001b[2J`;
    await redis.hset(foreign, {
      zkoc: '1',
      k: 'v',
      ts: '9999999999999999999',
      exp: '1',
      v: '1',
      at: '1',
      by: 'x',
      ret: '1',
    });
    try {
      const run = await runZkoc(['scan', ...connection]);
      expect(run.code).toBe(0);
      expect(run.stdout).toContain('\\x1b[2J\\x85');
      expect(run.stderr).toMatch(/foreign key "foreign\\u001b\[2J": .*malformed timestamp field ts/);
      expectTerminalSafe(run, 'scan with a foreign key');
      const json = JSON.parse((await runZkoc(['scan', ...connection, '--json'])).stdout) as {
        entries: unknown[];
        foreign: { key: string }[];
      };
      expect(json.foreign.map((f) => f.key)).toEqual(['foreign\u001b[2J']);
      expect(json.entries.length).toBeGreaterThan(0);
      const watch = spawnZkoc(['watch', ...connection]);
      try {
        await watch.waitFor((_, stderr) => stderr.includes('Ctrl-C to stop'), 10_000, 'watch starts despite it');
        expect(watch.stdout()).toMatch(/foreign {3}"foreign\\u001b\[2J": .*malformed timestamp field ts/);
      } finally {
        expect(await watch.interrupt()).toBe(130);
      }
      expect(await redis.hget(foreign, 'ts')).toBe('9999999999999999999');
    } finally {
      await redis.del(foreign);
    }
  });
});
