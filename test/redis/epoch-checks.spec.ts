import { describe, expect, it } from 'vitest';
import { ForeignEntryError, InvalidOptionsError } from '../../src/errors.js';
import { COMPARE_WRITE_LUA, ENTRY_FORMAT } from '../../src/redis/index.js';
import { useRedisFixture } from './redis-fixture.js';

const EPOCH_KEY = 'zkoc:t:epoch'; // the fixture's namespace is `t`
const TOKEN = 'a'.repeat(32);

async function failure(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => undefined,
    (e: unknown) => e,
  );
}

describe('the compare script and the store check the epoch fence’s inputs', () => {
  const fx = useRedisFixture();

  // The script called as a hostile caller would: every argument chosen by hand.
  const evalWrite = (redisKey: string, epochKey: string, epoch: string) =>
    fx.redis.eval(
      COMPARE_WRITE_LUA,
      2,
      redisKey,
      epochKey,
      'v',
      '5',
      '"x"',
      '1000',
      '1000',
      'w',
      ENTRY_FORMAT,
      'json',
      epoch,
    );

  it.each([
    ['too short', 'abc'],
    ['33 digits', `${TOKEN}a`],
    ['upper case', 'A'.repeat(32)],
    ['not hex', 'g'.repeat(32)],
    ['a Lua pattern', `${'a'.repeat(30)}.*`],
  ])('a malformed epoch argument (%s) is an error reply; nothing is written or created', async (_name, epoch) => {
    const rk = 'zkoc:t:e:bad-epoch-arg';
    const error = await failure(evalWrite(rk, EPOCH_KEY, epoch));
    expect((error as Error).message).toMatch(/zkoc: malformed epoch argument/);
    expect(await fx.redis.exists(rk, EPOCH_KEY)).toBe(0);
  });

  it('a missing epoch key refuses a fenced write (stale, epoch); an empty token is unfenced', async () => {
    const rk = 'zkoc:t:e:no-epoch';
    expect(await evalWrite(rk, EPOCH_KEY, TOKEN)).toEqual(['stale', '', 'epoch']);
    expect(await fx.redis.exists(rk, EPOCH_KEY)).toBe(0);
    expect(await evalWrite(rk, EPOCH_KEY, '')).toEqual(['written', '5']);
    expect(await fx.redis.exists(EPOCH_KEY)).toBe(0);
    await fx.redis.del(rk);
  });

  it('the store refuses a malformed options.epoch before sending anything', async () => {
    const store = fx.store<number>();
    for (const epoch of ['', 'abc', TOKEN.toUpperCase(), 5, null, {}]) {
      const error = await failure(store.write('typed', 1, 1, { epoch: epoch as never }));
      expect(error).toBeInstanceOf(InvalidOptionsError);
      expect((error as Error).message).toMatch(/options\.epoch must be an epoch token/);
      expect(() => store.prepareWriteMissing('typed', 1, { epoch: epoch as never })).toThrow(InvalidOptionsError);
    }
    expect(await fx.redis.exists(store.redisKeyOf('typed'), EPOCH_KEY)).toBe(0);
  });

  it('a foreign epoch key (another type, or a string that is no token) is reported; nothing is written', async () => {
    const store = fx.store<number>({ namespace: 'foreign-epoch' });
    const epochKey = 'zkoc:foreign-epoch:epoch';
    const rk = store.redisKeyOf('k');
    await fx.redis.hset(epochKey, 'a', 'b');
    for (const call of [store.epoch('k'), store.readForFill('k'), store.write('k', 1, 1, { epoch: TOKEN })]) {
      const error = await failure(call);
      expect(error).toBeInstanceOf(ForeignEntryError);
      expect((error as Error).message).toMatch(/not a string/);
    }
    await fx.redis.del(epochKey);
    await fx.redis.set(epochKey, 'someone else');
    expect(await failure(store.epoch('k'))).toBeInstanceOf(ForeignEntryError);
    const error = await failure(store.write('k', 1, 1, { epoch: TOKEN }));
    expect((error as Error).message).toMatch(/does not hold an epoch token/);
    expect(await fx.redis.get(epochKey)).toBe('someone else');
    expect(await fx.redis.exists(rk)).toBe(0);
    await fx.redis.del(epochKey);
  });

  it('the epoch is created once (SET NX) and shared; FLUSHALL loses it and the old token is refused', async () => {
    const store = fx.store<number>({ namespace: 'flush-epoch' });
    const [a, b] = await Promise.all([store.epoch('x'), store.epoch('y')]);
    expect(a).toMatch(/^[0-9a-f]{32}$/);
    expect(b).toBe(a); // one key per namespace on a single Redis
    expect((await store.readForFill('x')).epoch).toBe(a);
    expect(await store.write('x', 1, 1, { epoch: a })).toEqual({ status: 'written', current: 1n });
    await fx.redis.flushall();
    expect(await store.write('x', 2, 2, { epoch: a })).toEqual({
      status: 'stale',
      current: undefined,
      reason: 'epoch',
    });
    const fresh = await store.readForFill('x');
    expect(fresh).toEqual({ entry: undefined, epoch: expect.not.stringMatching(a) });
    expect(await store.write('x', 2, 2, { epoch: fresh.epoch })).toEqual({ status: 'written', current: 2n });
    // A version refusal keeps its old shape (no reason).
    expect(await store.write('x', 1, 1, { epoch: fresh.epoch })).toEqual({ status: 'stale', current: 2n });
  });
});
