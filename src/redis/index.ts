export { OrderedStore, type PreparedWrite, type WriteOptions } from './ordered-store.js';
export { ORDERED_STORE_DEFAULTS, parseOrderedStoreOptions, type OrderedStoreOptions, type ResolvedOrderedStoreOptions } from './ordered-store-options.js';
export type { Entry, EntryKind, ServingEntry, WriteResult } from './entry.js';
export { entryRedisKey, keyFromEntryRedisKey, entryKeyPrefix, entryScanPattern } from './entry-key.js';
export { COMPARE_WRITE_LUA, ENTRY_FORMAT, compareWriteCommand, type CompareWriteArgs, type CompareWriteReply, type StoredKind } from './compare-write-script.js';
