import { hostname } from 'node:os';
import type { Codec } from '../codec/codec.js';
import { jsonCodec } from '../codec/json-codec.js';
import { assertValidNamespace } from '../core/namespace.js';
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
   * @default 86_400_000 (24 hours)
   */
  retentionMs?: number;
  /** Stored in each entry's `by` field, for inspection. At most 256 UTF-8 bytes. @default `<hostname>:<pid>` */
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

/** Defaults of {@link OrderedStoreOptions}. */
export const ORDERED_STORE_DEFAULTS = Object.freeze({
  ttlMs: 3_600_000,
  retentionMs: 86_400_000,
  maxValueBytes: 1_048_576,
});

// Keeps now + ttlMs + retentionMs an exact integer in Lua's doubles and printable with %.0f: 100 years.
const MAX_DURATION_MS = 100 * 365 * 24 * 3_600_000;
/** Largest value Redis accepts for a bulk string (512 MiB). */
const MAX_BULK_BYTES = 512 * 1024 * 1024;
const MAX_WRITER_LABEL_BYTES = 256;
// In u-mode a lone surrogate matches \p{Cs}; a proper pair is one code point and does not.
const LONE_SURROGATE = /\p{Cs}/u;

/** Applies defaults and validates; throws {@link InvalidOptionsError} naming the option and its limit. */
export function parseOrderedStoreOptions<T>(options: OrderedStoreOptions<T>): ResolvedOrderedStoreOptions<T> {
  if (options === null || typeof options !== 'object')
    throw new InvalidOptionsError('options must be an object with at least { namespace }');
  assertValidNamespace(options.namespace, 'options.namespace');
  const ttlMs = options.ttlMs ?? ORDERED_STORE_DEFAULTS.ttlMs;
  const retentionMs = options.retentionMs ?? ORDERED_STORE_DEFAULTS.retentionMs;
  assertDurationMs(ttlMs, 'options.ttlMs');
  assertDurationMs(retentionMs, 'options.retentionMs');
  const writerLabel = options.writerLabel ?? `${hostname()}:${process.pid}`;
  assertWriterLabel(writerLabel, 'options.writerLabel');
  const codec = options.codec ?? (jsonCodec as Codec<T>);
  if (
    typeof codec !== 'object' ||
    codec === null ||
    typeof codec.encode !== 'function' ||
    typeof codec.decode !== 'function'
  ) {
    throw new InvalidOptionsError('options.codec must be an object with encode(value) and decode(bytes) functions');
  }
  const maxValueBytes = options.maxValueBytes ?? ORDERED_STORE_DEFAULTS.maxValueBytes;
  if (!Number.isSafeInteger(maxValueBytes) || maxValueBytes < 1 || maxValueBytes > MAX_BULK_BYTES) {
    throw new InvalidOptionsError(
      `options.maxValueBytes must be an integer from 1 to ${MAX_BULK_BYTES} (Redis' bulk string limit), got ${String(maxValueBytes)}`,
    );
  }
  return Object.freeze({ namespace: options.namespace, ttlMs, retentionMs, writerLabel, codec, maxValueBytes });
}

/** Throws {@link InvalidOptionsError} unless `value` is an integer number of ms from 1 to 100 years. */
export function assertDurationMs(value: unknown, name: string): asserts value is number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > MAX_DURATION_MS) {
    throw new InvalidOptionsError(
      `${name} must be an integer number of milliseconds from 1 to ${MAX_DURATION_MS} (100 years), got ${String(value)}`,
    );
  }
}

function assertWriterLabel(value: unknown, name: string): asserts value is string {
  if (typeof value !== 'string' || LONE_SURROGATE.test(value) || Buffer.byteLength(value) > MAX_WRITER_LABEL_BYTES) {
    throw new InvalidOptionsError(
      `${name} must be a well-formed string of at most ${MAX_WRITER_LABEL_BYTES} UTF-8 bytes`,
    );
  }
}
