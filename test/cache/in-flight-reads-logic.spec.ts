import { describe, expect, it } from 'vitest';
import { InFlightReads } from '../../src/cache/in-flight-reads.js';
import { deferred } from './fixture.js';

// Pure logic with deferred reads: which calls share a read, and when a read stops being shared.
describe('InFlightReads', () => {
  function harness() {
    const issued: { key: string; reply: ReturnType<typeof deferred<string>> }[] = [];
    const reads = new InFlightReads<string>((key) => {
      const reply = deferred<string>();
      issued.push({ key, reply });
      return reply.promise;
    });
    return { reads, issued };
  }

  it('shares the read in flight per key, and issues a new one once it settled', async () => {
    const { reads, issued } = harness();
    const a = reads.read('k');
    const b = reads.read('k');
    const other = reads.read('j');
    expect(issued.map((r) => r.key)).toEqual(['k', 'j']);
    expect(a).toBe(b);
    issued[0]!.reply.resolve('v1');
    issued[1]!.reply.resolve('w1');
    expect(await a).toBe('v1');
    expect(await other).toBe('w1');
    expect(reads.size).toBe(0);
    const c = reads.read('k');
    expect(issued).toHaveLength(3);
    issued[2]!.reply.resolve('v2');
    expect(await c).toBe('v2');
  });

  it('a caller resuming from a read and reading again starts a new read', async () => {
    const { reads, issued } = harness();
    const again = reads.read('k').then(() => reads.read('k'));
    issued[0]!.reply.resolve('v1');
    await Promise.resolve();
    await new Promise((r) => setImmediate(r));
    expect(issued).toHaveLength(2);
    issued[1]!.reply.resolve('v2');
    expect(await again).toBe('v2');
  });

  it('after forget(key), calls do not join the earlier read; calls before it still do', async () => {
    const { reads, issued } = harness();
    const early = reads.read('k');
    const joined = reads.read('k');
    reads.forget('k');
    const late = reads.read('k');
    expect(issued).toHaveLength(2);
    // The later read settles first; the earlier one settling afterwards must not evict it.
    issued[1]!.reply.resolve('new');
    expect(await late).toBe('new');
    const third = reads.read('k');
    expect(issued).toHaveLength(3);
    issued[0]!.reply.resolve('old');
    expect(await early).toBe('old');
    expect(await joined).toBe('old');
    expect(reads.read('k')).toBe(third);
    issued[2]!.reply.resolve('newer');
    expect(await third).toBe('newer');
  });

  it('a failed read reaches every caller that joined it, and is not reused', async () => {
    const { reads, issued } = harness();
    const a = reads.read('k');
    const b = reads.read('k');
    issued[0]!.reply.reject(new Error('down'));
    await expect(a).rejects.toThrow('down');
    await expect(b).rejects.toThrow('down');
    expect(reads.size).toBe(0);
  });
});
