import { describe, expect, it } from 'vitest';
import {
  namespaceEntryPrefix,
  namespaceLockRoot,
  namespaceRedisPrefix,
  namespaceZnode,
} from '../../src/core/namespace.js';
import { InvalidOptionsError } from '../../src/errors.js';
import { entryRedisKey } from '../../src/redis/entry-key.js';

describe('namespace: where a namespace lives on each server', () => {
  it('names the lock root under the namespace znode and the entry keys under the Redis prefix', () => {
    expect(namespaceZnode('products')).toBe('/zkoc/products');
    expect(namespaceLockRoot('products')).toBe('/zkoc/products/locks');
    expect(namespaceRedisPrefix('products')).toBe('zkoc:products:');
    expect(namespaceEntryPrefix('products')).toBe('zkoc:products:e:');
    expect(entryRedisKey('products', 'p:1')).toBe('zkoc:products:e:p:1');
  });

  it.each(['', '.hidden', 'a/b', 'a:b', 'x'.repeat(129)])(
    'refuses namespace %j everywhere with InvalidOptionsError',
    (namespace) => {
      for (const name of [namespaceZnode, namespaceLockRoot, namespaceRedisPrefix, namespaceEntryPrefix]) {
        expect(() => name(namespace)).toThrow(InvalidOptionsError);
      }
    },
  );
});
