import type { Codec } from '../codec/codec.js';
import { jsonCodec } from '../codec/json-codec.js';
import { checkLabel, defaultLabel } from '../core/label.js';
import { assertValidNamespace } from '../core/namespace.js';
import {
  assertOptionsObject,
  describeValue,
  type OptionNamer,
  optionNamer,
  rejectUnknownKeys,
  type WholeNumberBounds,
  wholeNumber,
} from '../core/option-checks.js';
import { InvalidOptionsError } from '../errors.js';

/** Options of {@link OrderedStore}. */
export interface OrderedStoreOptions<T> {
  /** Scopes the Redis keys (`zkoc:<namespace>:e:<key>`). 1–128 characters of `[A-Za-z0-9_.-]`. Required. */
  namespace: string;
  /** How long a written value (or missing marker) stays fresh, in ms. @default 3_600_000 (1 hour) */
  ttlMs?: number;
  /**
   * How long an entry's timestamp is remembered after it stops being fresh, in ms: the physical
   * TTL of a value is `ttlMs + retentionMs`, of a tombstone `retentionMs`. A writer slower than
   * this can put an older value back, so make it longer than any loader can take.
   * @default 600_000 (10 minutes; `OrderedCache` raises it to cover its lock and session timeouts)
   */
  retentionMs?: number;
  /** Stored in each entry's `by` field, for inspection. 1 to 256 UTF-8 bytes. @default `<hostname>:<pid>` */
  writerLabel?: string;
  /** Encodes values. @default jsonCodec */
  codec?: Codec<T>;
  /** Largest encoded value accepted, in bytes. @default 1_048_576 (1 MiB) */
  maxValueBytes?: number;
}

/** The options after defaults and validation. */
export interface ResolvedOrderedStoreOptions<T> {
  readonly namespace: string;
  readonly ttlMs: number;
  readonly retentionMs: number;
  readonly writerLabel: string;
  readonly codec: Codec<T>;
  readonly maxValueBytes: number;
}

/** Defaults of {@link OrderedStoreOptions}: the one owner of these values (the cache's too). */
export const ORDERED_STORE_DEFAULTS = Object.freeze({
  ttlMs: 3_600_000,
  retentionMs: 600_000,
  maxValueBytes: 1_048_576,
});

// Keeps now + ttlMs + retentionMs an exact integer in Lua's doubles and printable with %.0f: 100 years.
const DURATION: WholeNumberBounds = { min: 1, max: 100 * 365 * 24 * 3_600_000, unit: 'ms', maxNote: '100 years' };
// The largest bulk string Redis accepts (512 MiB).
const VALUE_BYTES: WholeNumberBounds = {
  min: 1,
  max: 512 * 1024 * 1024,
  unit: 'bytes',
  maxNote: "Redis' bulk string limit",
};

const KNOWN_KEYS: readonly (keyof OrderedStoreOptions<unknown>)[] = [
  'namespace',
  'ttlMs',
  'retentionMs',
  'writerLabel',
  'codec',
  'maxValueBytes',
];

/**
 * Applies defaults and validates. Called by the OrderedStore constructor, and by the cache before
 * it opens anything; `name` maps each key to the name its caller wrote (the cache's `label` is the
 * store's `writerLabel`).
 * @throws InvalidOptionsError naming the option, its limit and the value's type.
 */
export function parseOrderedStoreOptions<T>(
  options: OrderedStoreOptions<T>,
  name: OptionNamer = optionNamer('options.'),
): ResolvedOrderedStoreOptions<T> {
  assertOptionsObject(options, 'options (at least { namespace })');
  rejectUnknownKeys(options, KNOWN_KEYS, name);
  assertValidNamespace(options.namespace, name('namespace'));
  const ttlMs = wholeNumber(options.ttlMs, name('ttlMs'), DURATION, ORDERED_STORE_DEFAULTS.ttlMs);
  const retentionMs = wholeNumber(
    options.retentionMs,
    name('retentionMs'),
    DURATION,
    ORDERED_STORE_DEFAULTS.retentionMs,
  );
  const writerLabel = checkLabel(options.writerLabel ?? defaultLabel(), name('writerLabel'));
  const codec = options.codec ?? (jsonCodec as Codec<T>);
  if (
    typeof codec !== 'object' ||
    codec === null ||
    typeof codec.encode !== 'function' ||
    typeof codec.decode !== 'function'
  ) {
    throw new InvalidOptionsError(
      `${name('codec')} must be an object with encode(value) and decode(bytes) functions, got ${describeValue(codec)}`,
    );
  }
  const maxValueBytes = wholeNumber(
    options.maxValueBytes,
    name('maxValueBytes'),
    VALUE_BYTES,
    ORDERED_STORE_DEFAULTS.maxValueBytes,
  );
  return Object.freeze({ namespace: options.namespace, ttlMs, retentionMs, writerLabel, codec, maxValueBytes });
}

/** Throws {@link InvalidOptionsError} unless `value` is a whole number of ms from 1 to 100 years. */
export function assertDurationMs(value: unknown, name: string): asserts value is number {
  wholeNumber(value, name, DURATION);
}
