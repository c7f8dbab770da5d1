import { plainRedisKey } from '../protocol.js';
import type { RemedyEnv, WriteSteps } from './remedy.js';

/**
 * The writer every cache-aside article pairs with its read path: commit the row, then delete the
 * key (or, where the scenario writes through, SET the new value). No lock, no version.
 */
export async function cacheAsideWrite(env: RemedyEnv, { command, pauseAt }: WriteSteps): Promise<{ version: bigint }> {
  const key = plainRedisKey(env.namespace, command.strategy, command.key);
  const version = await env.commit(command.rowId, command.price);
  await pauseAt('committed');
  if (command.mode === 'invalidate') await env.redis.del(key);
  else await env.redis.set(key, command.price, 'PX', env.ttlMs);
  return { version };
}
