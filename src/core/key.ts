import { InvalidKeyError } from '../errors.js';
import { decodeUtf8Exact } from './utf8.js';

/** Longest key accepted, in UTF-8 bytes. */
export const MAX_KEY_BYTES = 1024;

/**
 * Throws {@link InvalidKeyError} unless `key` is a non-empty, well-formed string of at most
 * {@link MAX_KEY_BYTES} UTF-8 bytes. Any character is allowed otherwise (`/`, `..`, spaces, Unicode).
 */
export function assertValidKey(key: unknown, argName = 'key'): asserts key is string {
  if (typeof key !== 'string') {
    throw new InvalidKeyError(`${argName} must be a string, got ${describe(key)}`);
  }
  if (key.length === 0) {
    throw new InvalidKeyError(`${argName} must not be empty`);
  }
  if (!key.isWellFormed()) {
    throw new InvalidKeyError(`${argName} contains a lone UTF-16 surrogate and cannot be encoded as UTF-8`);
  }
  const bytes = Buffer.byteLength(key, 'utf8');
  if (bytes > MAX_KEY_BYTES) {
    throw new InvalidKeyError(`${argName} is ${bytes} UTF-8 bytes; the limit is ${MAX_KEY_BYTES}`);
  }
}

// Bytes kept as they are in a znode name; everything else (including '.', '/', '%') is %XX.
// '.' is always escaped so that no encoded name can be "." or "..", which ZooKeeper rejects.
const PLAIN_BYTE = /^[A-Za-z0-9_:@=,+-]$/;

/**
 * Encodes a valid key as a single znode name: UTF-8 bytes, percent-encoding every byte outside
 * `[A-Za-z0-9_:@=,+-]` with upper-case hex. The mapping is canonical, so it is reversible both
 * ways: `decodeKeyFromZnodeName(encodeKeyAsZnodeName(k)) === k`.
 */
export function encodeKeyAsZnodeName(key: string): string {
  assertValidKey(key);
  let out = '';
  for (const byte of Buffer.from(key, 'utf8')) {
    const ch = String.fromCharCode(byte);
    out += byte < 0x80 && PLAIN_BYTE.test(ch) ? ch : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** Inverse of {@link encodeKeyAsZnodeName}; throws {@link InvalidKeyError} on a name it did not produce. */
export function decodeKeyFromZnodeName(name: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < name.length; i++) {
    const ch = name[i]!;
    if (ch === '%') {
      const hex = name.slice(i + 1, i + 3);
      if (!/^[0-9A-F]{2}$/.test(hex))
        throw new InvalidKeyError(`znode name ${JSON.stringify(name)} has a bad escape at ${i}`);
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else if (PLAIN_BYTE.test(ch)) {
      bytes.push(ch.charCodeAt(0));
    } else {
      throw new InvalidKeyError(
        `znode name ${JSON.stringify(name)} is not an encoded key (unescaped ${JSON.stringify(ch)})`,
      );
    }
  }
  let key: string;
  try {
    key = decodeUtf8Exact(Uint8Array.from(bytes));
  } catch {
    throw new InvalidKeyError(`znode name ${JSON.stringify(name)} does not decode to UTF-8`);
  }
  if (encodeKeyAsZnodeName(key) !== name)
    throw new InvalidKeyError(`znode name ${JSON.stringify(name)} is not canonically encoded`);
  return key;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value;
}
