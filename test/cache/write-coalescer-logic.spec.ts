import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type CoalescibleWrite, WriteCoalescer } from '../../src/cache/write-coalescer.js';
import type { WriteResult } from '../../src/redis/entry.js';

type Write = CoalescibleWrite & { id: number };
type Stored = { ts: bigint; kind: 'value' | 'tombstone' } | undefined;

/** The ordering table of docs/design.md (values fresh), written independently of the coalescer. */
function script(stored: Stored, write: CoalescibleWrite): { result: WriteResult; stored: Stored } {
  const written = {
    result: { status: 'written' as const, current: write.timestamp },
    stored: { ts: write.timestamp, kind: write.kind },
  };
  if (!stored) return written;
  const keep = (status: 'stale' | 'duplicate') => ({ result: { status, current: stored.ts } as WriteResult, stored });
  if (write.timestamp > stored.ts) return written;
  if (write.timestamp < stored.ts) return keep('stale');
  if (write.kind === 'value') return stored.kind === 'tombstone' ? written : keep('duplicate');
  return stored.kind === 'tombstone' ? keep('duplicate') : keep('stale');
}

/** A coalescer over an in-memory "Redis" that records every script call and lock cycle. */
function harness(initial: Stored) {
  const state = { stored: initial, sends: [] as Write[], lockCycles: 0, failNext: undefined as Error | undefined };
  const reported: [number, WriteResult][] = [];
  const coalescer = new WriteCoalescer<Write>(
    async (_key, take) => {
      state.lockCycles += 1;
      await new Promise((resolve) => setTimeout(resolve, 1)); // the lock wait
      const failure = state.failNext;
      state.failNext = undefined;
      if (failure) throw failure;
      const write = take();
      state.sends.push(write);
      const answer = script(state.stored, write);
      state.stored = answer.stored;
      return answer.result;
    },
    (_key, write, result) => {
      reported.push([write.id, result]);
      return result;
    },
  );
  return { state, reported, coalescer };
}

const writeArb = fc.record({
  timestamp: fc.bigInt({ min: 1n, max: 6n }),
  kind: fc.constantFrom<'value' | 'tombstone'>('value', 'tombstone'),
});
const storedArb = fc.option(
  fc.record({
    ts: fc.bigInt({ min: 1n, max: 6n }),
    kind: fc.constantFrom<'value' | 'tombstone'>('value', 'tombstone'),
  }),
  { nil: undefined },
);

describe('write coalescing (pure logic)', () => {
  it('answers every folded call as the script would, run right after the newest write', async () => {
    await fc.assert(
      fc.asyncProperty(storedArb, fc.array(writeArb, { minLength: 1, maxLength: 12 }), async (initial, raw) => {
        const writes: Write[] = raw.map((w, id) => ({ ...w, id }));
        const { state, coalescer } = harness(initial);
        const resolvedEarly = new Set<number>();
        const results = await Promise.all(
          writes.map((w) => {
            const p = coalescer.write('k', w);
            void p.then(() => state.sends.length === 0 && resolvedEarly.add(w.id));
            return p;
          }),
        );
        // One lock cycle and one script call for the whole burst; the newest (by the table) was sent.
        expect(state.lockCycles).toBe(1);
        expect(state.sends).toHaveLength(1);
        const winner = state.sends[0] as Write;
        for (const w of writes)
          expect(
            w.timestamp > winner.timestamp ||
              (w.timestamp === winner.timestamp && w.kind === 'value' && winner.kind === 'tombstone'),
          ).toBe(false);
        // Replay sequentially: the winner first, then every other call in arrival order.
        let stored = initial;
        const expected = new Map<number, WriteResult>();
        for (const w of [winner, ...writes.filter((x) => x !== winner)]) {
          const answer = script(stored, w);
          stored = answer.stored;
          expected.set(w.id, answer.result);
        }
        // The final entry is what running all calls one after the other leaves, in any order.
        let sequential = initial;
        for (const w of writes) sequential = script(sequential, w).stored;
        expect(state.stored).toEqual(sequential);
        for (const w of writes) {
          const got = results[w.id] as WriteResult;
          const want = expected.get(w.id) as WriteResult;
          expect(got.status).toBe(want.status);
          // A call superseded before anything was sent learns the newest queued timestamp, a lower bound.
          if (resolvedEarly.has(w.id)) {
            expect(got.current).toBeGreaterThan(w.timestamp);
            expect((got.current as bigint) <= (want.current as bigint)).toBe(true);
          } else expect(got.current).toBe(want.current);
        }
        expect(coalescer.size).toBe(0);
      }),
      { numRuns: 300 },
    );
  });

  it('answers an older call stale at once, without waiting for the queued write', async () => {
    const { state, reported, coalescer } = harness(undefined);
    const newest = coalescer.write('k', { id: 0, timestamp: 10n, kind: 'value' });
    const older = await coalescer.write('k', { id: 1, timestamp: 4n, kind: 'value' });
    expect(older).toEqual({ status: 'stale', current: 10n });
    expect(state.sends).toHaveLength(0);
    expect(await newest).toEqual({ status: 'written', current: 10n });
    expect(reported).toEqual([[1, { status: 'stale', current: 10n }]]);
  });

  it('a tombstone and a value at one timestamp: the value is written, the tombstone is stale', async () => {
    const { state, coalescer } = harness({ ts: 1n, kind: 'value' });
    const [tomb, value, again] = await Promise.all([
      coalescer.write('k', { id: 0, timestamp: 5n, kind: 'tombstone' }),
      coalescer.write('k', { id: 1, timestamp: 5n, kind: 'value' }),
      coalescer.write('k', { id: 2, timestamp: 5n, kind: 'value' }),
    ]);
    expect(state.sends.map((w) => w.id)).toEqual([1]);
    expect(value).toEqual({ status: 'written', current: 5n });
    expect(again).toEqual({ status: 'duplicate', current: 5n });
    expect(tomb).toEqual({ status: 'stale', current: 5n });
  });

  it('calls arriving while a write is sent queue for the next lock cycle, folded again', async () => {
    const { state, coalescer } = harness(undefined);
    const first = coalescer.write('k', { id: 0, timestamp: 1n, kind: 'value' });
    await new Promise((resolve) => setTimeout(resolve, 5)); // sent (and settled) by now in the fake
    const second = [2n, 3n, 3n].map((timestamp, i) => coalescer.write('k', { id: i + 1, timestamp, kind: 'value' }));
    expect(await first).toEqual({ status: 'written', current: 1n });
    expect(await Promise.all(second)).toEqual([
      { status: 'stale', current: 3n },
      { status: 'written', current: 3n },
      { status: 'duplicate', current: 3n },
    ]);
    expect(state.sends.map((w) => w.timestamp)).toEqual([1n, 3n]);
    expect(state.lockCycles).toBe(2);
  });

  it('a failed write reaches every call folded into it, and the next call starts afresh', async () => {
    const { state, coalescer } = harness(undefined);
    state.failNext = new Error('lock timeout');
    const calls = [3n, 1n, 2n].map((timestamp, id) => coalescer.write('k', { id, timestamp, kind: 'value' }));
    const settled = await Promise.allSettled(calls);
    // 1 and 2 were older than the queued 3 when they arrived: stale at once. Only 3's write failed.
    expect(settled.map((s) => s.status)).toEqual(['rejected', 'fulfilled', 'fulfilled']);
    const folded = [
      coalescer.write('k', { id: 3, timestamp: 1n, kind: 'value' }),
      coalescer.write('k', { id: 4, timestamp: 2n, kind: 'value' }),
    ];
    state.failNext = new Error('connection');
    const both = await Promise.allSettled(folded);
    expect(both.map((s) => (s.status === 'rejected' ? (s.reason as Error).message : 'ok'))).toEqual([
      'connection',
      'connection',
    ]);
    expect(await coalescer.write('k', { id: 5, timestamp: 2n, kind: 'value' })).toEqual({
      status: 'written',
      current: 2n,
    });
    expect(coalescer.size).toBe(0);
  });

  it('a report that throws fails that call only; the rest of the group still settles', async () => {
    let reports = 0;
    const coalescer = new WriteCoalescer<Write>(
      async (_key, take) => {
        await new Promise((resolve) => setTimeout(resolve, 1));
        return { status: 'written', current: take().timestamp };
      },
      (_key, _write, result) => {
        reports += 1;
        if (reports === 1) throw new Error('listener failed');
        return result;
      },
    );
    const settled = await Promise.allSettled(
      [1n, 2n, 3n].map((timestamp, id) => coalescer.write('k', { id, timestamp, kind: 'value' })),
    );
    expect(settled.map((s) => s.status)).toEqual(['rejected', 'fulfilled', 'fulfilled']);
    expect(coalescer.size).toBe(0);
  });

  it('keeps keys apart', async () => {
    const { state, coalescer } = harness(undefined);
    await Promise.all([
      coalescer.write('a', { id: 0, timestamp: 1n, kind: 'value' }),
      coalescer.write('b', { id: 1, timestamp: 1n, kind: 'value' }),
    ]);
    expect(state.lockCycles).toBe(2);
  });
});
