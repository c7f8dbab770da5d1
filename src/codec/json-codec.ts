import { InvalidValueError } from '../errors.js';
import type { Codec } from './codec.js';

/**
 * The default codec: UTF-8 JSON.
 *
 * Rejects, with {@link InvalidValueError} naming the problem, what JSON would silently drop or
 * corrupt: a top-level `undefined`, functions and symbols anywhere, `BigInt`s, non-finite numbers
 * (JSON turns them into `null`), cyclic structures, an invalid `Date` (JSON writes `null`), and any
 * object that is not a plain object or array once `toJSON` has run — `Map`, `Set`, `RegExp`,
 * `Error`, boxed primitives, class instances — which JSON turns into `{}` or a prototype-less copy.
 * A getter, `toJSON` or Proxy trap that throws is an InvalidValueError too (its error as `cause`).
 * `undefined` properties inside objects are dropped as JSON always does; valid `Date`s come back
 * as ISO strings and `Buffer`s as `{ type, data }` (their own `toJSON`).
 */
export const jsonCodec: Codec<unknown> = Object.freeze({
  name: 'json',
  encode(value: unknown): string {
    if (value === undefined)
      throw new InvalidValueError(
        'value must not be undefined (json codec); cache "no such row" with a missing entry instead',
      );
    let text: string | undefined;
    try {
      // Fast path: plain data (the common case) needs no replacer, which would triple the cost.
      text = isPlainJson(value, 0) ? JSON.stringify(value) : JSON.stringify(value, rejectLossyJson);
    } catch (err) {
      if (err instanceof InvalidValueError) throw err;
      // JSON.stringify's own TypeError (a cyclic structure), or a getter, toJSON or Proxy trap that threw.
      throw new InvalidValueError(`value is not JSON-encodable (json codec): ${firstLine(err)}`, { cause: err });
    }
    if (text === undefined)
      throw new InvalidValueError(`value of type ${typeof value} is not JSON-encodable (json codec)`);
    return text;
  },
  decode(bytes: Buffer): unknown {
    return JSON.parse(bytes.toString('utf8'));
  },
});

// True when JSON.stringify(value) is lossless with no replacer: only strings, booleans, finite
// numbers, null, arrays and plain objects of those, no toJSON, at most 64 levels deep (deeper
// or cyclic data takes the replacer path, which reports the problem precisely).
function isPlainJson(value: unknown, depth: number): boolean {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return true;
    case 'number':
      return Number.isFinite(value);
    case 'object': {
      if (value === null) return true;
      if (depth >= 64) return false;
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) if (!isPlainJson(value[i], depth + 1)) return false;
        return true;
      }
      if (!isPlainPrototype(value)) return false; // Map, Set, Date, class instances: the replacer decides
      const record = value as Record<string, unknown>;
      if (typeof record.toJSON === 'function') return false;
      for (const key in record) {
        if (Object.hasOwn(record, key) && !isPlainJson(record[key], depth + 1)) return false;
      }
      return true;
    }
    default:
      return false; // undefined, function, symbol, bigint
  }
}

// Called by JSON.stringify for every property (key '' is the root), after toJSON; `this[key]` is
// the value before toJSON.
function rejectLossyJson(this: unknown, key: string, value: unknown): unknown {
  const where = key === '' ? 'value' : `property ${JSON.stringify(key)}`;
  const original = (this as Record<string, unknown>)[key];
  if (original instanceof Date && Number.isNaN(original.getTime()))
    throw new InvalidValueError(`${where} is an invalid Date, which JSON would turn into null (json codec)`);
  switch (typeof value) {
    case 'bigint':
      throw new InvalidValueError(
        `${where} is a BigInt, which JSON cannot encode (json codec); convert it to a string first`,
      );
    case 'function':
    case 'symbol':
      throw new InvalidValueError(`${where} is a ${typeof value}, which JSON cannot encode (json codec)`);
    case 'number':
      if (!Number.isFinite(value))
        throw new InvalidValueError(`${where} is ${value}, which JSON would turn into null (json codec)`);
      return value;
    case 'object':
      if (value !== null && !isPlainPrototype(value))
        throw new InvalidValueError(
          `${where} is a ${constructorName(value)}, which JSON does not round-trip (json codec); convert it to a plain object or array first`,
        );
      return value;
    default:
      return value;
  }
}

function isPlainPrototype(value: object): boolean {
  if (Array.isArray(value)) return true;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

function constructorName(value: object): string {
  const name = (Object.getPrototypeOf(value) as { constructor?: { name?: unknown } } | null)?.constructor?.name;
  return typeof name === 'string' && name !== '' ? name : 'non-plain object';
}

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0] ?? '';
}
