import { describe, expect, it } from 'vitest';
import { parseKeyTemplate } from '../../src/core/key-template.js';
import { commonKey } from '../../src/core/key-template-overlap.js';

// Each answer is checked against both templates' own matchers: a key they share must match both.
function shared(a: string, b: string): string | undefined {
  const key = commonKey(a, b);
  if (key !== undefined) {
    expect(parseKeyTemplate(a).match(key), `${a} matches ${key}`).toBeDefined();
    expect(parseKeyTemplate(b).match(key), `${b} matches ${key}`).toBeDefined();
  }
  expect(commonKey(b, a) === undefined).toBe(key === undefined); // symmetric
  return key;
}

describe('commonKey: can two key templates render one key? ({field} = any non-empty string)', () => {
  it('same shape, other field names: yes', () => {
    expect(shared('product:{id}', 'product:{product_id}')).toBe('product:x');
    expect(shared('t:{a}:u:{b}', 't:{c}:u:{d}')).toBe('t:x:u:x');
  });

  it('different literal text: no', () => {
    expect(shared('product:{id}', 'variant:{id}')).toBeUndefined();
    expect(shared('{id}:a', '{id}:b')).toBeUndefined();
    expect(shared('p:{id}', 'p{id}')).toBe('p:x'); // p{id} with id = ":x"
    expect(shared('a{x}', 'b{x}')).toBeUndefined();
  });

  it('a field swallows separators, so a longer template can still meet a shorter one', () => {
    expect(shared('p:{id}', 'p:{id}:v')).toBe('p:x:v');
    expect(shared('{tenant}:product:{id}', 'acme:product:{id}')).toBe('acme:product:x');
    expect(shared('{a}', 'anything:{b}:at:{c}:all')).toBe('anything:x:at:x:all');
  });

  it('a field is never empty: a literal with nothing between its parts does not meet a field there', () => {
    expect(shared('ab', 'a{x}b')).toBeUndefined(); // (templates need a field; this checks the rule itself)
    expect(shared('p:{a}:', 'p::')).toBeUndefined(); // a would have to be empty
    expect(shared('p::{id}', 'p:{a}:{b}')).toBe('p:::x'); // a = ':'
    expect(shared('p:x:{id}', 'p:{a}:{b}')).toBe('p:x:x');
    expect(shared('k:{a}', 'k:')).toBeUndefined();
  });

  it('literal text on both sides of fields must line up, suffixes included', () => {
    expect(shared('{a}.json', '{b}.xml')).toBeUndefined();
    expect(shared('{a}.json', 'cfg/{b}')).toBe('cfg/.json'); // a = 'cfg/', b = '.json'
    expect(shared('x{a}y', '{b}yx')).toBeUndefined(); // starts with x, ends with y vs ends with x
    expect(shared('x{a}y', 'x{b}y{c}y')).toBe('xxyxy');
  });

  it('compares whole code points, so Unicode literals and surrogate pairs stay intact', () => {
    expect(shared('é:{id}', 'é:{x}')).toBe('é:x');
    expect(shared('😀{a}', '{b}😀')).toBe('😀😀');
    expect(shared('😀:{a}', '😁:{b}')).toBeUndefined();
  });
});
