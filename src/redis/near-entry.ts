import type { Codec } from '../codec/codec.js';
import type { Entry, EntryKind, ServingEntry } from './entry.js';
import { millis, parseServingFields } from './entry-fields.js';

/**
 * An entry as the near cache keeps it: the bookkeeping parsed once (immutable numbers, a bigint and
 * a string), the value as its stored bytes, decoded again for every serve so that no two callers
 * ever share a value object. Freshness is not kept: it is evaluated at serve time.
 */
export interface NearEntry {
  readonly kind: EntryKind;
  readonly timestamp: bigint;
  readonly expiresAt: number;
  readonly writtenAt: number;
  readonly writer: string;
  /** When Redis drops the key (its PEXPIRE): past it, a Redis read would find nothing. */
  readonly retainedUntilMs: number;
  /** The stored value bytes, copied out of the socket buffer; empty for a tombstone or "missing". */
  readonly value: Buffer;
  /** What it costs the near cache's byte bound. */
  readonly bytes: number;
}

// Per-entry overhead counted against the byte bound: the object, the Buffer, the map slot.
const ENTRY_OVERHEAD_BYTES = 200;

/**
 * Parses one HMGET reply of the entry fields into a {@link NearEntry}: `undefined` when nothing is
 * stored. Refuses exactly what {@link parseServingFields} refuses (ForeignEntryError), value
 * decoding included, so an entry that is kept always decodes again.
 */
export function nearEntryOf<T>(
  codec: Codec<T>,
  key: string,
  redisKey: string,
  fields: (Buffer | null)[],
): NearEntry | undefined {
  const serving = parseServingFields(codec, key, redisKey, fields);
  if (serving === undefined) return undefined;
  // A copy: a slice would keep the parser's whole socket chunk alive as long as the entry.
  const value = serving.kind === 'value' ? Buffer.from(fields[3]!) : EMPTY;
  const writer = fields[6]!.toString();
  return {
    kind: serving.kind,
    timestamp: serving.timestamp,
    expiresAt: serving.expiresAt,
    writtenAt: millis(fields[5])!,
    writer,
    retainedUntilMs: millis(fields[7])!,
    value,
    bytes: ENTRY_OVERHEAD_BYTES + key.length * 2 + writer.length * 2 + value.length,
  };
}

const EMPTY = Buffer.alloc(0);

/** The entry as `readForServing` would return it, freshness evaluated now, the value decoded afresh. */
export function servingOf<T>(codec: Codec<T>, key: string, near: NearEntry): ServingEntry<T> {
  const { timestamp, expiresAt } = near;
  if (near.kind === 'value')
    return {
      key,
      kind: 'value',
      value: codec.decode(near.value),
      timestamp,
      expiresAt,
      isFresh: expiresAt > Date.now(),
    };
  if (near.kind === 'missing') return { key, kind: 'missing', timestamp, expiresAt, isFresh: expiresAt > Date.now() };
  return { key, kind: 'tombstone', timestamp, expiresAt, isFresh: false };
}

/** The entry as `OrderedStore.read` would return it (bookkeeping fields included). */
export function entryOf<T>(codec: Codec<T>, key: string, near: NearEntry): Entry<T> {
  const { writtenAt, writer, retainedUntilMs } = near;
  return Object.assign(servingOf(codec, key, near), { writtenAt, writer, retainedUntilMs });
}
