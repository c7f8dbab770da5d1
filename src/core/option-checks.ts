import { InvalidOptionsError } from '../errors.js';

/**
 * The checks every layer's option parser shares, so that all of them reject the same way: unknown
 * keys with a suggestion, numbers with their bounds, and a message that names the option as the
 * caller wrote it and shows the value's type (`got string "60000"`, not `got 60000`).
 */

/**
 * Turns an option's own key into the name the caller wrote: `zookeeper.sessionTimeoutMs` when it
 * was nested in the cache's options, `label` for the store's `writerLabel` when the cache set it.
 */
export type OptionNamer = (key: string) => string;

/** A namer that prepends `prefix` (e.g. `'zookeeper.'`) and applies `renames` first. */
export function optionNamer(prefix = '', renames: Readonly<Record<string, string>> = {}): OptionNamer {
  return (key) => renames[key] ?? `${prefix}${key}`;
}

/** A value for an error message: its type and a bounded rendering, e.g. `string "60000"`, `null`. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return `an array of ${value.length}`;
  switch (typeof value) {
    case 'undefined':
      return 'undefined';
    case 'string':
      return `string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
    case 'number':
    case 'boolean':
      return `${typeof value} ${String(value)}`;
    case 'bigint':
      return `bigint ${value}n`;
    case 'function':
      return 'a function';
    case 'symbol':
      return 'a symbol';
    default:
      return 'an object';
  }
}

/**
 * Throws unless `options` is a plain object (not null, not an array).
 * @throws InvalidOptionsError naming `what`.
 */
export function assertOptionsObject(options: unknown, what: string): asserts options is object {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new InvalidOptionsError(`${what} must be an object, got ${describeValue(options)}`);
  }
}

/**
 * Rejects any own key of `options` not in `known`: from JavaScript a typo (`ttl` for `ttlMs`) would
 * otherwise be silently ignored and the default used. An unknown key is rejected even when its
 * value is `undefined`; a known key set to `undefined` takes its default.
 * @throws InvalidOptionsError `unknown option ttl (did you mean ttlMs?)`.
 */
export function rejectUnknownKeys(options: object, known: readonly string[], name: OptionNamer): void {
  for (const key of Object.keys(options)) {
    if (known.includes(key)) continue;
    const suggestion = closest(key, known);
    const hint =
      suggestion === undefined
        ? `; known options: ${known.map(name).join(', ')}`
        : ` (did you mean ${name(suggestion)}?)`;
    throw new InvalidOptionsError(`unknown option ${name(key)}${hint}`);
  }
}

/** Bounds of a whole-number option, and the unit its message names. */
export interface WholeNumberBounds {
  min: number;
  max: number;
  /** e.g. `ms`, `bytes`. */
  unit: string;
  /** How the maximum reads, e.g. `100 years`; the number itself when unset. */
  maxNote?: string;
}

/**
 * `value` when it is an integer `number` within the bounds, `fallback` when it is `undefined` (an
 * error when no fallback is given).
 * @throws InvalidOptionsError `ttlMs must be a whole number of ms from 1 to …, got string "60000"`.
 */
export function wholeNumber(value: unknown, name: string, bounds: WholeNumberBounds, fallback?: number): number {
  if (value === undefined && fallback !== undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < bounds.min || value > bounds.max) {
    const max = bounds.maxNote === undefined ? `${bounds.max}` : `${bounds.max} (${bounds.maxNote})`;
    throw new InvalidOptionsError(
      `${name} must be a whole number of ${bounds.unit} from ${bounds.min} to ${max}, got ${describeValue(value)}`,
    );
  }
  return value;
}

/**
 * `value` when it is `undefined` (then `fallback`) or one of `choices`.
 * @throws InvalidOptionsError `lostOn must be "suspended" or "expired", got string "never"`.
 */
export function oneOf<C extends string>(value: unknown, name: string, choices: readonly C[], fallback: C): C {
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || !choices.includes(value as C)) {
    const listed = choices.map((c) => JSON.stringify(c));
    throw new InvalidOptionsError(
      `${name} must be ${listed.slice(0, -1).join(', ')} or ${listed.at(-1)}, got ${describeValue(value)}`,
    );
  }
  return value as C;
}

/** The known key `key` was most likely meant as: same letters ignoring case, a prefix, or ≤ 2 edits. */
function closest(key: string, known: readonly string[]): string | undefined {
  const lower = key.toLowerCase();
  const exact = known.find((k) => k.toLowerCase() === lower);
  if (exact) return exact;
  const prefixed = known.filter((k) => lower.length >= 2 && k.toLowerCase().startsWith(lower));
  if (prefixed.length === 1) return prefixed[0];
  let best: { key: string; distance: number } | undefined;
  for (const candidate of known) {
    const distance = editDistance(lower, candidate.toLowerCase());
    if (distance <= 2 && (best === undefined || distance < best.distance)) best = { key: candidate, distance };
  }
  return best?.key;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min(previous[j]! + 1, current[j - 1]! + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length]!;
}
