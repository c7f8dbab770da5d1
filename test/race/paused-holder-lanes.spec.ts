import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RaceReport, type RaceStrategy, runRace, type StartedStack } from '../../src/testing/index.js';
import { needs, startTestStack } from '../support/stack.js';
import { cellOf, serversOf, tallyOf } from './fixture.js';

const ITERATIONS = 4;
const LEASE_MS = 1_000;

// paused-holder as docs/remedies.md runs it: a ZooKeeper ticking every 50 ms without fsync, a 1 s lease, and
// iterations in lanes (two at a time, each lane pausing only its own holder). The interleavings
// must stay what they are one at a time: the lock holders lose their lease to the writer (who
// waits it out), lock-only and redlock then overwrite the newer value, ordered rejects it.
describe(
  'race: paused-holder in lanes with a short lease',
  needs('processes', 'Redlock runs on three Redis servers the harness starts as local processes'),
  () => {
    let stack: StartedStack;
    let report: RaceReport;

    beforeAll(async () => {
      stack = await startTestStack({ zookeeper: { tickTimeMs: 50, fsync: false } });
      report = await runRace({
        servers: serversOf(stack),
        scenarios: ['paused-holder'],
        strategies: ['naive', 'lock-only', 'redlock', 'ordered'],
        iterations: ITERATIONS,
        lanes: 2,
        pausedSessionTimeoutMs: LEASE_MS,
        seed: 1_203,
      });
    }, 180_000);
    afterAll(async () => {
      await stack?.stop();
    });

    it.each<RaceStrategy>(['naive', 'lock-only', 'redlock'])(
      '%s: the resumed holder overwrites the newer value in every iteration',
      (strategy) => {
        const cell = cellOf(report, 'paused-holder', strategy);
        expect(cell.lanes).toBe(2);
        expect(tallyOf(cell)).toEqual({ occurrences: ITERATIONS, forbidden: ITERATIONS });
        expect(cell.outcomes).toEqual([
          expect.objectContaining({ state: 'cache = $100, database = $50', expectation: 'FORBIDDEN' }),
        ]);
      },
    );

    it('ordered: the resumed holder is rejected in every iteration; the cache keeps $50', () => {
      const cell = cellOf(report, 'paused-holder', 'ordered');
      expect(cell.outcomes).toEqual([
        expect.objectContaining({
          state: 'cache = $50, database = $50',
          expectation: 'ACCEPTABLE',
          occurrences: ITERATIONS,
        }),
      ]);
      expect(report.orderedViolated).toBe(false);
    });

    it.each<RaceStrategy>(['lock-only', 'redlock', 'ordered'])(
      "%s: the writer waited for the paused holder's lease to end (a lock, not luck, ordered them)",
      (strategy) => {
        const writes = cellOf(report, 'paused-holder', strategy).costs?.writeMs;
        expect(writes?.count).toBe(ITERATIONS);
        // An unlocked write takes milliseconds; this one outlasted most of the holder's lease.
        expect(writes?.p50).toBeGreaterThanOrEqual(LEASE_MS / 2);
      },
    );

    it('cells in lanes report no request counts (their iterations overlap on the servers)', () => {
      for (const cell of report.cells) {
        expect(cell.costs).toBeDefined();
        expect(cell.costs?.redisPerOperation).toBeUndefined();
        expect(cell.costs?.zookeeperPerOperation).toBeUndefined();
      }
    });
  },
);
