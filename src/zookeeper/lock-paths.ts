import { encodeKeyAsZnodeName } from '../core/key.js';
import { InvalidOptionsError } from '../errors.js';

/**
 * Throws {@link InvalidOptionsError} unless `root` is an absolute znode path: `/a/b`, no empty,
 * `.` or `..` segments, no trailing slash, not under `/zookeeper`.
 */
export function assertValidLockRoot(root: unknown): asserts root is string {
  const ok =
    typeof root === 'string' &&
    /^(\/[^/\u0000]+)+$/.test(root) &&
    !root.split('/').some((segment) => segment === '.' || segment === '..') &&
    root !== '/zookeeper' &&
    !root.startsWith('/zookeeper/');
  if (!ok) {
    throw new InvalidOptionsError(
      `root must be an absolute znode path like "/zkoc/products/locks" (no trailing "/", no "." or ".." segments, not under /zookeeper), got ${JSON.stringify(root)}`,
    );
  }
}

/** The per-key parent znode: `<root>/<encoded key>`. Throws InvalidKeyError for an invalid key. */
export function keyParentPath(root: string, key: string): string {
  return `${root}/${encodeKeyAsZnodeName(key)}`;
}
