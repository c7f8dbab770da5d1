import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RaceReport, runRace, type StartedStack } from '../../src/testing/index.js';
import { startTestStack } from '../support/stack.js';
import { cellOf, serversOf, tallyOf } from './fixture.js';

// A holder paused (SIGSTOP) past its ZooKeeper session: the lock moves on, a writer commits $50,
// and the holder wakes up still "holding" it. Only the timestamp fence stops its old $100.
describe('race: paused-holder', () => {
  let stack: StartedStack;
  let report: RaceReport;

  beforeAll(async () => {
    stack = await startTestStack();
    report = await runRace({
      servers: serversOf(stack),
      scenarios: ['paused-holder'],
      iterations: 2,
      pausedSessionTimeoutMs: 1_000,
      // One iteration at a time: the cell's duration then adds up each iteration's wait (lanes: paused-holder-lanes.spec.ts).
      lanes: 1,
      seed: 7,
    });
  }, 120_000);
  afterAll(async () => {
    await stack?.stop();
  });

  it('lock-only: the resumed holder overwrites the newer value every time', () => {
    const cell = cellOf(report, 'paused-holder', 'lock-only');
    expect(tallyOf(cell)).toEqual({ occurrences: 2, forbidden: 2 });
    expect(cell.outcomes).toEqual([
      expect.objectContaining({ state: 'cache = $100, database = $50', expectation: 'FORBIDDEN' }),
    ]);
    // The writer waited for the paused holder's session to expire: at least a session timeout per iteration.
    expect(cell.durationMs).toBeGreaterThanOrEqual(2 * 1_000);
  });

  it('naive: the resumed reader overwrites the newer value too', () => {
    expect(cellOf(report, 'paused-holder', 'naive').forbidden).toBe(2);
  });

  it('ordered: the resumed holder is rejected by its older timestamp; the cache keeps $50', () => {
    const cell = cellOf(report, 'paused-holder', 'ordered');
    expect(cell.outcomes).toEqual([
      expect.objectContaining({ state: 'cache = $50, database = $50', expectation: 'ACCEPTABLE', occurrences: 2 }),
    ]);
    expect(cell.durationMs).toBeGreaterThanOrEqual(2 * 1_000);
    expect(report.orderedViolated).toBe(false);
  });
});
