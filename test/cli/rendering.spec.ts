import { describe, expect, it } from 'vitest';
import { Redactor } from '../../src/cli/redactor.js';
import { formatDuration, formatRemaining } from '../../src/cli/render/duration.js';
import { toJsonText } from '../../src/cli/render/json.js';
import { renderFields, renderTable } from '../../src/cli/render/table.js';
import { displayWidth, preview, printable, terminalSafe, terminalSafeJson } from '../../src/cli/render/text.js';

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

  it('escapes C0, DEL, C1, separators and bidi controls; terminalSafe keeps newlines; JSON stays JSON', () => {
    expect(printable('a\x7fb\x9b2Jc\u202ed\u2028')).toBe('a\\x7fb\\x9b2Jc\\u202ed\\u2028');
    expect(terminalSafe('one\x1b]0;pwned\x07\ntwo\x85')).toBe('one\\x1b]0;pwned\\x07\ntwo\\x85');
    expect(terminalSafe(terminalSafe('\x1b[2J'))).toBe('\\x1b[2J');
    const json = terminalSafeJson(JSON.stringify({ k: '\x1b\x7f\x9b\u202e' }));
    expect(json).not.toMatch(/[\x00-\x1f\x7f-\x9f\u202e]/);
    expect(JSON.parse(json)).toEqual({ k: '\x1b\x7f\x9b\u202e' });
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

  it('masks the passwords it was given wherever they appear, raw or decoded, in URL form or bare', () => {
    expect(redactor.redact('at redis://:p%40ss-w0rd@host:6379')).toBe('at redis://:***@host:6379');
    expect(redactor.redact('WRONGPASS for p@ss-w0rd and p%40ss-w0rd; dbsecret')).toBe('WRONGPASS for *** and ***; ***');
  });

  it('never rewrites data that only looks like a URL with a password (issue 18, item 8)', () => {
    expect(redactor.redact('key: x://u:p@h  value: redis://:other-password@h:1')).toBe(
      'key: x://u:p@h  value: redis://:other-password@h:1',
    );
  });

  it('masks a password holding an unencoded @ whole (issue 18, item 2)', () => {
    const at = new Redactor(['redis://atuser:p@ss1234X@host:6379']);
    expect(at.redact('could not connect to redis://atuser:p@ss1234X@host:6379 (p@ss1234X)')).toBe(
      'could not connect to redis://atuser:***@host:6379 (***)',
    );
  });

  it('masks the value of a mistyped --flag=value that commander echoes (issue 18, item 4)', () => {
    expect(new Redactor([]).redact("error: unknown option '--zk-auht=app:S3cret'\n(Did you mean --zk-auth?)")).toBe(
      "error: unknown option '--zk-auht=***'\n(Did you mean --zk-auth?)",
    );
  });

  it('leaves timestamps intact when a password is very short', () => {
    const short = new Redactor(['redis://:1@h:6379']);
    expect(short.redact('timestamp 9223372036854775807, redis://:1@h:6379')).toBe(
      'timestamp 9223372036854775807, redis://:***@h:6379',
    );
  });
});
