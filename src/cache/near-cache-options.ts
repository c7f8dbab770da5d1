import { describeValue, optionNamer, rejectUnknownKeys, wholeNumber } from '../core/option-checks.js';
import { InvalidOptionsError } from '../errors.js';
import type { NearCacheLimits } from './near-cache.js';

/** `nearCache` as an object: the near cache on, with these bounds. */
export interface NearCacheOptions {
  /** Entries kept in process, least recently used dropped first. @default 10_000 */
  maxEntries?: number;
  /** Bytes kept in process (value bytes plus about 200 per entry). @default 67_108_864 (64 MiB) */
  maxBytes?: number;
}

export const NEAR_CACHE_DEFAULTS: Readonly<NearCacheLimits> = Object.freeze({
  maxEntries: 10_000,
  maxBytes: 64 * 1024 * 1024,
});

/**
 * Resolves `nearCache`: `false` turns it off, `undefined`/`true` is on with the defaults, an object
 * is on with its bounds. `undefined` result: off.
 * @throws InvalidOptionsError for anything else (unknown keys with a suggestion, bounds named).
 */
export function parseNearCacheOption(value: unknown): NearCacheLimits | undefined {
  if (value === false) return undefined;
  if (value === undefined || value === true) return { ...NEAR_CACHE_DEFAULTS };
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new InvalidOptionsError(
      `nearCache must be false, true or { maxEntries, maxBytes }, got ${describeValue(value)}`,
    );
  rejectUnknownKeys(value, ['maxEntries', 'maxBytes'], optionNamer('nearCache.'));
  const { maxEntries, maxBytes } = value as NearCacheOptions;
  return {
    maxEntries: wholeNumber(
      maxEntries,
      'nearCache.maxEntries',
      { min: 1, max: 100_000_000, unit: 'entries' },
      NEAR_CACHE_DEFAULTS.maxEntries,
    ),
    maxBytes: wholeNumber(
      maxBytes,
      'nearCache.maxBytes',
      { min: 1, max: Number.MAX_SAFE_INTEGER, unit: 'bytes' },
      NEAR_CACHE_DEFAULTS.maxBytes,
    ),
  };
}
