import type {
  RaceCell,
  RaceReport,
  RaceScenarioName,
  RaceServers,
  RaceStrategy,
  StartedStack,
} from '../../src/testing/index.js';

/** The stack's addresses in the shape `runRace({ servers })` takes. */
export function serversOf(stack: StartedStack): RaceServers {
  return { zookeeper: stack.zookeeper.connectString, redis: stack.redis.url, postgres: stack.postgres.url };
}

/** The cell of `scenario` under `strategy`; fails the test when the run has none. */
export function cellOf(report: RaceReport, scenario: RaceScenarioName, strategy: RaceStrategy): RaceCell {
  const cell = report.cells.find((c) => c.scenario === scenario && c.strategy === strategy);
  if (!cell) throw new Error(`the report has no ${scenario}/${strategy} cell`);
  return cell;
}

/** Checks a cell's bookkeeping: occurrences add up to iterations, FORBIDDEN ones to `forbidden`. */
export function tallyOf(cell: RaceCell): { occurrences: number; forbidden: number } {
  return {
    occurrences: cell.outcomes.reduce((sum, o) => sum + o.occurrences, 0),
    forbidden: cell.outcomes.filter((o) => o.expectation === 'FORBIDDEN').reduce((sum, o) => sum + o.occurrences, 0),
  };
}
