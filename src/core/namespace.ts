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
