import { describe, expect, it } from 'vitest';
import { jsonCodec } from '../../src/codec/index.js';
import { InvalidValueError } from '../../src/errors.js';

describe('jsonCodec', () => {
  it('round-trips JSON values through UTF-8 bytes', () => {
    const value = { price: 50, name: 'Zürich ☃ 🚀', tags: ['a', null, true], nested: { n: -1.5 } };
    const encoded = jsonCodec.encode(value);
    expect(jsonCodec.decode(Buffer.from(encoded))).toEqual(value);
    expect(jsonCodec.decode(Buffer.from(jsonCodec.encode('plain')))).toBe('plain');
    expect(jsonCodec.decode(Buffer.from(jsonCodec.encode(null)))).toBeNull();
  });

  it.each([
    ['undefined', undefined, /must not be undefined/],
    ['a top-level function', () => 1, /value is a function/],
    ['a nested function', { a: { f: () => 1 } }, /property "f" is a function/],
    ['a symbol', { s: Symbol('x') }, /property "s" is a symbol/],
    ['a BigInt', { id: 12n }, /property "id" is a BigInt/],
    ['a top-level BigInt', 12n, /value is a BigInt/],
    ['NaN', { n: Number.NaN }, /property "n" is NaN/],
    ['Infinity in an array', [1, Number.POSITIVE_INFINITY], /property "1" is Infinity/],
  ])('rejects %s with InvalidValueError naming the problem', (_what, value, message) => {
    const run = () => jsonCodec.encode(value);
    expect(run).toThrow(InvalidValueError);
    expect(run).toThrow(message);
  });

  it('rejects a cyclic structure with InvalidValueError carrying the JSON error as cause', () => {
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    let caught: unknown;
    try {
      jsonCodec.encode(cyclic);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(InvalidValueError);
    expect((caught as InvalidValueError).code).toBe('E_INVALID_VALUE');
    expect((caught as Error).message).toMatch(/not JSON-encodable.*circular/i);
    expect((caught as Error).cause).toBeInstanceOf(TypeError);
  });

  it('encodes exactly like JSON.stringify where that is lossless, on both the fast and the replacer path', () => {
    let deep: unknown = 'leaf';
    for (let i = 0; i < 100; i++) deep = { d: deep }; // deeper than the fast path walks
    const withToJson = { when: new Date(0), custom: { toJSON: () => ({ ok: true }), hidden: () => 1 } };
    for (const value of [deep, withToJson, { a: undefined, b: 1 }, [1, undefined, 2], 'text', 0, false, null]) {
      expect(jsonCodec.encode(value)).toBe(JSON.stringify(value));
    }
    expect(jsonCodec.decode(Buffer.from(jsonCodec.encode(withToJson)))).toEqual({
      when: '1970-01-01T00:00:00.000Z',
      custom: { ok: true },
    });
  });
});
