import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RACE_STRATEGIES, type RaceReport, runRace, type StartedStack } from '../../src/testing/index.js';
import { renderTotals } from '../../src/testing/race/index.js';
import { INTERLEAVINGS } from '../../src/testing/race/interleavings.js';
import { needs, startTestStack } from '../support/stack.js';
import { cellOf, serversOf, tallyOf } from './fixture.js';

const FORCED_ITERATIONS = 2;
const SEEDED_ITERATIONS = 20;
const STALE = 'cache = $100, database = $50';
const TOMBSTONE = 'cache: tombstone at the committed version, database = $50';

// A writer outside the library (plain SQL) commits while readers fill: every strategy that cannot
// see it ends stale; ordered with the follower (PostgreSQL's change stream → tombstones) never does.
describe(
  'race: bypass-write',
  needs('processes', 'Redlock runs on three Redis servers the harness starts as local processes'),
  () => {
    let stack: StartedStack;
    let pool: pg.Pool;
    let forced: RaceReport;
    let seeded: RaceReport;

    beforeAll(async () => {
      stack = await startTestStack();
      pool = new pg.Pool({ connectionString: stack.postgres.url, max: 1 });
      // Forced: R loads $100 and is held before its fill (holding its lock, if any); W commits $50
      // with plain SQL; R fills. The same interleaving every iteration, under every strategy.
      forced = await runRace({
        servers: serversOf(stack),
        scenarios: ['bypass-write'],
        strategies: RACE_STRATEGIES,
        iterations: FORCED_ITERATIONS,
        forced: true,
        seed: 1,
      });
      // stale-set too (one iteration), to see ordered+follower left out where it does not apply.
      seeded = await runRace({
        servers: serversOf(stack),
        scenarios: ['stale-set', 'bypass-write'],
        strategies: ['naive', 'ordered+follower'],
        iterations: SEEDED_ITERATIONS,
        scenarioIterations: { 'stale-set': 1 },
        seed: 20_261_203,
      });
    }, 180_000);
    afterAll(async () => {
      await pool?.end();
      await stack?.stop();
    });

    const failing = RACE_STRATEGIES.filter((s) => s !== 'ordered+follower');
    for (const strategy of failing)
      it(`forced: ${strategy} cannot see the plain SQL write: every iteration ends stale, FORBIDDEN`, () => {
        const cell = cellOf(forced, 'bypass-write', strategy);
        expect(cell.forced).toBe(true);
        expect(tallyOf(cell)).toEqual({ occurrences: FORCED_ITERATIONS, forbidden: FORCED_ITERATIONS });
        expect(cell.outcomes.map((o) => o.state)).toEqual([STALE]);
        expect(cell.outcomes[0]!.interpretation).toBe(INTERLEAVINGS['bypass-write'][strategy]!.summary);
      });

    it('forced: ordered+follower ends every iteration with a tombstone at the committed version, 0 FORBIDDEN', () => {
      const cell = cellOf(forced, 'bypass-write', 'ordered+follower');
      expect(cell.forced).toBe(true);
      expect(cell.forbidden).toBe(0);
      expect(cell.outcomes.map((o) => [o.state, o.occurrences])).toEqual([[TOMBSTONE, FORCED_ITERATIONS]]);
    });

    it("plain ordered's bypass-write failures do not count as the library failing; the totals say why", () => {
      expect(forced.totals.forbiddenByStrategy.ordered).toBe(FORCED_ITERATIONS);
      expect(forced.orderedViolated).toBe(false);
      expect(renderTotals(forced).at(-1)).toBe(
        `RESULT: ordered produced no FORBIDDEN outcome it promises to prevent (its ${FORCED_ITERATIONS} in bypass-write are writes that bypass the library, expected without the follower: see ordered+follower)`,
      );
    });

    it(`seeded: ordered+follower shows 0 FORBIDDEN over ${SEEDED_ITERATIONS} iterations; naive, on the same schedule, does not`, () => {
      const follower = cellOf(seeded, 'bypass-write', 'ordered+follower');
      expect(tallyOf(follower)).toEqual({ occurrences: SEEDED_ITERATIONS, forbidden: 0 });
      expect(follower.outcomes.filter((o) => o.state.startsWith('error'))).toEqual([]);
      expect(cellOf(seeded, 'bypass-write', 'naive').forbidden).toBeGreaterThan(0);
      expect(seeded.orderedViolated).toBe(false);
    });

    it('a follower only where it applies: ordered+follower runs in bypass-write alone', () => {
      expect(seeded.cells.map((c) => `${c.scenario}/${c.strategy}`)).toEqual([
        'stale-set/naive',
        'bypass-write/naive',
        'bypass-write/ordered+follower',
      ]);
    });

    it("leaves no replication slot or publication behind (a slot would retain WAL until it's dropped)", async () => {
      const { rows } = await pool.query<{ slots: string; publications: string }>(
        `SELECT (SELECT count(*) FROM pg_replication_slots WHERE slot_name LIKE 'zkoc_race%' AND database = current_database()) AS slots,
                (SELECT count(*) FROM pg_publication WHERE pubname LIKE 'zkoc_race%') AS publications`,
      );
      expect(rows[0]).toEqual({ slots: '0', publications: '0' });
    });
  },
);
