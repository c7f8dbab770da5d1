import { describe, expect, it } from 'vitest';
import { needs } from '../support/stack.js';
import { commandsSentBy } from './monitor.js';
import { useRedisFixture } from './redis-fixture.js';

const exclusive = needs('exclusive', 'watches every command the Redis server receives (MONITOR)');

describe('MONITOR shows the exact commands', exclusive, () => {
  const fx = useRedisFixture();

  it('read sends exactly one HMGET, for a hit and for an absent key', async () => {
    const store = fx.store<string>();
    await store.write('hot', 'v', 1);
    const rk = store.redisKeyOf('hot');

    let entry: unknown;
    const hit = await commandsSentBy(fx.redis, async () => {
      entry = await store.read('hot');
    });
    expect(entry).toMatchObject({ kind: 'value', value: 'v', timestamp: 1n, isFresh: true, writer: 'test-writer' });
    expect(hit).toEqual([['hmget', rk, 'zkoc', 'k', 'ts', 'v', 'exp', 'at', 'by', 'ret']]);

    const miss = await commandsSentBy(fx.redis, () => store.read('cold'));
    expect(miss.map((c) => c[0])).toEqual(['hmget']);
  });

  it('readForServing (the cache hit path) sends one HMGET of all eight fields (it must refuse foreign data as writes do)', async () => {
    const store = fx.store<string>();
    await store.write('served', 'v', 9_007_199_254_740_993n); // 2^53 + 1: above the double-exact range
    const rk = store.redisKeyOf('served');
    let entry: unknown;
    const sent = await commandsSentBy(fx.redis, async () => {
      entry = await store.readForServing('served');
    });
    expect(sent).toEqual([['hmget', rk, 'zkoc', 'k', 'ts', 'v', 'exp', 'at', 'by', 'ret']]);
    expect(entry).toEqual({
      key: 'served',
      kind: 'value',
      value: 'v',
      timestamp: 9_007_199_254_740_993n,
      expiresAt: expect.any(Number),
      isFresh: true,
    });
    await store.invalidate('served', 9_007_199_254_740_994n);
    expect(await store.readForServing('served')).toMatchObject({
      kind: 'tombstone',
      timestamp: 9_007_199_254_740_994n,
      isFresh: false,
    });
    expect(await store.readForServing('never-written')).toBeUndefined();
  });

  it('a write sends one EVALSHA touching only its key (the script runs HMGET, TIME, HSET, PEXPIRE on it)', async () => {
    const store = fx.store<string>();
    await store.write('w', 'warm-up', 1); // loads the script once
    const rk = store.redisKeyOf('w');
    const sent = await commandsSentBy(fx.redis, () => store.write('w', 'v', 2));
    const fromClient = sent.filter((c) => c[0] === 'evalsha' || c[0] === 'eval');
    expect(fromClient).toHaveLength(1);
    expect(fromClient[0]?.[0]).toBe('evalsha');
    // Two keys (the entry, then its epoch key): unfenced, the entry key again, which the script does not read.
    expect(fromClient[0]?.[2]).toBe('2');
    expect(fromClient[0]?.[3]).toBe(rk);
    expect(fromClient[0]?.[4]).toBe(rk);
    // MONITOR also lists the commands the script ran: all on the one key, or TIME.
    const inScript = sent.filter((c) => c[0] !== 'evalsha').map((c) => [c[0]!.toLowerCase(), ...c.slice(1)]);
    expect(inScript.map((c) => c[0])).toEqual(['hmget', 'time', 'hset', 'pexpire']);
    expect(inScript.filter((c) => c[0] !== 'time').every((c) => c[1] === rk)).toBe(true);
  });

  it('a fenced write also GETs its epoch key, in the same EVALSHA; a fill read sends HMGET and GET together', async () => {
    const store = fx.store<string>();
    const epoch = await store.epoch('fw');
    await store.write('fw', 'warm-up', 1, { epoch });
    const rk = store.redisKeyOf('fw');
    const sent = await commandsSentBy(fx.redis, () => store.write('fw', 'v', 2, { epoch }));
    const fromClient = sent.filter((c) => c[0] === 'evalsha' || c[0] === 'eval');
    expect(fromClient).toHaveLength(1);
    expect(fromClient[0]?.slice(2, 5)).toEqual(['2', rk, 'zkoc:t:epoch']);
    const inScript = sent.filter((c) => c[0] !== 'evalsha').map((c) => [c[0]!.toLowerCase(), c[1]]);
    expect(inScript).toEqual([
      ['hmget', rk],
      ['time', undefined],
      ['get', 'zkoc:t:epoch'],
      ['hset', rk],
      ['pexpire', rk],
    ]);
    const read = await commandsSentBy(fx.redis, () => store.readForFill('fw'));
    expect(read.map((c) => [c[0], c[1]])).toEqual([
      ['hmget', rk],
      ['get', 'zkoc:t:epoch'],
    ]);
  });
});
