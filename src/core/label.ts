import { hostname } from 'node:os';
import { InvalidOptionsError } from '../errors.js';
import { describeValue } from './option-checks.js';

/** Longest label, in UTF-8 bytes: it is stored in every lock znode and every written entry. */
export const MAX_LABEL_BYTES = 256;

// In u-mode a lone surrogate matches \p{Cs}; a proper pair is one code point and does not.
const LONE_SURROGATE = /\p{Cs}/u;

/** The label of this process when none is given: `<hostname>:<pid>`. */
export function defaultLabel(): string {
  return `${hostname()}:${process.pid}`;
}

/**
 * `value` when it is a well-formed string of 1 to {@link MAX_LABEL_BYTES} UTF-8 bytes. Bytes, not
 * characters: `'é'.repeat(200)` is 200 characters but 400 bytes.
 * @throws InvalidOptionsError naming `name`.
 */
export function checkLabel(value: unknown, name: string): string {
  if (
    typeof value !== 'string' ||
    value.length === 0 ||
    LONE_SURROGATE.test(value) ||
    Buffer.byteLength(value) > MAX_LABEL_BYTES
  ) {
    const size = typeof value === 'string' ? ` (${Buffer.byteLength(value)} bytes)` : '';
    throw new InvalidOptionsError(
      `${name} must be a well-formed string of 1 to ${MAX_LABEL_BYTES} UTF-8 bytes, got ${describeValue(value)}${size}`,
    );
  }
  return value;
}
