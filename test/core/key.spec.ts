import { describe, expect, it } from 'vitest';
import { assertValidKey, decodeKeyFromZnodeName, encodeKeyAsZnodeName, MAX_KEY_BYTES } from '../../src/core/key.js';
import { InvalidKeyError } from '../../src/errors.js';

describe('key validation', () => {
  it.each([
    ['empty', '', /must not be empty/],
    ['lone high surrogate', 'a\ud800b', /lone UTF-16 surrogate/],
    ['lone low surrogate', '\udc00', /lone UTF-16 surrogate/],
    ['over 1024 UTF-8 bytes', 'é'.repeat(513), /1026 UTF-8 bytes; the limit is 1024/],
    ['not a string', 42, /must be a string, got number/],
    ['null', null, /must be a string, got null/],
  ])('rejects %s with InvalidKeyError', (_name, key, message) => {
    expect(() => assertValidKey(key)).toThrow(InvalidKeyError);
    expect(() => assertValidKey(key)).toThrow(message);
  });

  it('accepts exactly 1024 bytes, any characters', () => {
    expect(() => assertValidKey('x'.repeat(MAX_KEY_BYTES))).not.toThrow();
    expect(() => assertValidKey('a/b/../ c 🔑 ключ')).not.toThrow();
  });
});

describe('znode name encoding', () => {
  const keys = [
    'product:123',
    'a/b',
    '..',
    '.',
    'with space',
    'ключ/🔑',
    '%41',
    '_c_x-lock-0000000001',
    'x'.repeat(1024),
    '\u0000\u007f',
  ];

  it.each(keys)('round-trips %j', (key) => {
    const name = encodeKeyAsZnodeName(key);
    expect(name).toMatch(/^[A-Za-z0-9_:@=,+%-]+$/);
    expect(name).not.toMatch(/^\.{1,2}$/);
    expect(decodeKeyFromZnodeName(name)).toBe(key);
  });

  it('keeps readable keys readable', () => {
    expect(encodeKeyAsZnodeName('product:123')).toBe('product:123');
    expect(encodeKeyAsZnodeName('a/b c.d')).toBe('a%2Fb%20c%2Ed');
  });

  it('is injective on distinct keys', () => {
    const names = new Set(keys.map(encodeKeyAsZnodeName));
    expect(names.size).toBe(keys.length);
  });

  it.each(['a%2fb', 'a%2', 'a/b', 'a.b', '%FF'])('rejects %j, which it never produces', (name) => {
    expect(() => decodeKeyFromZnodeName(name)).toThrow(InvalidKeyError);
  });
});
