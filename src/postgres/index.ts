/**
 * `zk-ordered-cache/postgres`: the version column migration and loaders that read a row's value
 * and its version exactly, in one statement.
 */
export { ensureVersionColumn, type EnsureVersionColumnOptions, type EnsureVersionColumnResult } from './ensure-version-column.js';
export {
  loadVersioned,
  loadVersionedByTimestamptz,
  updateVersioned,
  type LoadByTimestamptzOptions,
  type LoadVersionedOptions,
  type ValueOptions,
  type Versioned,
} from './load-versioned.js';
export { deleteVersioned, type DeleteVersionedOptions, type DeleteVersionedResult } from './delete-versioned.js';
export { quoteIdent, parseRelation, qualifiedName, type RelationName, type ParsedRelation } from './identifiers.js';
export type { PgQueryable } from './queryable.js';
export { updateAndCache, type OrderedWriter, type UpdateAndCacheResult } from './update-and-cache.js';
