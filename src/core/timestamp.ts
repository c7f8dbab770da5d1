import { InvalidTimestampError } from '../errors.js';

/** The largest timestamp: PostgreSQL `bigint`'s maximum, 2^63−1. */
export const MAX_TIMESTAMP = 9223372036854775807n;
const MAX_TIMESTAMP_TEXT = MAX_TIMESTAMP.toString();

/** What callers may pass as a timestamp: a `bigint`, a safe-integer `number`, or a decimal string. */
export type TimestampInput = bigint | number | string;

/**
 * Validates a timestamp and returns its canonical decimal text (no sign, no leading zeros):
 * the form stored in Redis and compared by the Lua script (length first, then lexically).
 * Throws {@link InvalidTimestampError} for negative, fractional, NaN, unsafe numbers,
 * non-digit strings and anything above 2^63−1.
 */
export function canonicalTimestamp(input: unknown, argName = 'timestamp'): string {
  let text: string;
  if (typeof input === 'bigint') {
    if (input < 0n) throw new InvalidTimestampError(`${argName} must not be negative, got ${input}n`);
    text = input.toString();
  } else if (typeof input === 'number') {
    if (Number.isNaN(input)) throw new InvalidTimestampError(`${argName} is NaN`);
    if (!Number.isInteger(input)) throw new InvalidTimestampError(`${argName} must be an integer, got ${input}`);
    if (input < 0) throw new InvalidTimestampError(`${argName} must not be negative, got ${input}`);
    if (!Number.isSafeInteger(input)) {
      throw new InvalidTimestampError(
        `${argName} ${input} is above Number.MAX_SAFE_INTEGER (2^53-1) and may already have lost precision; pass a bigint or a decimal string`,
      );
    }
    text = String(input);
  } else if (typeof input === 'string') {
    if (!/^[0-9]+$/.test(input)) {
      throw new InvalidTimestampError(
        `${argName} string must be decimal digits only, got ${JSON.stringify(input.slice(0, 40))}`,
      );
    }
    text = input.replace(/^0+(?=.)/, '');
  } else {
    throw new InvalidTimestampError(
      `${argName} must be a bigint, a safe-integer number or a decimal string, got ${input === null ? 'null' : typeof input}`,
    );
  }
  if (compareTimestampText(text, MAX_TIMESTAMP_TEXT) > 0) {
    throw new InvalidTimestampError(`${argName} ${text} is above the maximum 2^63-1 (${MAX_TIMESTAMP_TEXT})`);
  }
  return text;
}

/** Validates like {@link canonicalTimestamp} and returns a `bigint`. */
export function parseTimestamp(input: unknown, argName = 'timestamp'): bigint {
  return BigInt(canonicalTimestamp(input, argName));
}

/** Compares two canonical decimal strings exactly (the same rule the Lua script uses). */
export function compareTimestampText(a: string, b: string): -1 | 0 | 1 {
  if (a.length !== b.length) return a.length < b.length ? -1 : 1;
  return a === b ? 0 : a < b ? -1 : 1;
}
