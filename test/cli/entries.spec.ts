import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OrderedStore } from '../../src/redis/index.js';
import type { StartedStack } from '../../src/testing/index.js';
import { startTestStack } from '../support/stack.js';
import { connectionFlags, runZkoc } from './run-zkoc.js';

const NAMESPACE = 'cli-entries';
const MAX_TS = '9223372036854775807';
const KEYS = {
  max: 'product:max',
  slash: 'a/b/../c',
  spaces: 'key with  spaces',
  unicode: '価格/ü/😀',
  gone: 'deleted:1',
};

describe('zkoc get, ts, scan', () => {
  let stack: StartedStack;
  let redis: Redis;
  let connection: string[];

  beforeAll(async () => {
    stack = await startTestStack();
    redis = new Redis(stack.redis.url, { lazyConnect: true, maxRetriesPerRequest: 0 });
    await redis.connect();
    const store = new OrderedStore(redis, { namespace: NAMESPACE, writerLabel: 'seeder' });
    await store.write(KEYS.max, { price: 50, name: 'Ünïcode 価格' }, BigInt(MAX_TS));
    await store.write(KEYS.slash, 'slash', 1n);
    await store.write(KEYS.spaces, 'spaces', 2n);
    await store.write(KEYS.unicode, 'x'.repeat(500), 3n);
    await store.invalidate(KEYS.gone, 4n);
    connection = connectionFlags(stack, NAMESPACE);
  });
  afterAll(async () => {
    redis?.disconnect();
    await stack?.stop();
  });

  it('get shows the exact timestamp 2^63-1 and the entry fields', async () => {
    const run = await runZkoc(['get', KEYS.max, ...connection]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^timestamp:\s+9223372036854775807$/m);
    expect(run.stdout).toMatch(/^kind:\s+value$/m);
    expect(run.stdout).toMatch(/^written by:\s+seeder$/m);
    expect(run.stdout).toMatch(/^TTL left:\s+(59m\d\ds|1h00m)$/m);
    expect(run.stdout).toMatch(/^retention left:\s+\d/m);
    expect(run.stdout).toContain('value:          {"price":50,"name":"Ünïcode 価格"}');

    const json = JSON.parse((await runZkoc(['get', KEYS.max, ...connection, '--json'])).stdout) as {
      entry: { timestamp: string; value: unknown };
    };
    expect(json.entry.timestamp).toBe(MAX_TS);
    expect(json.entry.value).toEqual({ price: 50, name: 'Ünïcode 価格' });
    expect((await runZkoc(['ts', KEYS.max, ...connection])).stdout).toBe(`${MAX_TS}\n`);
  });

  it('prints keys with "/", "..", spaces and Unicode exactly as given', async () => {
    for (const key of [KEYS.slash, KEYS.spaces, KEYS.unicode]) {
      const run = await runZkoc(['get', key, ...connection]);
      expect(run.code).toBe(0);
      expect(run.stdout.split('\n')[0]).toBe(`key:            ${key}`);
    }
    const scan = await runZkoc(['scan', ...connection]);
    expect(scan.code).toBe(0);
    const rows = scan.stdout.trimEnd().split('\n').slice(1);
    const sortedKeys = Object.values(KEYS).sort();
    expect(rows).toHaveLength(sortedKeys.length);
    rows.forEach((row, i) => {
      expect(row.startsWith(`${sortedKeys[i]}  `), row).toBe(true);
    });
    expect(scan.stdout).toMatch(/^product:max\s+value\s+9223372036854775807\s/m);
    expect(scan.stdout).toMatch(/^deleted:1\s+tombstone\s+4\s+- \(tombstone\)/m);
  });

  it('previews long values unless --raw', async () => {
    const preview = await runZkoc(['get', KEYS.unicode, ...connection]);
    expect(preview.stdout).toMatch(/^value:\s+"x{198}…$/m);
    expect(preview.stdout).toContain('(preview; --raw for all of it)');
    const raw = await runZkoc(['get', KEYS.unicode, ...connection, '--raw']);
    expect(raw.stdout).toContain(`"${'x'.repeat(500)}"`);
  });

  it('scan --prefix and --json list only matching entries with string timestamps', async () => {
    const run = await runZkoc(['scan', ...connection, '--prefix', 'product:', '--json']);
    expect(run.code).toBe(0);
    const doc = JSON.parse(run.stdout) as { entries: { key: string; timestamp: string }[]; truncated: boolean };
    expect(doc.entries.map((e) => [e.key, e.timestamp])).toEqual([[KEYS.max, MAX_TS]]);
    expect(doc.truncated).toBe(false);
  });

  it('ts and get exit 3 when the key is absent', async () => {
    const ts = await runZkoc(['ts', 'no such key', ...connection]);
    expect(ts.code).toBe(3);
    expect(ts.stdout).toBe('');
    expect(ts.stderr).toContain('no entry for key "no such key" in namespace cli-entries');
    const get = await runZkoc(['get', 'no such key', ...connection, '--json']);
    expect(get.code).toBe(3);
    expect(JSON.parse(get.stdout)).toEqual({ key: 'no such key', namespace: NAMESPACE, entry: null });
  });

  it('exits 2 on usage errors: missing argument, bad timestamp, unknown option, empty key', async () => {
    for (const args of [
      ['get'],
      ['set', 'k', 'v', '--ts', '-1'],
      ['set', 'k', 'v', '--ts', '9223372036854775808'],
      ['get', 'k', '--bogus'],
      ['get', ''],
      ['set', 'k', 'v'],
    ]) {
      const run = await runZkoc([...args, ...connection]);
      expect(run.code, args.join(' ')).toBe(2);
      expect(run.stdout).toBe('');
      expect(run.stderr).toMatch(/^error: /);
    }
  });

  it('exits 1 naming the server when Redis is unreachable, and prints a JSON error under --json', async () => {
    const run = await runZkoc([
      'get',
      'k',
      '--redis',
      'redis://:Sup3rSecretPw@127.0.0.1:1',
      '-n',
      NAMESPACE,
      '--timeout-ms',
      '500',
      '--json',
    ]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^zkoc get: could not connect to Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:1/);
    expect(JSON.parse(run.stdout)).toMatchObject({ error: { code: 'E_CONNECTION', server: 'redis' } });
    expect(run.stdout + run.stderr).not.toContain('Sup3rSecretPw');
  });

  it('has help with an example on every command', async () => {
    const root = await runZkoc(['--help']);
    expect(root.code).toBe(0);
    expect(root.stdout).toContain('Examples:');
    for (const command of ['locks', 'lock', 'get', 'ts', 'set', 'invalidate', 'watch', 'doctor', 'scan']) {
      const run = await runZkoc([command, '--help']);
      expect(run.code, command).toBe(0);
      expect(run.stdout, command).toMatch(/Example:\n {2}\$ zkoc /);
      expect(run.stdout, command).toContain('--redis <url>');
    }
  });
});
