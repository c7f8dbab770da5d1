/**
 * `zk-ordered-cache/postgres`: the version column migration and loaders that read a row's value
 * and its version exactly, in one statement.
 */

export { type DeleteVersionedOptions, type DeleteVersionedResult, deleteVersioned } from './delete-versioned.js';
export {
  type EnsureVersionColumnOptions,
  type EnsureVersionColumnResult,
  ensureVersionColumn,
} from './ensure-version-column.js';
export * from './follower/index.js';
export { type ParsedRelation, parseRelation, qualifiedName, quoteIdent, type RelationName } from './identifiers.js';
export {
  type LoadByTimestamptzOptions,
  type LoadVersionedOptions,
  loadVersioned,
  loadVersionedByTimestamptz,
  updateVersioned,
  type ValueOptions,
  type Versioned,
} from './load-versioned.js';
export type { PgQueryable } from './queryable.js';
export { type OrderedWriter, type UpdateAndCacheResult, updateAndCache } from './update-and-cache.js';
