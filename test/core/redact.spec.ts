import { describe, expect, it } from 'vitest';
import { redactSecrets, redactUrl, scrubError, urlPasswords } from '../../src/core/redact.js';

describe('redaction', () => {
  it('masks URL passwords and keeps everything else', () => {
    expect(redactUrl('redis://default:s3cret@127.0.0.1:6379/0')).toBe('redis://default:***@127.0.0.1:6379/0');
    expect(redactUrl('rediss://:s3cret@h:1')).toBe('rediss://:***@h:1');
    expect(redactUrl('failed to reach postgres://app:p%40ss@db/x and redis://a:b@c')).toBe(
      'failed to reach postgres://app:***@db/x and redis://a:***@c',
    );
    expect(redactUrl('redis://127.0.0.1:6379')).toBe('redis://127.0.0.1:6379');
  });

  it('masks a password holding an unencoded @ whole, in a single URL and in a seed list (issue 18, item 2)', () => {
    expect(redactUrl('redis://atuser:p@ss1234X@host:6379')).toBe('redis://atuser:***@host:6379');
    expect(redactUrl('at redis://u:a@b@h1:1,redis://u:c@d@h2:2/0 failed')).toBe(
      'at redis://u:***@h1:1,redis://u:***@h2:2/0 failed',
    );
    expect(urlPasswords('redis://atuser:p@ss%41@host')).toEqual(['p@ss%41', 'p@ssA']);
  });

  it('scrubs an error graph in place: messages, causes, properties and credential-command arguments', () => {
    const cause = Object.assign(new Error('WRONGPASS invalid'), {
      command: { name: 'auth', args: ['zkuser', 'Sup3rS3cretPw'] },
      input: 'redis://zkuser:Sup3rS3cretPw@bad host:1',
    });
    const error = new Error('failed at redis://zkuser:Sup3rS3cretPw@h:1', { cause });
    scrubError(error, ['Sup3rS3cretPw']);
    expect(JSON.stringify({ m: error.message, s: error.stack, c: cause, i: cause.input })).not.toContain(
      'Sup3rS3cretPw',
    );
    expect(cause.command).toEqual({ name: 'auth', args: ['***', '***'] });
    expect(error.message).toBe('failed at redis://zkuser:***@h:1');
  });

  it('leaves keys and values alone when no credential is named', () => {
    expect(redactSecrets('key x://u:p@h', [])).toBe('key x://u:p@h');
  });

  it('masks bare secrets', () => {
    expect(redactSecrets('auth user:hunter2 failed', ['hunter2', undefined])).toBe('auth user:*** failed');
  });
});
