import { describe, expect, it } from 'vitest';
import { parseJsonExactly } from '../../src/codec/exact-json.js';
import { InvalidValueError } from '../../src/errors.js';

// Issue 18, item 11: `zkoc set k 12345678901234567890` stored 12345678901234567000.
describe('parseJsonExactly', () => {
  it.each([
    '12345678901234567890',
    '9007199254740993',
    '{"price":12345678901234567890}',
    '[1, 0.12345678901234567890123]',
    '1e400',
    '-1e-400',
  ])('refuses %s, whose numbers a double cannot hold', (text) => {
    expect(() => parseJsonExactly(text)).toThrow(InvalidValueError);
    expect(() => parseJsonExactly(text)).toThrow(/would be stored as/);
  });

  it.each([
    ['9007199254740991', 9007199254740991],
    ['1.50', 1.5],
    ['1e2', 100],
    ['-0', -0],
    ['0.1', 0.1],
    ['{"s":"12345678901234567890","n":[1,2.25]}', { s: '12345678901234567890', n: [1, 2.25] }],
    ['"escaped \\" 12345678901234567890"', 'escaped " 12345678901234567890'],
  ])('keeps %s exactly', (text, value) => {
    expect(parseJsonExactly(text)).toEqual(value);
  });

  it('throws SyntaxError for text that is not JSON, as JSON.parse does', () => {
    expect(() => parseJsonExactly('hello')).toThrow(SyntaxError);
  });
});
