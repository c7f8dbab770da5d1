import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type RaceReport,
  type RaceScenarioName,
  type RaceStrategy,
  runRace,
  type StartedStack,
} from '../../src/testing/index.js';
import { INTERLEAVINGS } from '../../src/testing/race/interleavings.js';
import { needs, startTestStack } from '../support/stack.js';
import { cellOf, serversOf, tallyOf } from './fixture.js';

const UNLOCKED: RaceStrategy[] = ['naive', 'versioned-keys', 'write-through', 'setnx-lock', 'setnx-lock-recheck'];
const ITERATIONS = 3;

// Each strategy's worst interleaving, forced through hold points (the same every iteration, no
// random delay): every iteration of a strategy that can fail ends FORBIDDEN; a survivor's none.
describe(
  'race: forced interleavings',
  needs('processes', 'Redlock runs on three Redis servers the harness starts as local processes'),
  () => {
    let stack: StartedStack;
    let report: RaceReport;
    let paused: RaceReport;

    beforeAll(async () => {
      stack = await startTestStack();
      report = await runRace({
        servers: serversOf(stack),
        scenarios: ['stale-set', 'concurrent-writers', 'stampede'],
        strategies: UNLOCKED,
        iterations: ITERATIONS,
        forced: true,
        seed: 1,
      });
      paused = await runRace({
        servers: serversOf(stack),
        scenarios: ['paused-holder'],
        strategies: ['versioned-keys', 'write-through', 'setnx-lock', 'setnx-lock-recheck', 'redlock'],
        iterations: 2,
        pausedSessionTimeoutMs: 1_000,
        forced: true,
        seed: 1,
      });
    }, 240_000);
    afterAll(async () => {
      await stack?.stop();
    });

    const expectVerdicts = (run: () => RaceReport, scenario: RaceScenarioName, strategy: RaceStrategy) => {
      const cell = cellOf(run(), scenario, strategy);
      const verdict = INTERLEAVINGS[scenario][strategy]!.verdict;
      expect(cell.forced).toBe(true);
      expect(tallyOf(cell).occurrences).toBe(cell.iterations);
      expect(cell.outcomes.every((o) => !o.state.startsWith('error'))).toBe(true);
      expect(cell.forbidden).toBe(verdict === 'fails' ? cell.iterations : 0);
    };

    for (const scenario of ['stale-set', 'concurrent-writers', 'stampede'] as const)
      for (const strategy of UNLOCKED)
        it(`${scenario} / ${strategy}: ${INTERLEAVINGS[scenario][strategy]!.verdict}`, () =>
          expectVerdicts(() => report, scenario, strategy));
    for (const strategy of ['versioned-keys', 'write-through', 'setnx-lock', 'setnx-lock-recheck', 'redlock'] as const)
      it(`paused-holder / ${strategy}: ${INTERLEAVINGS['paused-holder'][strategy]!.verdict}`, () =>
        expectVerdicts(() => paused, 'paused-holder', strategy));

    it('the FORBIDDEN end states are the ones the interleavings name', () => {
      const states = (scenario: RaceScenarioName, strategy: RaceStrategy) =>
        cellOf(report, scenario, strategy).outcomes.map((o) => o.state);
      for (const strategy of ['naive', 'write-through', 'setnx-lock', 'setnx-lock-recheck'] as const)
        expect(states('stale-set', strategy)).toEqual(['cache = $100, database = $50']);
      // Cache writes in commit order reversed: the earlier commit's value is served.
      for (const strategy of ['naive', 'versioned-keys', 'setnx-lock', 'setnx-lock-recheck'] as const)
        expect(states('concurrent-writers', strategy)).toEqual(['cache = $70, database = $80']);
      // Write-through writes the cache first: the cache holds the later cache write, the database the later commit.
      expect(states('concurrent-writers', 'write-through')).toEqual(['cache = $80, database = $70']);
      expect(states('stampede', 'setnx-lock')).toEqual(['2 loads (every read)']);
      expect(states('stampede', 'setnx-lock-recheck')).toEqual(['1 load']);
      expect(states('stale-set', 'versioned-keys')).toEqual(['cache empty, database = $50']);
      expect(cellOf(paused, 'paused-holder', 'redlock').outcomes.map((o) => o.state)).toEqual([
        'cache = $100, database = $50',
      ]);
    });
  },
);
