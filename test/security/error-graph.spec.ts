import { createServer, type Server } from 'node:net';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { OrderedCacheOptions } from '../../src/cache/options.js';
import { OrderedCache } from '../../src/cache/ordered-cache.js';
import { AccessDeniedError, ConnectionError, InvalidOptionsError, ZkocError } from '../../src/errors.js';
import type { StartedStack } from '../../src/testing/index.js';
import { needs, startTestStack } from '../support/stack.js';
import { reachableStrings } from './reachable-strings.js';

// Secrets with an unencoded '@' and ':' (ioredis accepts both in a URL's password).
const PASSWORD = 'Sup3r@S3cretPw';
const NEW_PASSWORD = 'N3w-S3cret-Pw-77';
const SECRETS = [PASSWORD, NEW_PASSWORD, 'S3cretPw', encodeURIComponent(PASSWORD)];

function expectNoSecret(error: unknown): void {
  expect(error).toBeInstanceOf(ZkocError);
  const strings = reachableStrings(error);
  for (const secret of SECRETS) {
    const hit = strings.find((s) => s.includes(secret));
    expect(hit, `secret ${secret} reachable from the error`).toBeUndefined();
  }
}

async function rejection(work: Promise<unknown>): Promise<unknown> {
  return work.then(
    () => {
      throw new Error('expected a failure, the call succeeded');
    },
    (error: unknown) => error,
  );
}

describe(
  'no credential anywhere in the error object graph',
  needs('exclusive', 'changes Redis ACL users and passwords on the server'),
  () => {
    let stack: StartedStack;
    let admin: Redis;
    let deadPort: number;
    let silent: Server;
    let silentPort: number;
    let namespaces = 0;
    const caches: OrderedCache<unknown>[] = [];

    const open = async (redis: OrderedCacheOptions['redis'], extra: Partial<OrderedCacheOptions> = {}) => {
      const cache = await OrderedCache.connect({
        zookeeper: { connectString: stack.zookeeper.connectString, sessionTimeoutMs: 4_000 },
        redis,
        namespace: `graph${++namespaces}`,
        lockTimeoutMs: 3_000,
        redisConnectTimeoutMs: 1_500,
        redisCommandTimeoutMs: 1_500,
        ...extra,
      });
      caches.push(cache);
      return cache;
    };
    const url = (user: string, password: string, port = stack.redis.port) =>
      `redis://${user}:${password}@${stack.redis.host}:${port}`;

    beforeAll(async () => {
      stack = await startTestStack();
      admin = new Redis(stack.redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
      await admin.connect();
      await admin.call('ACL', 'SETUSER', 'graphuser', 'on', `>${PASSWORD}`, '~*', '+@all');
      // a port nobody listens on, and a server that accepts and never answers
      const probe = createServer();
      await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
      deadPort = (probe.address() as { port: number }).port;
      await new Promise<void>((resolve) => probe.close(() => resolve()));
      silent = createServer(() => {});
      await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
      silentPort = (silent.address() as { port: number }).port;
    });
    afterEach(async () => {
      await Promise.all(caches.splice(0).map((cache) => cache.close().catch(() => {})));
      await admin.call('ACL', 'SETUSER', 'graphuser', 'on', 'resetpass', `>${PASSWORD}`);
    });
    afterAll(async () => {
      await admin?.call('ACL', 'DELUSER', 'graphuser');
      admin?.disconnect();
      silent?.close();
      await stack?.stop();
    });

    it('a wrong password at connect: AccessDeniedError (WRONGPASS) naming the server, no password', async () => {
      for (const redis of [
        url('graphuser', NEW_PASSWORD),
        { host: stack.redis.host, port: stack.redis.port, username: 'graphuser', password: NEW_PASSWORD },
      ]) {
        const error = await rejection(open(redis));
        expect(error).toBeInstanceOf(AccessDeniedError);
        expect((error as AccessDeniedError).reply).toBe('WRONGPASS');
        expect((error as AccessDeniedError).server).toBe('redis');
        expectNoSecret(error);
      }
    });

    it('no password against requirepass at connect: AccessDeniedError (NOAUTH)', async () => {
      await admin.config('SET', 'requirepass', NEW_PASSWORD);
      try {
        const error = await rejection(open(`redis://${stack.redis.host}:${stack.redis.port}`));
        expect(error).toBeInstanceOf(AccessDeniedError);
        expect((error as AccessDeniedError).reply).toBe('NOAUTH');
        expectNoSecret(error);
      } finally {
        await admin.config('SET', 'requirepass', '');
      }
    });

    it('the password changed under a live connection: the next set and get are AccessDeniedError with no password in any cause', async () => {
      const cache = await open(url('graphuser', PASSWORD));
      expect((await cache.set('k', 1, 1n)).status).toBe('written');
      await admin.call('ACL', 'SETUSER', 'graphuser', 'resetpass', `>${NEW_PASSWORD}`);
      await admin.call('CLIENT', 'KILL', 'USER', 'graphuser');
      const setError = await rejection(cache.set('k', 2, 2n));
      expect(setError).toBeInstanceOf(ZkocError);
      expectNoSecret(setError);
      const getError = await rejection(cache.get('other', async () => ({ value: 1, timestamp: 1n })));
      expectNoSecret(getError);
      expect([setError, getError].some((e) => e instanceof AccessDeniedError)).toBe(true);
    });

    it('a malformed URL, alone or in a seed list: InvalidOptionsError without the URL', async () => {
      for (const redis of [
        `redis://:${PASSWORD}@bad host:6379`,
        [url('graphuser', PASSWORD), `redis://u:${PASSWORD}@bad host:1`],
        [`redis://u:${PASSWORD}@[::1`],
      ]) {
        const error = await rejection(open(redis));
        expect(error).toBeInstanceOf(InvalidOptionsError);
        expectNoSecret(error);
      }
    });

    it('timeouts: an unreachable server and a server that never answers give ConnectionError without the password', async () => {
      for (const port of [deadPort, silentPort]) {
        const error = await rejection(open(url('graphuser', PASSWORD, port)));
        expect(error).toBeInstanceOf(ConnectionError);
        expect((error as Error).message).toContain('redis://graphuser:***@');
        expectNoSecret(error);
      }
    });

    it('cluster seeds with a password that do not answer: ConnectionError without the password', async () => {
      const error = await rejection(
        open([url('graphuser', PASSWORD, deadPort), url('graphuser', PASSWORD, silentPort)]),
      );
      expect(error).toBeInstanceOf(ConnectionError);
      expectNoSecret(error);
    });

    it('an ioredis client we did not create, whose password changed: the refusal carries no password', async () => {
      const client = new Redis(url('graphuser', PASSWORD), { lazyConnect: true, maxRetriesPerRequest: 1 });
      client.on('error', () => {}); // the refusal is asserted on the call below
      await client.connect();
      try {
        const cache = await open(client);
        await admin.call('ACL', 'SETUSER', 'graphuser', 'resetpass', `>${NEW_PASSWORD}`);
        await admin.call('CLIENT', 'KILL', 'USER', 'graphuser');
        const error = await rejection(cache.set('k', 1, 1n));
        expectNoSecret(error);
      } finally {
        client.disconnect();
      }
    });
  },
);
