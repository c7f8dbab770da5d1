import { InvalidOptionsError } from '../errors.js';

const NAMESPACE = /^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,127}$/;

/**
 * Throws {@link InvalidOptionsError} unless `namespace` is 1–128 characters of `[A-Za-z0-9_.-]`
 * not starting with '.'. A namespace appears verbatim in Redis keys and znode paths, so it is
 * kept to characters that need no escaping in either.
 */
export function assertValidNamespace(namespace: unknown, argName = 'namespace'): asserts namespace is string {
  if (typeof namespace !== 'string' || !NAMESPACE.test(namespace)) {
    throw new InvalidOptionsError(
      `${argName} must be 1-128 characters of [A-Za-z0-9_.-] not starting with '.', got ${JSON.stringify(namespace)}`,
    );
  }
}

/**
 * The one owner of where a namespace lives on each server. ZooKeeper: `/zkoc/<ns>` holds the lock
 * root `/zkoc/<ns>/locks`. Redis: every key of the namespace starts with `zkoc:<ns>:`, entries with
 * `zkoc:<ns>:e:`. Each function throws {@link InvalidOptionsError} for an invalid namespace.
 */

/** The namespace's own znode, `/zkoc/<ns>` (parent of the lock root). */
export function namespaceZnode(namespace: string): string {
  assertValidNamespace(namespace);
  return `/zkoc/${namespace}`;
}

/** The parent of every per-key lock znode of the namespace, `/zkoc/<ns>/locks`. */
export function namespaceLockRoot(namespace: string): string {
  return `${namespaceZnode(namespace)}/locks`;
}

/** The prefix of every Redis key of the namespace, `zkoc:<ns>:`. */
export function namespaceRedisPrefix(namespace: string): string {
  assertValidNamespace(namespace);
  return `zkoc:${namespace}:`;
}

/** The prefix of the namespace's entry keys, `zkoc:<ns>:e:` (no glob escaping needed: see above). */
export function namespaceEntryPrefix(namespace: string): string {
  return `${namespaceRedisPrefix(namespace)}e:`;
}

/** The namespace's Redis epoch key, `zkoc:<ns>:epoch` (on a Cluster, one per slot: `zkoc:<ns>:epoch:{tag}`). */
export function namespaceEpochKey(namespace: string): string {
  return `${namespaceRedisPrefix(namespace)}epoch`;
}
