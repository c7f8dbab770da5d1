import { checkLabel } from '../core/label.js';
import {
  assertOptionsObject,
  describeValue,
  type OptionNamer,
  oneOf,
  optionNamer,
  rejectUnknownKeys,
} from '../core/option-checks.js';
import { InvalidOptionsError } from '../errors.js';
import type { LockManagerOptions } from './lock-manager-api.js';
import { assertValidLockRoot } from './lock-paths.js';
import { LOCK_TEST_HOOKS, type LockTestHooks } from './lock-recipe.js';

/** Defaults of {@link LockManagerOptions}: the one owner of these values. */
export const LOCK_MANAGER_DEFAULTS = Object.freeze({
  timeoutMs: 5_000,
  lostOn: 'expired' as const,
  parentLingerMs: 1_000,
});

/** {@link LockManagerOptions} after defaults and validation. */
export interface ResolvedLockManagerOptions {
  readonly root: string;
  readonly label: string | undefined;
  readonly timeoutMs: number;
  readonly lostOn: 'suspended' | 'expired';
  /** Test-only fault injection, under a symbol so that re-parsing resolved options accepts them. */
  readonly [LOCK_TEST_HOOKS]: LockTestHooks;
  readonly parentLingerMs: number;
}

const KNOWN_KEYS: readonly (keyof LockManagerOptions)[] = ['root', 'label', 'timeoutMs', 'lostOn', 'parentLingerMs'];

/**
 * Applies defaults and rejects bad options. Called by the LockManager constructor, and by the
 * cache before it opens anything; `name` maps each key to the name its caller wrote.
 * @throws InvalidOptionsError naming the option, its limit and the value's type.
 */
export function parseLockManagerOptions(
  options: LockManagerOptions,
  name: OptionNamer = optionNamer(),
): ResolvedLockManagerOptions {
  assertOptionsObject(options, 'LockManager options');
  rejectUnknownKeys(options, KNOWN_KEYS, name);
  assertValidLockRoot(options.root);
  // test-only fault injection, keyed by a symbol (never an option a user could set by mistake)
  const hooks = (options as { [LOCK_TEST_HOOKS]?: LockTestHooks })[LOCK_TEST_HOOKS] ?? {};
  return Object.freeze({
    root: options.root,
    label: options.label === undefined ? undefined : checkLabel(options.label, name('label')),
    timeoutMs: parseLockTimeoutMs(options.timeoutMs ?? LOCK_MANAGER_DEFAULTS.timeoutMs, name('timeoutMs')),
    lostOn: oneOf(options.lostOn, name('lostOn'), ['suspended', 'expired'], LOCK_MANAGER_DEFAULTS.lostOn),
    [LOCK_TEST_HOOKS]: hooks,
    parentLingerMs: parseLockTimeoutMs(
      options.parentLingerMs ?? LOCK_MANAGER_DEFAULTS.parentLingerMs,
      name('parentLingerMs'),
    ),
  });
}

/**
 * A lock wait or linger: any non-negative number of ms, `Infinity` included (a deadline past a
 * timer's reach never fires; see core/deadline.ts).
 * @throws InvalidOptionsError naming `name` and the value's type.
 */
export function parseLockTimeoutMs(value: unknown, name: string): number {
  if (typeof value !== 'number' || Number.isNaN(value) || value < 0) {
    throw new InvalidOptionsError(
      `${name} must be a non-negative number of ms (or Infinity), got ${describeValue(value)}`,
    );
  }
  return value;
}
