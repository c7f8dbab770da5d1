import { describe, expect, it } from 'vitest';
import { type BreakerTimers, CircuitBreaker } from '../../src/cache/circuit-breaker.js';

/** A fake clock: timers fire only when the test advances time. */
function fakeClock(): BreakerTimers & { advance(ms: number): Promise<void>; pending(): number } {
  let now = 0;
  let nextId = 0;
  const timers = new Map<number, { at: number; fn: () => void }>();
  return {
    setTimeout(fn, ms) {
      nextId += 1;
      timers.set(nextId, { at: now + ms, fn });
      return nextId;
    },
    clearTimeout(handle) {
      timers.delete(handle as number);
    },
    async advance(ms) {
      const until = now + ms;
      for (;;) {
        const due = [...timers.entries()].filter(([, t]) => t.at <= until).sort((a, b) => a[1].at - b[1].at)[0];
        if (!due) break;
        timers.delete(due[0]);
        now = due[1].at;
        due[1].fn();
        // let the probe's promise settle before looking at the timers again
        for (let i = 0; i < 5; i += 1) await Promise.resolve();
      }
      now = until;
    },
    pending: () => timers.size,
  };
}

describe('CircuitBreaker (pure logic, fake clock)', () => {
  it('starts closed and schedules nothing', () => {
    const clock = fakeClock();
    const breaker = new CircuitBreaker({ probeIntervalMs: 100, probe: async () => {}, timers: clock });
    expect(breaker.open).toBe(false);
    expect(clock.pending()).toBe(0);
  });

  it('opens on trip, probes once per interval while the probe fails, closes when it succeeds', async () => {
    const clock = fakeClock();
    let probes = 0;
    let healthy = false;
    const changes: boolean[] = [];
    const breaker = new CircuitBreaker({
      probeIntervalMs: 100,
      probe: async () => {
        probes += 1;
        if (!healthy) throw new Error('still down');
      },
      onChange: (open) => changes.push(open),
      timers: clock,
    });
    breaker.trip();
    breaker.trip(); // idempotent: one probe loop, one change
    expect(breaker.open).toBe(true);
    expect(clock.pending()).toBe(1);
    await clock.advance(99);
    expect(probes).toBe(0);
    await clock.advance(1);
    expect(probes).toBe(1);
    expect(breaker.open).toBe(true);
    await clock.advance(250);
    expect(probes).toBe(3); // at 100, 200, 300
    healthy = true;
    await clock.advance(100);
    expect(probes).toBe(4);
    expect(breaker.open).toBe(false);
    expect(clock.pending()).toBe(0);
    expect(changes).toEqual([true, false]);
  });

  it('a probe that throws synchronously counts as a failure, not a crash', async () => {
    const clock = fakeClock();
    const breaker = new CircuitBreaker({
      probeIntervalMs: 10,
      probe: () => {
        throw new Error('sync');
      },
      timers: clock,
    });
    breaker.trip();
    await clock.advance(10);
    expect(breaker.open).toBe(true);
    expect(clock.pending()).toBe(1);
  });

  it('dispose stops probing and a later trip does nothing', async () => {
    const clock = fakeClock();
    let probes = 0;
    const breaker = new CircuitBreaker({
      probeIntervalMs: 10,
      probe: async () => {
        probes += 1;
        throw new Error('down');
      },
      timers: clock,
    });
    breaker.trip();
    breaker.dispose();
    expect(clock.pending()).toBe(0);
    await clock.advance(1_000);
    expect(probes).toBe(0);
  });

  it('reopens after closing when tripped again', async () => {
    const clock = fakeClock();
    const breaker = new CircuitBreaker({ probeIntervalMs: 10, probe: async () => {}, timers: clock });
    breaker.trip();
    await clock.advance(10);
    expect(breaker.open).toBe(false);
    breaker.trip();
    expect(breaker.open).toBe(true);
    expect(clock.pending()).toBe(1);
  });
});
