import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  RACE_STRATEGIES,
  type RaceReport,
  type RaceScenarioName,
  type RaceStrategy,
  runRace,
  type StartedStack,
} from '../../src/testing/index.js';
import { appliesTo } from '../../src/testing/race/index.js';
import { needs, startTestStack } from '../support/stack.js';
import { cellOf, serversOf, tallyOf } from './fixture.js';

const SCENARIOS: RaceScenarioName[] = ['stale-set', 'concurrent-writers', 'stampede'];
const ITERATIONS = 20;
/** Every strategy but ordered+follower, which runs only where rows change outside the library (bypass-write). */
const APPLICABLE = RACE_STRATEGIES.filter((strategy) => SCENARIOS.some((scenario) => appliesTo(scenario, strategy)));

// Every strategy, remedies included, in every scenario against real servers with the seeded
// random schedule: the bookkeeping adds up, costs are measured, and the strategies that survive a
// scenario's worst interleaving show no FORBIDDEN outcome over the run. (paused-holder under every
// strategy: forced-interleavings.spec.ts and paused-holder.spec.ts.)
describe(
  'race: every strategy in every scenario, seeded',
  needs('processes', 'Redlock runs on three Redis servers the harness starts as local processes'),
  () => {
    let stack: StartedStack;
    let report: RaceReport;

    beforeAll(async () => {
      stack = await startTestStack();
      report = await runRace({
        servers: serversOf(stack),
        scenarios: SCENARIOS,
        strategies: RACE_STRATEGIES,
        iterations: ITERATIONS,
        stampedeConcurrency: 10,
        seed: 20_261_203,
      });
    }, 300_000);
    afterAll(async () => {
      await stack?.stop();
    });

    it('runs each strategy in each scenario, with bookkeeping that adds up and no errors', () => {
      expect(APPLICABLE).not.toContain('ordered+follower');
      expect(report.cells).toHaveLength(SCENARIOS.length * APPLICABLE.length);
      for (const cell of report.cells) {
        expect(cell.iterations).toBe(ITERATIONS);
        expect(tallyOf(cell)).toEqual({ occurrences: ITERATIONS, forbidden: cell.forbidden });
        expect(cell.outcomes.filter((o) => o.state.startsWith('error'))).toEqual([]);
      }
      expect(Object.keys(report.totals.forbiddenByStrategy).sort()).toEqual([...APPLICABLE].sort());
    });

    it('measures each cell’s costs: loads per 100 reads, requests per operation, latencies', () => {
      for (const cell of report.cells) {
        const costs = cell.costs!;
        expect(costs.redisPerOperation).toBeGreaterThan(0);
        expect(costs.zookeeperPerOperation).toBeGreaterThanOrEqual(0);
        if (cell.scenario !== 'concurrent-writers') expect(costs.readMs.count).toBeGreaterThan(0);
        if (cell.scenario !== 'stampede')
          expect(costs.writeMs.count).toBe(ITERATIONS * (cell.scenario === 'stale-set' ? 1 : 2));
      }
      // 2 workers × 10 reads per iteration: one load per iteration is 5 per 100 reads.
      for (const strategy of ['lock-only', 'setnx-lock-recheck', 'redlock', 'ordered'] as const)
        expect(cellOf(report, 'stampede', strategy).costs!.loadsPer100Reads).toBe(5);
      expect(cellOf(report, 'stampede', 'naive').costs!.loadsPer100Reads).toBeGreaterThan(50);
      // Only the ZooKeeper strategies talk to ZooKeeper; Redlock pays in Redis requests on three servers.
      expect(cellOf(report, 'concurrent-writers', 'ordered').costs!.zookeeperPerOperation).toBeGreaterThan(1);
      expect(cellOf(report, 'concurrent-writers', 'write-through').costs!.zookeeperPerOperation).toBeLessThan(1);
      expect(cellOf(report, 'concurrent-writers', 'redlock').costs!.redisPerOperation).toBeGreaterThan(
        cellOf(report, 'concurrent-writers', 'write-through').costs!.redisPerOperation!,
      );
    });

    const survivors: [RaceScenarioName, RaceStrategy][] = [
      ['stale-set', 'lock-only'],
      ['stale-set', 'redlock'],
      ['stale-set', 'versioned-keys'],
      ['stale-set', 'ordered'],
      ['concurrent-writers', 'lock-only'],
      ['concurrent-writers', 'redlock'],
      ['concurrent-writers', 'ordered'],
      ['stampede', 'lock-only'],
      ['stampede', 'setnx-lock-recheck'],
      ['stampede', 'redlock'],
      ['stampede', 'ordered'],
    ];
    for (const [scenario, strategy] of survivors)
      it(`${strategy} survives ${scenario}: 0 FORBIDDEN over the seeded run`, () => {
        expect(cellOf(report, scenario, strategy).forbidden).toBe(0);
      });

    it('strategies without a fill lock stampede; ordered is not flagged', () => {
      for (const strategy of ['naive', 'versioned-keys', 'write-through'] as const)
        expect(cellOf(report, 'stampede', strategy).forbidden).toBeGreaterThan(0);
      expect(report.orderedViolated).toBe(false);
    });
  },
);
