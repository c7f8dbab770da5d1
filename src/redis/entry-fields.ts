import type { Codec } from '../codec/codec.js';
import { ForeignEntryError } from '../errors.js';
import { ENTRY_FORMAT } from './compare-write-script.js';
import type { ServingEntry } from './entry.js';

// Every field of an entry, in this order, by ONE HMGET. Serving reads all eight too: it must refuse
// exactly what the compare-write script refuses, so foreign data is never served (issue 18).
export const READ_FIELDS = ['zkoc', 'k', 'ts', 'v', 'exp', 'at', 'by', 'ret'] as const;
const KIND_BYTES = { v: 0x76, t: 0x74, m: 0x6d } as const;
const MAX_TIMESTAMP = 2n ** 63n - 1n;
const ENTRY_FORMAT_BYTE = ENTRY_FORMAT.charCodeAt(0);

/**
 * Parses the {@link READ_FIELDS} of one HMGET: `undefined` when nothing is stored, else the
 * entry without its bookkeeping fields; {@link ForeignEntryError} for anything that is not exactly
 * our format (the same checks, in the same order, as the compare-write script, so reads and writes
 * refuse alike).
 * Hot path of every cache hit: byte checks, no intermediate strings, arrays or regexes.
 */
export function parseServingFields<T>(
  codec: Codec<T>,
  key: string,
  redisKey: string,
  fields: (Buffer | null)[],
): ServingEntry<T> | undefined {
  const marker = fields[0];
  if (!marker) {
    for (const field of fields)
      if (field) throw new ForeignEntryError(redisKey, 'a hash without the zkoc marker field');
    return undefined;
  }
  if (marker.length !== 1 || marker[0] !== ENTRY_FORMAT_BYTE)
    throw new ForeignEntryError(redisKey, `entry format ${marker.toString().slice(0, 16)}, expected ${ENTRY_FORMAT}`);
  const kindField = fields[1];
  const kind = kindField?.length === 1 ? kindField[0] : undefined;
  if (kind !== KIND_BYTES.v && kind !== KIND_BYTES.t && kind !== KIND_BYTES.m)
    throw new ForeignEntryError(redisKey, 'malformed kind field k');
  const timestamp = canonicalTimestampOf(fields[2]);
  if (timestamp === undefined) throw new ForeignEntryError(redisKey, 'malformed timestamp field ts');
  const expiresAt = millis(fields[4]);
  if (expiresAt === undefined) throw new ForeignEntryError(redisKey, 'malformed time field exp');
  if (millis(fields[5]) === undefined || millis(fields[7]) === undefined)
    throw new ForeignEntryError(redisKey, 'malformed time fields at/ret');
  if (!fields[6]) throw new ForeignEntryError(redisKey, 'no writer field by');
  const stored = fields[3];
  if (!stored) throw new ForeignEntryError(redisKey, 'no value field v');
  if (kind === KIND_BYTES.t) return { key, kind: 'tombstone', timestamp, expiresAt, isFresh: false };
  if (kind === KIND_BYTES.m) return { key, kind: 'missing', timestamp, expiresAt, isFresh: expiresAt > Date.now() };
  let value: T;
  try {
    value = codec.decode(stored);
  } catch (err) {
    throw Object.assign(new ForeignEntryError(redisKey, `value does not decode with codec ${codec.name}`), {
      cause: err,
    });
  }
  return { key, kind: 'value', value, timestamp, expiresAt, isFresh: expiresAt > Date.now() };
}

// The stored timestamp, if it is canonical (0, or 1–19 digits without a leading zero). Up to 15
// digits it is exact as a double, which converts to bigint faster than a string does.
function canonicalTimestampOf(field: Buffer | null | undefined): bigint | undefined {
  if (!field || field.length === 0 || field.length > 19 || (field[0] === 0x30 && field.length > 1)) return undefined;
  if (field.length <= 15) {
    const n = millis(field);
    return n === undefined ? undefined : BigInt(n);
  }
  for (let i = 0; i < field.length; i++) if (field[i]! < 0x30 || field[i]! > 0x39) return undefined;
  const ts = BigInt(field.toString('latin1'));
  return ts > MAX_TIMESTAMP ? undefined : ts; // above 2^63−1 is not a timestamp we write
}

// Parses 1–15 ASCII digits straight from the bytes (no string, no regex: this runs four times per hit).
export function millis(field: Buffer | null | undefined): number | undefined {
  if (!field || field.length === 0 || field.length > 15) return undefined;
  let n = 0;
  for (let i = 0; i < field.length; i++) {
    const digit = field[i]! - 0x30;
    if (digit < 0 || digit > 9) return undefined;
    n = n * 10 + digit;
  }
  return n;
}
