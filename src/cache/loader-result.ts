import { canonicalTimestamp, type TimestampInput } from '../core/timestamp.js';
import { InvalidTimestampError, MalformedLoaderResultError, ZkocError } from '../errors.js';

/**
 * What a loader returns:
 * - `{ value, timestamp }`: the row's value and its version, read in ONE statement;
 * - `{ missing: true, timestamp }`: no such row, as of `timestamp` (cached like a value: negative caching);
 * - `undefined`: no such row and no version to order it by — nothing is cached.
 */
export type LoaderResult<T> =
  | { value: T; timestamp: TimestampInput }
  | { missing: true; timestamp: TimestampInput }
  | undefined;

/**
 * A loader: called at most once per cold key per process, while the key's lock is held. `signal`
 * aborts (with LockLostError) if that lock is lost meanwhile; a loader may stop early then, but need
 * not: its write is still fenced by its timestamp.
 */
export type Loader<T> = (context: { key: string; signal: AbortSignal }) => Promise<LoaderResult<T>> | LoaderResult<T>;

export type CheckedLoaderResult<T> =
  | { kind: 'value'; value: T; timestamp: string }
  | { kind: 'missing'; timestamp: string }
  | { kind: 'none' };

/**
 * Validates a loader's result; throws {@link MalformedLoaderResultError} naming what is wrong,
 * also when reading the result throws (a getter or a Proxy trap), with that error as `cause`.
 */
export function checkLoaderResult<T>(key: string, result: unknown): CheckedLoaderResult<T> {
  try {
    return checkShape<T>(key, result);
  } catch (error) {
    if (error instanceof ZkocError) throw error;
    throw new MalformedLoaderResultError(
      key,
      `loader for key ${JSON.stringify(key)} returned a result that throws when read`,
      {
        cause: error,
      },
    );
  }
}

function checkShape<T>(key: string, result: unknown): CheckedLoaderResult<T> {
  if (result === undefined || result === null) return { kind: 'none' };
  if (typeof result !== 'object' || Array.isArray(result)) {
    throw new MalformedLoaderResultError(
      key,
      `loader for key ${JSON.stringify(key)} must return { value, timestamp }, { missing: true, timestamp } or undefined; got ${Array.isArray(result) ? 'an array' : typeof result}`,
    );
  }
  const record = result as Record<string, unknown>;
  if (!('timestamp' in record)) {
    throw new MalformedLoaderResultError(
      key,
      `loader for key ${JSON.stringify(key)} returned an object without "timestamp" (keys: ${Object.keys(record).join(', ') || 'none'})`,
    );
  }
  let timestamp: string;
  try {
    timestamp = canonicalTimestamp(record.timestamp, 'loader result timestamp');
  } catch (error) {
    if (error instanceof InvalidTimestampError) {
      throw new MalformedLoaderResultError(key, `loader for key ${JSON.stringify(key)}: ${error.message}`, {
        cause: error,
      });
    }
    throw error;
  }
  if (record.missing === true) {
    if ('value' in record && record.value !== undefined) {
      throw new MalformedLoaderResultError(
        key,
        `loader for key ${JSON.stringify(key)} returned both "missing: true" and a value`,
      );
    }
    return { kind: 'missing', timestamp };
  }
  if (!('value' in record) || record.value === undefined) {
    throw new MalformedLoaderResultError(
      key,
      `loader for key ${JSON.stringify(key)} returned a timestamp but no "value" (use { missing: true, timestamp } for an absent row)`,
    );
  }
  return { kind: 'value', value: record.value as T, timestamp };
}
