import { versionCounterKey, versionedDataKey } from '../protocol.js';
import type { Remedy } from './remedy.js';

/**
 * Versioned cache keys, the most recommended fix, in its usual published form (e.g. leetdezine.com
 * "Cache Versioning": write the DB, write `user:123:profile:v2`, point `current-version` at v2;
 * read the pointer, then the versioned key): a per-entity version counter in Redis; readers GET
 * the counter, then `product:123:v<n>`, and on a miss load the row and SET it under that key; a
 * write commits, then INCRs the counter (the atomic way to pick the next version, so two writers
 * never share one) and, when it writes through, SETs the new value under the new version. Old
 * versioned keys are never deleted: they expire (TTL).
 */
export const versionedKeys: Remedy = {
  async read(env, { command, fetch, pauseAt }) {
    const version = (await env.redis.get(versionCounterKey(env.namespace, command.key))) ?? '0';
    const dataKey = versionedDataKey(env.namespace, command.key, version);
    const hit = await env.redis.get(dataKey);
    if (hit !== null) return { loaded: false, value: hit };
    await pauseAt('missed');
    const row = await fetch();
    await pauseAt('loaded');
    await env.redis.set(dataKey, row.value, 'PX', env.ttlMs);
    return { loaded: true, value: row.value };
  },
  async write(env, { command, pauseAt }) {
    const version = await env.commit(command.rowId, command.price);
    await pauseAt('committed');
    // The counter's order is the order the INCRs arrive, not the order the commits happened.
    const next = await env.redis.incr(versionCounterKey(env.namespace, command.key));
    if (command.mode === 'write-through')
      await env.redis.set(versionedDataKey(env.namespace, command.key, String(next)), command.price, 'PX', env.ttlMs);
    return { version };
  },
};
