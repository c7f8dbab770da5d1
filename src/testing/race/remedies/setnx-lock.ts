import { plainRedisKey } from '../protocol.js';
import { cacheAsideWrite } from './cache-aside-write.js';
import { type ReadResult, type ReadSteps, type Remedy, type RemedyEnv, sleep } from './remedy.js';

/** How long a caller that lost the lock waits before it re-reads the cache ("wait briefly"). */
const WAIT_MS = 50;

/**
 * The usual stampede fix, as the articles write it (e.g. Script Valley's Redis course, "Preventing
 * cache stampede with Redis locks": GET; on a miss `SET lock:key 1 NX EX 5`; a loser sleeps 50 ms
 * and calls itself again; the winner loads, SETEX, DEL lock): on a miss, `SET lock NX PX <ttl>`; the winner
 * loads the row, SETs the value and DELetes the lock; every other caller sleeps briefly and
 * re-reads the cache, trying the lock again while it is still empty (giving up and reading the
 * database once the lock's TTL has passed). Writers are plain cache-aside (commit, then DEL): the
 * lock guards the fill only. With `recheck`, the variant recommended against the stale set: after
 * taking the lock, check the cache is still empty (another caller may have filled it), load, and
 * check it is still empty again before writing.
 */
function setnxLock(recheck: boolean): Remedy {
  return {
    read: (env, steps) => read(env, steps, recheck),
    write: cacheAsideWrite,
  };
}

async function read(env: RemedyEnv, { command, fetch, pauseAt }: ReadSteps, recheck: boolean): Promise<ReadResult> {
  const key = plainRedisKey(env.namespace, command.strategy, command.key);
  const lock = `${key}:lock`;
  const attempts = Math.ceil(env.lockTtlMs / WAIT_MS) + 1;
  for (let attempt = 0; attempt < attempts; attempt += 1) {
    const hit = await env.redis.get(key);
    if (hit !== null) return { loaded: false, value: hit };
    if (attempt === 0) await pauseAt('missed');
    if ((await env.redis.set(lock, String(process.pid), 'PX', env.lockTtlMs, 'NX')) === 'OK') {
      try {
        if (recheck) {
          const filled = await env.redis.get(key);
          if (filled !== null) return { loaded: false, value: filled };
        }
        const row = await fetch();
        await pauseAt('loaded');
        if (recheck) {
          const filled = await env.redis.get(key);
          if (filled !== null) return { loaded: true, value: filled };
        }
        await env.redis.set(key, row.value, 'PX', env.ttlMs);
        return { loaded: true, value: row.value };
      } finally {
        // A plain DEL, as most articles release it (not a compare-and-delete of the token).
        await env.redis.del(lock);
      }
    }
    await sleep(WAIT_MS);
  }
  // The lock outlived its TTL's worth of waiting: read the database rather than wait forever.
  const row = await fetch();
  return { loaded: true, value: row.value };
}

export const setnxLockRemedy = setnxLock(false);
export const setnxLockRecheckRemedy = setnxLock(true);
