import { describe, expect, it } from 'vitest';
import { Trails } from '../../src/testing/race/trails.js';

describe('race worker trails (what a call with no reply was doing)', () => {
  it('records the steps of each command in flight for its key, and forgets it when it settles', async () => {
    const trails = new Trails();
    let finish!: () => void;
    const running = trails.track('read', 'k1', (note) => {
      note('retry after E_CONNECTION');
      return new Promise<void>((resolve) => (finish = resolve));
    });
    const other = trails.track('write', 'k2', () => new Promise<void>(() => {}));
    trails.noteKey('k1', 'lock-acquired waitedMs=3');
    trails.noteKey('nobody', 'miss');
    const [read, write] = trails.snapshot();
    expect(read).toMatchObject({ op: 'read', key: 'k1' });
    expect(read!.trail.map((step) => step.replace(/^\d+ /, ''))).toEqual([
      'retry after E_CONNECTION',
      'lock-acquired waitedMs=3',
    ]);
    expect(write).toMatchObject({ op: 'write', key: 'k2', trail: [] });
    finish();
    await running;
    expect(trails.snapshot().map((c) => c.key)).toEqual(['k2']);
    void other;
  });

  it('keeps the last 24 steps of a command', () => {
    const trails = new Trails();
    void trails.track('read', 'k', () => new Promise<void>(() => {}));
    for (let i = 0; i < 30; i += 1) trails.noteKey('k', `step ${i}`);
    const [only] = trails.snapshot();
    expect(only!.trail).toHaveLength(24);
    expect(only!.trail[0]).toMatch(/ step 6$/);
  });

  it('a command that throws is forgotten too', async () => {
    const trails = new Trails();
    await expect(trails.track('read', 'k', () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(trails.snapshot()).toEqual([]);
  });
});
