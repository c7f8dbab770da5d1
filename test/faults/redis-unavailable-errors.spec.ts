import { ReplyError } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { ConnectionError, ForeignEntryError } from '../../src/errors.js';
import { asRedisFailure } from '../../src/redis/transport-failure.js';

const reply = (message: string): Error => new (ReplyError as new (message: string) => Error)(message);

describe('which Redis failures become ConnectionError (what a retry policy can absorb)', () => {
  it.each([
    ['a command timeout', new Error('Command timed out')],
    ['a closed connection', new Error('Connection is closed.')],
    ['CLUSTERDOWN', reply('CLUSTERDOWN Hash slot not served')],
    ['TRYAGAIN', reply('TRYAGAIN Multiple keys request during rehashing of slot')],
    ['LOADING', reply('LOADING Redis is loading the dataset in memory')],
    [
      'a script refused while the cluster is down',
      reply('ERR Script attempted to execute a write command while the cluster is down and readonly script: e8e0'),
    ],
  ])('%s → ConnectionError (server redis), original as cause', (_what, original) => {
    const mapped = asRedisFailure(original, 'HMGET zkoc:n:e:k');
    expect(mapped).toBeInstanceOf(ConnectionError);
    expect(mapped).toMatchObject({ code: 'E_CONNECTION', server: 'redis', cause: original });
    expect((mapped as Error).message).toBe(`Redis did not complete HMGET zkoc:n:e:k: ${original.message}`);
  });

  it.each([
    ['WRONGTYPE', reply('WRONGTYPE Operation against a key holding the wrong kind of value')],
    ['NOSCRIPT', reply('NOSCRIPT No matching script. Please use EVAL.')],
    ['an out-of-memory refusal', reply('OOM command not allowed when used memory > maxmemory')],
  ])('%s (a definite answer) passes through unchanged', (_what, original) => {
    expect(asRedisFailure(original, 'x')).toBe(original);
  });

  it('leaves our own typed errors alone', () => {
    const ours = new ForeignEntryError('zkoc:n:e:k', 'not a hash');
    expect(asRedisFailure(ours, 'x')).toBe(ours);
  });
});
