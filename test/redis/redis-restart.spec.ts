import { describe, expect, it } from 'vitest';
import { pollUntil } from '../../src/testing/polling.js';
import { needs } from '../support/stack.js';
import { commandsSentBy } from './monitor.js';
import { useRedisFixture } from './redis-fixture.js';

const exclusive = needs(
  'exclusive',
  'empties the server’s script cache (SCRIPT FLUSH) and watches every command (MONITOR)',
);
const faults = needs('faults', 'restarts Redis');

describe('the compare script survives losing the script cache', () => {
  const fx = useRedisFixture();

  it('after SCRIPT FLUSH the next write still works (EVALSHA → NOSCRIPT → reload)', exclusive, async () => {
    const store = fx.store<string>();
    expect(await store.write('flush', 'a', 1)).toEqual({ status: 'written', current: 1n });
    await fx.redis.script('FLUSH');
    const afterFlush = await commandsSentBy(fx.redis, () => store.write('flush', 'b', 2));
    expect(afterFlush.map((c) => c[0]).filter((name) => /^eval/.test(name!))).toEqual(['evalsha', 'eval']);
    expect(await store.read('flush')).toMatchObject({ value: 'b', timestamp: 2n });
    // Loaded again by that EVAL: the next write is a single EVALSHA.
    const next = await commandsSentBy(fx.redis, () => store.write('flush', 'b2', 3));
    expect(next.map((c) => c[0]).filter((name) => /^eval/.test(name!))).toEqual(['evalsha']);
    expect(await store.write('flush', 'c', 1)).toEqual({ status: 'stale', current: 3n });
  });

  it('after a Redis restart the next write works on the reconnected client', faults, async () => {
    const store = fx.store<string>();
    expect(await store.write('restart', 'before', 5)).toEqual({ status: 'written', current: 5n });

    // Not once(client, 'ready'): that rejects on the 'error' (ECONNREFUSED) a reconnect attempt emits
    // while the server is down, which made this test fail whenever the client retried in that window.
    await fx.stack.redis.restart();
    const back = await pollUntil(async () => (await fx.redis.ping()) === 'PONG', { deadline: Date.now() + 10_000 });
    expect(back).toEqual({ ok: true });

    // Redis came back empty (no persistence), so the entry is gone and the script is not cached.
    expect(await fx.redis.dbsize()).toBe(0);
    expect(await store.write('restart', 'after', 3)).toEqual({ status: 'written', current: 3n });
    expect(await store.write('restart', 'older', 2)).toEqual({ status: 'stale', current: 3n });
    expect(await store.read('restart')).toMatchObject({ kind: 'value', value: 'after', timestamp: 3n });
  });
});
