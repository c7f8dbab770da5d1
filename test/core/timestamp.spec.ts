import { describe, expect, it } from 'vitest';
import { canonicalTimestamp, compareTimestampText, MAX_TIMESTAMP, parseTimestamp } from '../../src/core/timestamp.js';
import { InvalidTimestampError } from '../../src/errors.js';

describe('timestamp parsing', () => {
  it.each([
    [0n, '0'],
    [7, '7'],
    ['0007', '7'],
    ['0', '0'],
    [Number.MAX_SAFE_INTEGER, '9007199254740991'],
    [MAX_TIMESTAMP, '9223372036854775807'],
    ['9223372036854775807', '9223372036854775807'],
  ])('accepts %s as %s', (input, text) => {
    expect(canonicalTimestamp(input)).toBe(text);
    expect(parseTimestamp(input)).toBe(BigInt(text));
  });

  it.each([
    ['negative bigint', -1n, /must not be negative/],
    ['negative number', -1, /must not be negative/],
    ['fractional', 1.5, /must be an integer/],
    ['NaN', Number.NaN, /is NaN/],
    ['Infinity', Number.POSITIVE_INFINITY, /must be an integer/],
    ['unsafe number', 2 ** 53, /above Number.MAX_SAFE_INTEGER/],
    ['over 2^63-1 (bigint)', MAX_TIMESTAMP + 1n, /above the maximum 2\^63-1/],
    ['over 2^63-1 (string)', '9223372036854775808', /above the maximum/],
    ['huge string', '1'.repeat(40), /above the maximum/],
    ['non-digit string', '12a', /decimal digits only/],
    ['signed string', '+5', /decimal digits only/],
    ['empty string', '', /decimal digits only/],
    ['exponent string', '1e5', /decimal digits only/],
    ['null', null, /got null/],
    ['Date', new Date(0), /got object/],
  ])('rejects %s', (_name, input, message) => {
    expect(() => canonicalTimestamp(input)).toThrow(InvalidTimestampError);
    expect(() => canonicalTimestamp(input)).toThrow(message);
  });

  it('names the argument in the message', () => {
    expect(() => canonicalTimestamp(-1, 'ts')).toThrow(/^ts must not be negative/);
  });
});

describe('exact comparison', () => {
  it('orders around 2^53 where doubles cannot', () => {
    const below = '9007199254740992'; // 2^53
    const above = '9007199254740993'; // 2^53+1 (== 2^53 as a double)
    expect(Number(below)).toBe(Number(above));
    expect(compareTimestampText(above, below)).toBe(1);
    expect(compareTimestampText(below, above)).toBe(-1);
    expect(compareTimestampText(above, above)).toBe(0);
  });

  it('compares by length first', () => {
    expect(compareTimestampText('10', '9')).toBe(1);
    expect(compareTimestampText('9223372036854775807', '999999999999999999')).toBe(1);
  });
});
