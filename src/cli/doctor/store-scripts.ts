import { createHash } from 'node:crypto';
import { COMPARE_WRITE_LUA } from '../../redis/index.js';
import type { ScriptToCheck } from './redis-checks.js';

/**
 * The store's Lua scripts whose SHA1 `doctor` looks up with SCRIPT EXISTS: the same SHA ioredis
 * sends with EVALSHA (it hashes the script text as given).
 */
export function storeScripts(): ScriptToCheck[] {
  return [{ name: 'compare-write', sha: createHash('sha1').update(COMPARE_WRITE_LUA).digest('hex') }];
}
