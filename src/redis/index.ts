export {
  COMPARE_WRITE_LUA,
  type CompareWriteArgs,
  type CompareWriteReply,
  compareWriteCommand,
  ENTRY_FORMAT,
  type StoredKind,
} from './compare-write-script.js';
export type { Entry, EntryKind, ServingEntry, WriteResult } from './entry.js';
export { entryKeyPrefix, entryRedisKey, entryScanPattern, keyFromEntryRedisKey } from './entry-key.js';
export { type FillRead, OrderedStore, type PreparedWrite, type WriteOptions } from './ordered-store.js';
export {
  ORDERED_STORE_DEFAULTS,
  type OrderedStoreOptions,
  parseOrderedStoreOptions,
  type ResolvedOrderedStoreOptions,
} from './ordered-store-options.js';
