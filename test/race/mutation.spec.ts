import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RaceReport, renderRaceReport, runRace, type StartedStack } from '../../src/testing/index.js';
import { startTestStack } from '../support/stack.js';
import { cellOf, serversOf } from './fixture.js';

const BROKEN_WORKER = fileURLToPath(new URL('./fixtures/broken-ordered-worker.mjs', import.meta.url));

// The harness can fail: `ordered` run by workers whose store accepts older writes (its compare
// script patched in the test's worker entry) must show FORBIDDEN outcomes and flag the library.
describe('race: mutation check (an ordered store that accepts older writes)', () => {
  let stack: StartedStack;
  let report: RaceReport;

  beforeAll(async () => {
    stack = await startTestStack();
    report = await runRace({
      servers: serversOf(stack),
      workerEntry: BROKEN_WORKER,
      scenarios: ['paused-holder'],
      strategies: ['ordered'],
      iterations: 2,
      pausedSessionTimeoutMs: 1_000,
      seed: 16,
    });
  }, 120_000);
  afterAll(async () => {
    await stack?.stop();
  });

  it('the resumed holder’s older $100 is accepted: FORBIDDEN in every iteration, and the run flags ordered', () => {
    const cell = cellOf(report, 'paused-holder', 'ordered');
    expect(cell.forbidden).toBe(2);
    expect(cell.outcomes).toEqual([
      expect.objectContaining({ state: 'cache = $100, database = $50', expectation: 'FORBIDDEN', occurrences: 2 }),
    ]);
    expect(report.orderedViolated).toBe(true);
    expect(renderRaceReport(report)).toContain('RESULT: ordered produced a FORBIDDEN outcome: the library failed');
  });
});
