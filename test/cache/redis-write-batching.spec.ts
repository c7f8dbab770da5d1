import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openRedis } from '../../src/cache/redis-connection.js';
import { batchWrites } from '../../src/cache/redis-write-batching.js';
import type { StartedStack } from '../../src/testing/index.js';
import { startTestStack } from '../support/stack.js';
import { TcpProxy } from '../zookeeper/tcp-proxy.js';
import { rawRedis } from './fixture.js';
import { afterTicks, countWrites } from './socket-writes.js';

// A BLPOP on an empty list with no timeout keeps one command outstanding until the test pushes to
// the list from another connection: the window in which later commands are held, without timing.
describe('adaptive write batching: a lone command leaves at once, later ones wait for the outstanding batch', () => {
  let stack: StartedStack;
  let other: Redis;
  let lists = 0;
  const list = () => {
    lists += 1;
    return `batching:list${lists}`;
  };

  beforeAll(async () => {
    stack = await startTestStack();
    other = await rawRedis(stack);
  });
  afterAll(async () => {
    other?.disconnect();
    await stack?.stop();
  });

  async function opened(): Promise<Redis> {
    const { client } = await openRedis(stack.redis.url, { connectTimeoutMs: 5_000, commandTimeoutMs: 60_000 });
    const redis = client as Redis;
    await redis.ping(); // the handshake is over before anything is counted
    return redis;
  }

  it('holds what is issued while a command is outstanding, and writes it in one write with the commands its reply resumed', async () => {
    const redis = await opened();
    try {
      const writes = countWrites([redis]);
      const key = list();
      const blocked = redis.blpop(key, 0);
      await afterTicks();
      expect(writes).toEqual([1]); // the lone command left in its own turn
      const held = Array.from({ length: 10 }, (_, i) => redis.hmgetBuffer(`batching:h${i}`, 'a'));
      await new Promise((resolve) => setTimeout(resolve, 50)); // event-loop turns go by: still held
      expect(writes).toEqual([1]);
      let joined: Promise<unknown> | undefined;
      const resumed = blocked.then((reply) => {
        joined = redis.hmgetBuffer('batching:joined', 'a'); // issued by the reply's own reaction
        return reply;
      });
      await other.lpush(key, 'x');
      expect(await resumed).toEqual([key, 'x']);
      expect(await Promise.all(held)).toEqual(held.map(() => [null]));
      expect(await joined).toEqual([null]);
      expect(writes).toEqual([1, 11]);
    } finally {
      redis.disconnect();
    }
  });

  it('writes the held commands at once past the bound on held commands, or on held bytes', async () => {
    const redis = new Redis(stack.redis.url, { lazyConnect: true });
    batchWrites(redis, { maxHeldCommands: 4, maxHeldBytes: 1_000 });
    await redis.connect();
    try {
      await redis.ping();
      const writes = countWrites([redis]);
      const key = list();
      const blocked = redis.blpop(key, 0);
      await afterTicks();
      const first = [1, 2, 3].map((i) => redis.set(`batching:cap${i}`, String(i)));
      await afterTicks();
      expect(writes).toEqual([1]);
      const fourth = redis.set('batching:cap4', '4'); // the fourth held command: all four leave now
      await afterTicks();
      expect(writes).toEqual([1, 4]);
      const big = redis.set('batching:big', 'v'.repeat(2_000)); // over the byte bound on its own
      await afterTicks();
      expect(writes).toEqual([1, 4, 1]);
      const last = redis.get('batching:cap4');
      await afterTicks();
      expect(writes).toEqual([1, 4, 1]);
      await other.lpush(key, 'x');
      expect(await blocked).toEqual([key, 'x']);
      expect(await Promise.all([...first, fourth, big])).toEqual(['OK', 'OK', 'OK', 'OK', 'OK']);
      expect(await last).toBe('4');
      expect(writes).toEqual([1, 4, 1, 1]);
    } finally {
      redis.disconnect();
    }
  });

  it('keeps the issue order of held commands, never splits a MULTI/EXEC pipeline, and covers NOSCRIPT', async () => {
    const redis = new Redis(stack.redis.url, { lazyConnect: true });
    batchWrites(redis, { maxHeldCommands: 2, maxHeldBytes: 1 << 20 });
    redis.defineCommand('incrTwice', {
      numberOfKeys: 1,
      lua: "redis.call('INCR', KEYS[1]); return redis.call('INCR', KEYS[1])",
    });
    await redis.connect();
    try {
      await other.script('FLUSH'); // the script's EVALSHA gets NOSCRIPT, then ioredis retries it
      const key = list();
      const blocked = redis.blpop(key, 0);
      await afterTicks();
      const set = redis.set('batching:order', '1');
      // Four pipelined commands over a bound of two: held whole, the next command releases them.
      const transaction = redis.multi().incr('batching:order').incr('batching:order').exec();
      const script = (redis as unknown as { incrTwice(key: string): Promise<number> }).incrTwice('batching:order');
      const read = redis.get('batching:order');
      await other.lpush(key, 'x');
      await blocked;
      expect(await set).toBe('OK');
      expect(await transaction).toEqual([
        [null, 2],
        [null, 3],
      ]);
      expect(await script).toBe(5);
      expect(await read).toBe('5');
    } finally {
      redis.disconnect();
    }
  });

  it('a connection killed with held commands sends them on the new socket', async () => {
    const redis = await opened();
    try {
      const id = await redis.client('ID');
      const key = list();
      const blocked = redis.blpop(key, 0);
      await afterTicks();
      const held = Array.from({ length: 5 }, (_, i) => redis.set(`batching:kill${i}`, String(i)));
      const ready = new Promise((resolve) => redis.once('ready', resolve));
      await other.client('KILL', 'ID', String(id));
      await ready; // reconnected: ioredis resent the BLPOP, then what it was handed back
      await other.lpush(key, 'x');
      expect(await blocked).toEqual([key, 'x']);
      expect(await Promise.all(held)).toEqual(held.map(() => 'OK'));
      expect(await other.get('batching:kill4')).toBe('4');
    } finally {
      redis.disconnect();
    }
  });

  it('held commands fail as ioredis fails new ones when the connection closes for good or cannot reconnect', async () => {
    const closing = await opened();
    const blocked = closing.blpop(list(), 0);
    await afterTicks();
    const dropped = Array.from({ length: 3 }, (_, i) => closing.get(`batching:drop${i}`));
    closing.disconnect();
    for (const outcome of await Promise.allSettled([blocked, ...dropped])) {
      expect(outcome).toMatchObject({ status: 'rejected', reason: { message: 'Connection is closed.' } });
    }

    const proxy = await TcpProxy.start({ host: stack.redis.host, port: stack.redis.port });
    const { client } = await openRedis(`redis://127.0.0.1:${proxy.port}`, {
      connectTimeoutMs: 5_000,
      commandTimeoutMs: 60_000,
    });
    const cut = client as Redis;
    try {
      cut.on('error', () => {});
      const key = list();
      void cut.blpop(key, 0).catch(() => {}); // written: ioredis keeps it to resend
      await afterTicks();
      const held = Array.from({ length: 3 }, (_, i) => cut.get(`batching:cut${i}`));
      proxy.sever(); // reconnects are refused: maxRetriesPerRequest (1) fails what waits
      for (const outcome of await Promise.allSettled(held)) {
        expect(outcome).toMatchObject({ status: 'rejected', reason: { name: 'MaxRetriesPerRequestError' } });
      }
      proxy.heal();
      await new Promise((resolve) => cut.once('ready', resolve));
      await other.lpush(key, 'x'); // the resent BLPOP returns; new commands flow again
      expect(await cut.set('batching:after', '1')).toBe('OK');
    } finally {
      cut.disconnect();
      await proxy.close();
    }
  });
});
