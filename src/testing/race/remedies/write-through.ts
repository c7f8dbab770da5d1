import { plainRedisKey } from '../protocol.js';
import type { Remedy } from './remedy.js';

/**
 * Write-through as it is usually described: the cache is authoritative, so a write goes to the
 * cache first and then to the database, synchronously, in the same request; it never invalidates.
 * Reads are read-through: GET, and on a miss load the row and SET it.
 */
export const writeThrough: Remedy = {
  async read(env, { command, fetch, pauseAt }) {
    const key = plainRedisKey(env.namespace, command.strategy, command.key);
    const hit = await env.redis.get(key);
    if (hit !== null) return { loaded: false, value: hit };
    await pauseAt('missed');
    const row = await fetch();
    await pauseAt('loaded');
    await env.redis.set(key, row.value, 'PX', env.ttlMs);
    return { loaded: true, value: row.value };
  },
  async write(env, { command, pauseAt }) {
    const key = plainRedisKey(env.namespace, command.strategy, command.key);
    await env.redis.set(key, command.price, 'PX', env.ttlMs);
    await pauseAt('cached');
    return { version: await env.commit(command.rowId, command.price) };
  },
};
