export { caughtUp, classify, type DatabaseVersion, movedSinceDelete, type Verdict } from './classify.js';
export { describeNines, type Nines, ninesOf } from './nines.js';
export { type RowVersionSource, rowVersionFromQuery, rowVersionFromTable } from './row-version.js';
export {
  type ServingReader,
  type Unverified,
  type VerifyOptions,
  type VerifyReport,
  type Violation,
  verifyConsistency,
} from './verify-consistency.js';
