import { describe, expect, it } from 'vitest';
import { DEFAULTS, type OrderedCacheOptions, parseOptions } from '../../src/cache/options.js';
import { InvalidOptionsError } from '../../src/errors.js';

const base: OrderedCacheOptions = {
  zookeeper: { connectString: '127.0.0.1:2181' },
  redis: 'redis://127.0.0.1:6379',
  namespace: 'fail-open',
};

describe('onCacheUnavailable in the cache option parser', () => {
  it("defaults to 'throw' (today's behaviour) and accepts 'load'", () => {
    expect(DEFAULTS.onCacheUnavailable).toBe('throw');
    expect(parseOptions(base).onCacheUnavailable).toBe('throw');
    expect(parseOptions({ ...base, onCacheUnavailable: 'load' }).onCacheUnavailable).toBe('load');
    expect(parseOptions({ ...base, onCacheUnavailable: 'throw' }).onCacheUnavailable).toBe('throw');
  });

  it.each([
    ['another word', 'fallback', 'got string "fallback"'],
    ['a boolean', true, 'got boolean true'],
    ['null', null, 'got null'],
    ['the wrong case', 'LOAD', 'got string "LOAD"'],
  ])('rejects %s with a typed error naming the choices', (_what, value, got) => {
    const parse = () => parseOptions({ ...base, onCacheUnavailable: value as never });
    expect(parse).toThrow(InvalidOptionsError);
    expect(parse).toThrow(`onCacheUnavailable must be "throw" or "load", ${got}`);
  });

  it('suggests the option for a near miss', () => {
    expect(() => parseOptions({ ...base, onCacheUnavailble: 'load' } as never)).toThrow(
      'unknown option onCacheUnavailble (did you mean onCacheUnavailable?)',
    );
  });
});
