import { describe, expect, it } from 'vitest';
import { Redactor } from '../../src/cli/redactor.js';
import { formatDuration, formatRemaining } from '../../src/cli/render/duration.js';
import { toJsonText } from '../../src/cli/render/json.js';
import { renderFields, renderTable } from '../../src/cli/render/table.js';
import { displayWidth, preview, printable } from '../../src/cli/render/text.js';

describe('formatDuration', () => {
  it.each([
    [0.42, '0.4ms'],
    [350, '350ms'],
    [1_234, '1.2s'],
    [9_999, '9.9s'],
    [42_000, '42s'],
    [184_000, '3m04s'],
    [2 * 3_600_000 + 5 * 60_000, '2h05m'],
    [3 * 86_400_000 + 4 * 3_600_000, '3d04h'],
  ])('%d ms → %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  it('says "expired … ago" for an instant in the past', () => {
    expect(formatRemaining(1_000, 185_000)).toBe('expired 3m04s ago');
    expect(formatRemaining(185_000, 1_000)).toBe('3m04s');
  });
});

describe('tables', () => {
  it('aligns columns by display width, Unicode and wide characters included', () => {
    const lines = renderTable(
      ['key', 'ts'],
      [
        ['a/b c', '1'],
        ['価格:商品', '9223372036854775807'],
      ],
    );
    expect(lines).toEqual(['KEY        TS', 'a/b c      1', '価格:商品  9223372036854775807']);
    expect(displayWidth('価格')).toBe(4);
  });

  it('escapes control characters but keeps "/", spaces and Unicode as given', () => {
    expect(printable('a/b c ü\n\x1b[2J')).toBe('a/b c ü\\n\\x1b[2J');
    expect(
      renderFields([
        ['key', 'x y/z'],
        ['timestamp', '42'],
      ]),
    ).toEqual(['key:       x y/z', 'timestamp: 42']);
  });

  it('previews long text with an ellipsis, counting code points', () => {
    expect(preview('😀😀😀😀', 3)).toBe('😀😀…');
    expect(preview('short', 10)).toBe('short');
  });
});

describe('JSON output', () => {
  it('prints bigints as exact decimal strings', () => {
    expect(JSON.parse(toJsonText({ timestamp: 9223372036854775807n, n: 1 }))).toEqual({
      timestamp: '9223372036854775807',
      n: 1,
    });
  });
});

describe('Redactor', () => {
  const redactor = new Redactor([
    'node',
    'zkoc',
    '--redis',
    'redis://:p%40ss-w0rd@host:6379',
    'postgres://app:dbsecret@db/x',
  ]);

  it('masks URL passwords and the same passwords wherever they appear bare, raw or decoded', () => {
    expect(redactor.redact('redis://:other-password@h:1')).toBe('redis://:***@h:1');
    expect(redactor.redact('WRONGPASS for p@ss-w0rd and p%40ss-w0rd; dbsecret')).toBe('WRONGPASS for *** and ***; ***');
  });

  it('leaves timestamps intact when a password is very short', () => {
    const short = new Redactor(['redis://:1@h:6379']);
    expect(short.redact('timestamp 9223372036854775807, redis://:1@h:6379')).toBe(
      'timestamp 9223372036854775807, redis://:***@h:6379',
    );
  });
});
