import { ForeignEntryError } from '../../errors.js';
import type { Entry } from '../../redis/index.js';
import type { StoredValue } from '../render/stored-value.js';

/** A key whose Redis hash is not one of our entries: reported, never fatal, never touched. */
export interface ForeignKey {
  key: string;
  detail: string;
}

/** What reading a batch of keys found: our entries, and the foreign keys among them. */
export interface ReadEntries {
  entries: Entry<StoredValue>[];
  foreign: ForeignKey[];
}

/**
 * Reads `keys` (one HMGET each, `batch` at a time) in order; a foreign key is collected instead of
 * failing the whole listing (one foreign key must not hide every other entry). Keys that expired
 * between SCAN and HMGET are left out. Any other error propagates.
 */
export async function readEntries(
  keys: readonly string[],
  read: (key: string) => Promise<Entry<StoredValue> | undefined>,
  batch = 64,
): Promise<ReadEntries> {
  const out: ReadEntries = { entries: [], foreign: [] };
  for (let i = 0; i < keys.length; i += batch) {
    const results = await Promise.all(
      keys.slice(i, i + batch).map((key) =>
        read(key).then(
          (entry) => ({ key, entry }),
          (error: unknown) => {
            if (!(error instanceof ForeignEntryError)) throw error;
            return { key, detail: error.message };
          },
        ),
      ),
    );
    for (const result of results) {
      if ('detail' in result) out.foreign.push({ key: result.key, detail: result.detail });
      else if (result.entry) out.entries.push(result.entry);
    }
  }
  return out;
}
