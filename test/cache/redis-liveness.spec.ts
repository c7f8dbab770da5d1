import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openRedis } from '../../src/cache/redis-connection.js';
import { heldCommands } from '../../src/cache/redis-write-batching.js';
import { ConnectionError } from '../../src/errors.js';
import type { StartedStack } from '../../src/testing/index.js';
import { needs, startTestStack } from '../support/stack.js';
import { openCache } from './fixture.js';

const TIMEOUT_MS = 300;

describe(
  'connections the library opens: auto-pipelined, bounded by one liveness timer each',
  needs('faults', 'pauses Redis'),
  () => {
    let stack: StartedStack;

    beforeAll(async () => {
      stack = await startTestStack();
    });
    afterAll(async () => {
      await stack?.stop();
    });

    it('sends the commands of one event-loop turn in one socket write, and a lone command at once', async () => {
      const { client } = await openRedis(stack.redis.url, { connectTimeoutMs: 5_000, commandTimeoutMs: 5_000 });
      const redis = client as Redis;
      try {
        await redis.ping(); // the connection's handshake is done before we count
        // Count what reaches the socket: one _writev (or _write) call is one system write.
        type Sink = Record<'_write' | '_writev', (...args: unknown[]) => unknown>;
        const stream = (redis as unknown as { stream: Sink }).stream;
        const writes: number[] = [];
        for (const method of ['_write', '_writev'] as const) {
          const original = stream[method];
          stream[method] = function (this: unknown, ...args: unknown[]) {
            writes.push(method === '_writev' ? (args[0] as unknown[]).length : 1);
            return original.apply(this, args);
          };
        }
        const replies = Array.from({ length: 64 }, (_, i) => redis.hmgetBuffer(`liveness:k${i}`, 'a', 'b'));
        expect(await Promise.all(replies)).toEqual(Array.from({ length: 64 }, () => [null, null]));
        expect(writes).toEqual([64]);
        // Commands issued by the callers one batch of replies resumed leave together too.
        writes.length = 0;
        await Promise.all(
          Array.from({ length: 8 }, async (_, i) => {
            await redis.hmgetBuffer(`liveness:a${i}`, 'a');
            await redis.hmgetBuffer(`liveness:b${i}`, 'a');
          }),
        );
        expect(writes.reduce((a, b) => a + b, 0)).toBe(16);
        expect(writes.length).toBeLessThanOrEqual(4);
        // One command alone is written within the same turn, not deferred to a later one.
        writes.length = 0;
        const lone = redis.hmgetBuffer('liveness:lone', 'a');
        await new Promise<void>((resolve) => process.nextTick(resolve));
        expect(writes).toEqual([1]);
        await lone;
      } finally {
        redis.disconnect();
      }
    });

    it('a paused Redis fails every waiting call with ConnectionError within the bound, then the cache recovers', async () => {
      const cache = await openCache<number>(stack, { redisCommandTimeoutMs: TIMEOUT_MS });
      try {
        await cache.set('k', 1, 1n);
        await stack.redis.pause();
        let outcomes: PromiseSettledResult<unknown>[];
        let elapsedMs: number;
        try {
          const started = performance.now();
          outcomes = await Promise.allSettled([
            cache.peek('k'),
            cache.peek('other'),
            cache.get('k', () => Promise.reject(new Error('must not load'))),
          ]);
          elapsedMs = performance.now() - started;
        } finally {
          await stack.redis.resume();
        }
        for (const outcome of outcomes) {
          expect(outcome.status).toBe('rejected');
          const error = (outcome as PromiseRejectedResult).reason;
          expect(error).toBeInstanceOf(ConnectionError);
          expect(error).toMatchObject({ code: 'E_CONNECTION', server: 'redis' });
          expect((error as Error).message).toMatch(/redisCommandTimeoutMs=300/);
        }
        // The oldest command is failed between 1× and 1.2× the bound after it was first seen. The slack
        // is for timers running late on a loaded 2-core machine; it stays well below the 5 s default
        // bound, so the configured one is what failed them.
        expect(elapsedMs).toBeGreaterThanOrEqual(TIMEOUT_MS);
        expect(elapsedMs).toBeLessThan(TIMEOUT_MS * 1.2 + 700);
        // Resumed: the socket stayed open, the late replies are consumed, and new calls work.
        expect(await cache.peek('k')).toMatchObject({ kind: 'value', value: 1, timestamp: 1n });
      } finally {
        await cache.close();
      }
    });

    it('commands held behind an unanswered one fail within the bound too when Redis is paused', async () => {
      const { client } = await openRedis(stack.redis.url, { connectTimeoutMs: 5_000, commandTimeoutMs: TIMEOUT_MS });
      const redis = client as Redis;
      try {
        await redis.ping();
        await stack.redis.pause();
        let outcomes: PromiseSettledResult<unknown>[];
        let elapsedMs: number;
        try {
          const started = performance.now();
          const written = redis.get('liveness:written');
          await new Promise((resolve) => setTimeout(resolve, 50)); // its turn is over: what follows is held
          const held = Array.from({ length: 5 }, (_, i) => redis.get(`liveness:held${i}`));
          expect(heldCommands(redis)).toHaveLength(5);
          outcomes = await Promise.allSettled([written, ...held]);
          elapsedMs = performance.now() - started;
        } finally {
          await stack.redis.resume();
        }
        for (const outcome of outcomes) {
          expect(outcome).toMatchObject({
            status: 'rejected',
            reason: { message: expect.stringMatching(/^Command timed out: .*redisCommandTimeoutMs=300\)$/) },
          });
        }
        expect(elapsedMs).toBeGreaterThanOrEqual(TIMEOUT_MS);
        expect(elapsedMs).toBeLessThan(TIMEOUT_MS * 1.2 + 700);
        // Resumed: the late reply releases the held commands (already failed), and new ones work.
        expect(await redis.set('liveness:after', '1')).toBe('OK');
        expect(heldCommands(redis)).toHaveLength(0);
      } finally {
        redis.disconnect();
      }
    });
  },
);
