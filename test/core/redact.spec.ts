import { describe, expect, it } from 'vitest';
import { redactSecrets, redactUrl } from '../../src/core/redact.js';

describe('redaction', () => {
  it('masks URL passwords and keeps everything else', () => {
    expect(redactUrl('redis://default:s3cret@127.0.0.1:6379/0')).toBe('redis://default:***@127.0.0.1:6379/0');
    expect(redactUrl('rediss://:s3cret@h:1')).toBe('rediss://:***@h:1');
    expect(redactUrl('failed to reach postgres://app:p%40ss@db/x and redis://a:b@c')).toBe(
      'failed to reach postgres://app:***@db/x and redis://a:***@c',
    );
    expect(redactUrl('redis://127.0.0.1:6379')).toBe('redis://127.0.0.1:6379');
  });

  it('masks bare secrets', () => {
    expect(redactSecrets('auth user:hunter2 failed', ['hunter2', undefined])).toBe('auth user:*** failed');
  });
});
