import { describe, expect, it } from 'vitest';
import { CacheEventEmitter } from '../../src/cache/events.js';
import { reachableStrings } from './reachable-strings.js';

describe('events pass through the secret-scrubbing rule', () => {
  it('an error carried by an event has URL passwords and credential-command arguments masked, data untouched', () => {
    const events = new CacheEventEmitter();
    const seen: unknown[] = [];
    events.on('load', (data) => seen.push(data));
    const cause = Object.assign(new Error('WRONGPASS'), { command: { name: 'auth', args: ['u', 'Ev3nt-S3cret'] } });
    const error = new Error('could not reach redis://u:Ev3nt-S3cret@h:1', { cause });
    events.emit('load', { key: 'x://u:p@h', durationMs: 1, error });
    expect(seen).toHaveLength(1);
    expect(reachableStrings(seen).filter((s) => s.includes('Ev3nt-S3cret'))).toEqual([]);
    expect((seen[0] as { key: string }).key).toBe('x://u:p@h');
  });
});
