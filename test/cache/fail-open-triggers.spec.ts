import { ReplyError } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { isRedisUnavailable } from '../../src/cache/fail-open.js';
import { ConnectionError, ForeignEntryError, LockTimeoutError } from '../../src/errors.js';
import { asRedisFailure } from '../../src/redis/transport-failure.js';

const reply = (message: string): Error => new (ReplyError as new (message: string) => Error)(message);

describe('which failures send a fail-open read to the loader', () => {
  it.each([
    ['a silent Redis (liveness timeout)', new Error('Command timed out: Redis at 127.0.0.1:1 answered nothing')],
    ['a closed connection', new Error('Connection is closed.')],
    ['CLUSTERDOWN (a slot without a master)', reply('CLUSTERDOWN Hash slot not served')],
    ['TRYAGAIN', reply('TRYAGAIN Multiple keys request during rehashing of slot')],
    ['LOADING', reply('LOADING Redis is loading the dataset in memory')],
  ])('%s, as the store reports it', (_what, original) => {
    expect(isRedisUnavailable(asRedisFailure(original, 'HMGET k'))).toBe(true);
  });

  it.each([
    ['a definite Redis answer (WRONGTYPE)', asRedisFailure(reply('WRONGTYPE Operation against a key'), 'HMGET k')],
    ['a foreign entry', new ForeignEntryError('zkoc:n:e:k', 'not a hash')],
    ['ZooKeeper unreachable (handled by the lock path, not by skipping Redis)', new ConnectionError('zookeeper', 'x')],
    ['a lock timeout (contention)', new LockTimeoutError('k', 5)],
    ['a plain error from a loader', new Error('db down')],
  ])('not %s', (_what, error) => {
    expect(isRedisUnavailable(error)).toBe(false);
  });
});
