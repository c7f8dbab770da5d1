import { randomBytes } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import { namespaceEpochKey } from '../core/namespace.js';
import { ForeignEntryError, InvalidOptionsError } from '../errors.js';
import { clusterSlot, hashTagForSlot } from './cluster-slot.js';
import { asRedisFailure, redisSecretsOf } from './transport-failure.js';

/**
 * The epoch fence (docs/design.md "The epoch fence"): a random token in Redis that a Redis which
 * lost its data (restart without persistence, FLUSHALL) no longer holds. A fill carries the token
 * it read before loading; the compare script refuses it when the stored token differs or is gone.
 */

/** 32 lowercase hex digits: what {@link newEpochToken} makes and the script accepts. */
const EPOCH_TOKEN = /^[0-9a-f]{32}$/;

export function newEpochToken(): string {
  return randomBytes(16).toString('hex');
}

/** True for a token as {@link newEpochToken} makes it (anything else in Redis is foreign). */
export function isEpochToken(value: unknown): value is string {
  return typeof value === 'string' && EPOCH_TOKEN.test(value);
}

/** Throws {@link InvalidOptionsError} unless `token` is an epoch token (from `cache.epoch(key)`). */
export function assertEpochToken(token: unknown, name: string): asserts token is string {
  if (!isEpochToken(token))
    throw new InvalidOptionsError(`${name} must be an epoch token from cache.epoch(key) (32 hex digits)`);
}

/**
 * Where the epoch of an entry lives. One key per namespace on a single Redis; on a Cluster one per
 * slot, `zkoc:<ns>:epoch:{tag}` with a tag hashing to the entry's slot, because a script may only
 * touch keys of one slot and a restarted shard forgets only its own slots.
 */
export function epochKeyFor(namespace: string, cluster: boolean): (entryRedisKey: string) => string {
  const base = namespaceEpochKey(namespace);
  if (!cluster) return () => base;
  return (entryRedisKey) => `${base}:{${hashTagForSlot(clusterSlot(entryRedisKey))}}`;
}

/**
 * The token `epochKey` holds, created (SET NX, by whoever finds it missing first) when Redis has
 * none: one GET, plus one SET NX GET after a loss of data or on first use. Throws
 * ForeignEntryError when the key holds anything but a token, ConnectionError as other reads.
 */
export function readEpoch(client: Redis | Cluster, epochKey: string): Promise<string> {
  const failed = (command: string) => (error: unknown) => {
    if (error instanceof Error && error.message.startsWith('WRONGTYPE'))
      throw new ForeignEntryError(epochKey, 'not a string');
    throw asRedisFailure(error, `${command} ${epochKey}`, redisSecretsOf(client));
  };
  return client.get(epochKey).then((stored) => {
    if (stored !== null) return checked(epochKey, stored);
    const token = newEpochToken();
    return (client.call('SET', epochKey, token, 'NX', 'GET') as Promise<string | null>).then(
      (raced) => (raced === null ? token : checked(epochKey, raced)),
      failed('SET NX GET'),
    );
  }, failed('GET'));
}

function checked(epochKey: string, stored: string): string {
  if (!isEpochToken(stored)) throw new ForeignEntryError(epochKey, 'not an epoch token');
  return stored;
}
