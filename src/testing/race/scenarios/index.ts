import type { RaceScenarioName } from '../types.js';
import { bypassWrite } from './bypass-write.js';
import { concurrentWriters } from './concurrent-writers.js';
import { pausedHolder } from './paused-holder.js';
import type { RaceScenario } from './scenario.js';
import { staleSet } from './stale-set.js';
import { stampede } from './stampede.js';

/** Every scenario by name. */
export const SCENARIOS: Readonly<Record<RaceScenarioName, RaceScenario>> = Object.freeze({
  'stale-set': staleSet,
  'concurrent-writers': concurrentWriters,
  stampede,
  'paused-holder': pausedHolder,
  'bypass-write': bypassWrite,
});

export type { RaceScenario } from './scenario.js';
