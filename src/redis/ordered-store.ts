import type { Cluster, Redis } from 'ioredis';
import { assertValidKey } from '../core/key.js';
import { canonicalTimestamp, type TimestampInput } from '../core/timestamp.js';
import { ForeignEntryError, InvalidOptionsError } from '../errors.js';
import {
  type CompareWriteArgs,
  type CompareWriteReply,
  compareWriteCommand,
  writeResultOf,
} from './compare-write-script.js';
import { encodeValue } from './encode-value.js';
import type { Entry, ServingEntry, WriteResult } from './entry.js';
import { millis, parseServingFields, READ_FIELDS } from './entry-fields.js';
import { entryKeyPrefix, entryRedisKey, entryScanPattern, keyFromEntryRedisKey } from './entry-key.js';
import { assertEpochToken, epochKeyFor, readEpoch } from './epoch-key.js';
import {
  assertDurationMs,
  type OrderedStoreOptions,
  parseOrderedStoreOptions,
  type ResolvedOrderedStoreOptions,
} from './ordered-store-options.js';
import { asRedisFailure, redisSecretsOf } from './transport-failure.js';

/** A validated write that has not been sent yet. */
export interface PreparedWrite {
  /** The canonical decimal timestamp it will write. */
  readonly timestamp: string;
  /** Sends it (one EVALSHA). */
  run(): Promise<WriteResult>;
}

/** Per-write options of {@link OrderedStore.write} and {@link OrderedStore.writeMissing}. */
export interface WriteOptions {
  /** Freshness of this entry in ms, instead of the store's `ttlMs`. */
  ttlMs?: number;
  /** The {@link OrderedStore.epoch} token taken before reading this version: refused (`stale`, `epoch`) after a data loss. */
  epoch?: string;
}

/** What {@link OrderedStore.readForFill} returns: the entry, and the epoch to carry to the fill. */
export interface FillRead<T> {
  entry: ServingEntry<T> | undefined;
  epoch: string;
}

const SCAN_COUNT = 500;
// In u-mode a lone surrogate matches \p{Cs}; a proper pair is one code point and does not.
const LONE_SURROGATE = /\p{Cs}/u;

/**
 * Ordered reads and writes of cache entries, one Redis hash per key, every write through the
 * compare-timestamp script (docs/design.md "Ordering rules"). Never deletes: a delete would forget the
 * timestamp, so invalidation writes a tombstone.
 *
 * The caller owns the connection (`Redis` or `Cluster`) and closes it. Every input is validated
 * before any Redis command is sent, so a bad argument leaves Redis untouched. Calls do not retry;
 * Redis/connection errors from ioredis propagate as they are.
 */
export class OrderedStore<T = unknown> {
  /** The validated options, defaults applied. */
  readonly options: ResolvedOrderedStoreOptions<T>;
  readonly #client: Redis | Cluster;
  readonly #keyPrefix: string;
  readonly #compareWrite: (redisKey: string, args: CompareWriteArgs) => Promise<CompareWriteReply>;
  // The script can check a stored value only for the JSON codec; other codecs' bytes are opaque to it.
  readonly #valueCheck: string;
  readonly #epochKey: (entryRedisKey: string) => string;

  /**
   * Does not block or send anything. Throws {@link InvalidOptionsError} for bad options or a
   * client configured with `keyPrefix` (SCAN results would not round-trip).
   */
  constructor(client: Redis | Cluster, options: OrderedStoreOptions<T>) {
    this.options = parseOrderedStoreOptions(options);
    if (hasKeyPrefix(client))
      throw new InvalidOptionsError(
        'the ioredis client must not use the keyPrefix option; use options.namespace to scope keys',
      );
    this.#client = client;
    this.#keyPrefix = entryKeyPrefix(this.options.namespace);
    this.#compareWrite = compareWriteCommand(client);
    this.#valueCheck = this.options.codec.name === 'json' ? 'json' : '';
    this.#epochKey = epochKeyFor(this.options.namespace, client.isCluster);
  }

  /**
   * Writes `value` at timestamp `ts` unless an equal or newer timestamp is stored (see the
   * ordering table). One EVALSHA. Throws InvalidKeyError, InvalidTimestampError,
   * InvalidValueError (undefined, not encodable, over maxValueBytes), InvalidOptionsError
   * (ttlMs) before sending anything; ForeignEntryError when the key holds foreign data (untouched).
   */
  async write(key: string, value: T, ts: TimestampInput, options?: WriteOptions): Promise<WriteResult> {
    return this.prepareWrite(key, value, ts, options).run();
  }

  /**
   * Validates and encodes a {@link write} now, sends nothing, and returns it ready to `run()`
   * later: a caller that must take a lock first can reject bad input before creating any znode.
   * Throws exactly what {@link write} throws for bad input.
   */
  prepareWrite(key: string, value: T, ts: TimestampInput, options?: WriteOptions): PreparedWrite {
    assertValidKey(key);
    const timestamp = canonicalTimestamp(ts, 'ts');
    const ttlMs = this.#ttlOf(options);
    const epoch = this.#epochOf(key, options);
    const bytes = encodeValue(this.options.codec, this.options.maxValueBytes, value);
    return this.#prepared(key, 'v', timestamp, bytes, ttlMs, epoch);
  }

  /**
   * Negative cache: records "no such row at `ts`". Orders exactly like a value; fresh for
   * `ttlMs` like a value. Same errors as {@link write}, minus the value checks.
   */
  async writeMissing(key: string, ts: TimestampInput, options?: WriteOptions): Promise<WriteResult> {
    return this.prepareWriteMissing(key, ts, options).run();
  }

  /** Validates a {@link writeMissing} now and returns it ready to `run()` later (see {@link prepareWrite}). */
  prepareWriteMissing(key: string, ts: TimestampInput, options?: WriteOptions): PreparedWrite {
    assertValidKey(key);
    const timestamp = canonicalTimestamp(ts, 'ts');
    return this.#prepared(key, 'm', timestamp, '', this.#ttlOf(options), this.#epochOf(key, options));
  }

  /**
   * Writes a tombstone at `ts`: the entry stops being served and any write below `ts` is
   * rejected for `retentionMs`. Written if `ts` is above the stored timestamp; at an equal
   * timestamp it is `duplicate` over a tombstone and `stale` over a value (that value is the
   * committed one at `ts`). Same errors as {@link writeMissing}.
   */
  async invalidate(key: string, ts: TimestampInput): Promise<WriteResult> {
    return this.prepareInvalidate(key, ts).run();
  }

  /** Validates an {@link invalidate} now and returns it ready to `run()` later (see {@link prepareWrite}). */
  prepareInvalidate(key: string, ts: TimestampInput): PreparedWrite {
    assertValidKey(key);
    // Unfenced: a tombstone only ever blocks older writes (docs/design.md "The epoch fence").
    return this.#prepared(key, 't', canonicalTimestamp(ts, 'ts'), '', this.options.ttlMs, undefined);
  }

  #prepared(
    key: string,
    kind: CompareWriteArgs['kind'],
    timestamp: string,
    value: Buffer | string,
    ttlMs: number,
    epoch: CompareWriteArgs['epoch'],
  ): PreparedWrite {
    const { retentionMs, writerLabel: writer } = this.options;
    const args: CompareWriteArgs = {
      kind,
      timestamp,
      value,
      ttlMs,
      retentionMs,
      writer,
      valueCheck: this.#valueCheck,
      epoch,
    };
    return { timestamp, run: () => this.#write(key, args) };
  }

  /**
   * Reads the entry for `key` with exactly ONE Redis command (HMGET). Returns `undefined` when
   * nothing is stored (a hash sharing none of our field names also reads as absent; the next
   * write reports it). Tombstones and expired entries are returned: check `kind` and `isFresh`.
   * Throws InvalidKeyError before sending; ForeignEntryError when the key holds foreign data or
   * the value does not decode with the codec.
   */
  read(key: string): Promise<Entry<T> | undefined> {
    return this.readFields(key, (redisKey, fields) => {
      const serving = parseServingFields(this.options.codec, key, redisKey, fields);
      if (serving === undefined) return undefined;
      // parseServingFields checked the bookkeeping fields (at and ret: 1–15 digits, by present).
      return Object.assign(serving, {
        writtenAt: millis(fields[5])!,
        writer: fields[6]!.toString(),
        retainedUntilMs: millis(fields[7])!,
      });
    });
  }

  /**
   * {@link read} without the bookkeeping fields (write time, writer, retention) in the result: the
   * cache's hit path. Exactly one HMGET of all eight fields, since it must refuse foreign data
   * exactly as writes do (a hash malformed only in `at`, `by` or `ret` is not ours either).
   */
  readForServing(key: string): Promise<ServingEntry<T> | undefined> {
    return this.readFields(key, (redisKey, fields) => parseServingFields(this.options.codec, key, redisKey, fields));
  }

  /** {@link readForServing} and {@link epoch}, sent together: one round trip (+ SET NX when Redis has no epoch). */
  readForFill(key: string): Promise<FillRead<T>> {
    try {
      assertValidKey(key);
    } catch (error) {
      return Promise.reject(error);
    }
    const entry = this.readForServing(key); // sent first, then the GET, in the same tick
    return Promise.all([entry, readEpoch(this.#client, this.#epochKey(this.#keyPrefix + key))]).then(
      ([entry, epoch]) => ({ entry, epoch }),
    );
  }

  /**
   * The epoch token of `key`'s slot (created if missing): take it BEFORE reading the version to
   * write, pass it as `options.epoch`. One GET (+ SET NX). Throws InvalidKeyError, ForeignEntryError.
   */
  async epoch(key: string): Promise<string> {
    assertValidKey(key);
    return readEpoch(this.#client, this.#epochKey(this.#keyPrefix + key));
  }

  /**
   * One HMGET of the entry fields, handed to `parse` (the near cache keeps them its own way). Not async, one
   * `then`: every promise layer costs on a path this short. A bad key is a rejection, before anything is sent.
   */
  readFields<R>(key: string, parse: (redisKey: string, fields: (Buffer | null)[]) => R): Promise<R> {
    try {
      assertValidKey(key);
    } catch (error) {
      return Promise.reject(error);
    }
    const redisKey = this.#keyPrefix + key;
    return this.#client.hmgetBuffer(redisKey, ...READ_FIELDS).then(
      (values) => parse(redisKey, values),
      (error: unknown) => {
        if (error instanceof Error && error.message.startsWith('WRONGTYPE'))
          throw new ForeignEntryError(redisKey, 'not a hash');
        throw asRedisFailure(error, `HMGET ${redisKey}`, redisSecretsOf(this.#client));
      },
    );
  }

  /**
   * Iterates the keys of this namespace's entries (starting with `prefix`) with SCAN, on every
   * master of a Cluster. Keys written during the scan may or may not appear, and SCAN may yield a
   * key more than once. Sends one SCAN per batch of about 500 keys; stop early by breaking out.
   */
  async *scan(prefix = ''): AsyncGenerator<string, void, undefined> {
    if (typeof prefix !== 'string' || LONE_SURROGATE.test(prefix))
      throw new InvalidOptionsError('prefix must be a well-formed string');
    const pattern = entryScanPattern(this.options.namespace, prefix);
    const nodes: Redis[] = this.#client.isCluster ? (this.#client as Cluster).nodes('master') : [this.#client as Redis];
    for (const node of nodes) {
      let cursor = '0';
      do {
        const [next, redisKeys] = await node
          .scanBuffer(cursor, 'MATCH', pattern, 'COUNT', SCAN_COUNT)
          .catch((error: unknown) => {
            throw asRedisFailure(error, `SCAN ${pattern}`, redisSecretsOf(this.#client));
          });
        cursor = next.toString();
        for (const redisKey of redisKeys) {
          const key = keyFromEntryRedisKey(this.options.namespace, redisKey);
          if (key !== undefined) yield key;
        }
      } while (cursor !== '0');
    }
  }

  /** The Redis key of `key`'s entry. Throws InvalidKeyError. */
  redisKeyOf(key: string): string {
    return entryRedisKey(this.options.namespace, key);
  }

  // `key` was validated by the caller. One `then`, no async layers: this is every write's path.
  #write(key: string, args: CompareWriteArgs): Promise<WriteResult> {
    const redisKey = this.#keyPrefix + key;
    return this.#compareWrite(redisKey, args).then(
      (reply) => writeResultOf(redisKey, reply),
      (error: unknown) => {
        throw asRedisFailure(error, `the compare-write script on ${redisKey}`, redisSecretsOf(this.#client));
      },
    );
  }

  #epochOf(key: string, options: WriteOptions | undefined): CompareWriteArgs['epoch'] {
    const token = options?.epoch;
    if (token === undefined) return undefined;
    assertEpochToken(token, 'options.epoch');
    return { key: this.#epochKey(this.#keyPrefix + key), token };
  }

  #ttlOf(options: WriteOptions | undefined): number {
    const ttlMs = options?.ttlMs ?? this.options.ttlMs;
    if (options?.ttlMs !== undefined) assertDurationMs(ttlMs, 'options.ttlMs');
    return ttlMs;
  }
}

function hasKeyPrefix(client: Redis | Cluster): boolean {
  const options = client.options as { keyPrefix?: string; redisOptions?: { keyPrefix?: string } };
  return Boolean(options.keyPrefix || options.redisOptions?.keyPrefix);
}
