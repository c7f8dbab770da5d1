import type { RemedyStrategy } from '../types.js';
import { redlockRemedy } from './redlock.js';
import type { Remedy } from './remedy.js';
import { setnxLockRecheckRemedy, setnxLockRemedy } from './setnx-lock.js';
import { versionedKeys } from './versioned-keys.js';
import { writeThrough } from './write-through.js';

/** The worker side of every remedy strategy, by name. */
export const REMEDIES: Readonly<Record<RemedyStrategy, Remedy>> = Object.freeze({
  'versioned-keys': versionedKeys,
  'write-through': writeThrough,
  'setnx-lock': setnxLockRemedy,
  'setnx-lock-recheck': setnxLockRecheckRemedy,
  redlock: redlockRemedy,
});

export type { ReadSteps, Remedy, RemedyEnv, Row, WriteSteps } from './remedy.js';
