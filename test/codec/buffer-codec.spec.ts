import { describe, expect, it } from 'vitest';
import { bufferCodec } from '../../src/codec/index.js';
import { InvalidValueError } from '../../src/errors.js';

describe('bufferCodec', () => {
  it('passes bytes through unchanged, including invalid UTF-8', () => {
    const bytes = Buffer.from([0x00, 0xff, 0xfe, 0x80, 0x41]);
    expect(bufferCodec.encode(bytes)).toBe(bytes);
    expect(bufferCodec.decode(bytes).equals(bytes)).toBe(true);
  });

  it('accepts a Uint8Array view without copying outside the view', () => {
    const backing = new Uint8Array([9, 1, 2, 3, 9]);
    const encoded = bufferCodec.encode(backing.subarray(1, 4) as Buffer);
    expect([...encoded]).toEqual([1, 2, 3]);
  });

  it.each([
    ['a string', 'abc'],
    ['a number', 5],
    ['null', null],
    ['undefined', undefined],
  ])('rejects %s with InvalidValueError', (_what, value) => {
    expect(() => bufferCodec.encode(value as unknown as Buffer)).toThrow(InvalidValueError);
    expect(() => bufferCodec.encode(value as unknown as Buffer)).toThrow(/must be a Buffer or Uint8Array/);
  });
});
