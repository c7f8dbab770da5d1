import { assertValidKey } from '../core/key.js';
import { namespaceEntryPrefix } from '../core/namespace.js';
import { decodeUtf8Exact } from '../core/utf8.js';

/**
 * The Redis key prefix for every entry of a namespace: `zkoc:<namespace>:e:`.
 * Namespaces are restricted to `[A-Za-z0-9_.-]`, so the prefix needs no glob escaping.
 */
export function entryKeyPrefix(namespace: string): string {
  return namespaceEntryPrefix(namespace);
}

/**
 * The Redis key holding the entry for `key`: `zkoc:<namespace>:e:<key>`, the key's UTF-8 bytes
 * verbatim. One Redis key per entry, so the compare script touches one Redis Cluster slot
 * (a `{…}` inside the key acts as a hash tag, as Redis Cluster defines).
 * Throws InvalidOptionsError (namespace) or InvalidKeyError (key).
 */
export function entryRedisKey(namespace: string, key: string): string {
  const prefix = entryKeyPrefix(namespace);
  assertValidKey(key);
  return prefix + key;
}

/**
 * Inverse of {@link entryRedisKey} for SCAN results: the cache key, or `undefined` when
 * `redisKey` is not an entry key of `namespace` (other prefix, not UTF-8, not a valid key).
 */
export function keyFromEntryRedisKey(namespace: string, redisKey: string | Buffer): string | undefined {
  const prefix = Buffer.from(entryKeyPrefix(namespace), 'utf8');
  const bytes = typeof redisKey === 'string' ? Buffer.from(redisKey, 'utf8') : redisKey;
  if (bytes.length <= prefix.length || !bytes.subarray(0, prefix.length).equals(prefix)) return undefined;
  let key: string;
  try {
    key = decodeUtf8Exact(bytes.subarray(prefix.length));
  } catch {
    return undefined;
  }
  try {
    assertValidKey(key);
  } catch {
    return undefined;
  }
  return key;
}

/** A SCAN `MATCH` pattern for the namespace's entries whose key starts with `keyPrefix` (glob characters escaped). */
export function entryScanPattern(namespace: string, keyPrefix = ''): string {
  return `${entryKeyPrefix(namespace) + keyPrefix.replace(/[*?[\]\\]/g, '\\$&')}*`;
}
