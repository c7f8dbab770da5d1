import { InvalidArgumentError, InvalidOptionsError } from '../errors.js';

/**
 * Type checks of the arguments JavaScript callers (no compiler to help) pass to the cache's calls,
 * run before anything is sent or any lock is taken, so a wrong type is a typed error, never a
 * TypeError from deep inside, nor a lock taken for nothing.
 */

/** A read: `loader` is a function; `options` is absent or `{ signal?: AbortSignal }`. */
export function assertReadCall(loader: unknown, options: unknown): void {
  assertFunction(loader, 'loader');
  assertCallOptions(options);
}

/** A call under the key's lock: `fn` is a function; `options` is absent or `{ signal?, timeoutMs? }`. */
export function assertLockCall(fn: unknown, options: unknown): void {
  assertFunction(fn, 'fn');
  assertCallOptions(options);
}

/** A write (`set`, `invalidate`): `options` is absent or `{ signal?, timeoutMs? }`. */
export function assertWriteCall(options: unknown): void {
  assertCallOptions(options);
}

/** A `set`: `options` as {@link assertWriteCall}; returns its `epoch` for the store to check. */
export function setCallEpoch(options: unknown): { epoch?: string } {
  assertCallOptions(options);
  const epoch = (options as { epoch?: unknown } | undefined)?.epoch;
  return epoch === undefined ? {} : { epoch: epoch as string };
}

function assertFunction(value: unknown, name: string): void {
  if (typeof value !== 'function') throw new InvalidArgumentError(`${name} must be a function, got ${describe(value)}`);
}

function assertCallOptions(options: unknown): void {
  if (options === undefined) return;
  if (typeof options !== 'object' || options === null || Array.isArray(options))
    throw new InvalidOptionsError(`options must be an object, got ${describe(options)}`);
  const { signal, timeoutMs } = options as { signal?: unknown; timeoutMs?: unknown };
  if (signal !== undefined && !(signal instanceof AbortSignal))
    throw new InvalidOptionsError(`options.signal must be an AbortSignal, got ${describe(signal)}`);
  if (
    timeoutMs !== undefined &&
    (typeof timeoutMs !== 'number' || !Number.isInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > 2_147_483_647)
  )
    throw new InvalidOptionsError(
      `options.timeoutMs must be a whole number from 1 to 2147483647, got ${describe(timeoutMs)}`,
    );
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  switch (typeof value) {
    case 'number':
    case 'boolean':
      return `${typeof value} ${String(value)}`;
    case 'string':
      return 'a string';
    case 'object':
      return 'an object';
    default:
      return typeof value;
  }
}
