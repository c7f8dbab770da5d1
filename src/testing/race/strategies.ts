// The strategies a race runs and the scenarios it runs them in: names, default sets, which applies where.

/** The harness's own three ways of filling a cache: no protection, a ZooKeeper lock alone, this library. */
export type CoreStrategy = 'naive' | 'lock-only' | 'ordered';

/**
 * The remedies the field recommends, each as its advocates publish it (see
 * `src/testing/race/remedies/`): versioned cache keys, write-through, a Redis `SET NX PX` lock
 * around the fill (plus its "re-check the cache" variant) and Redlock over 3 Redis servers.
 */
export type RemedyStrategy = 'versioned-keys' | 'write-through' | 'setnx-lock' | 'setnx-lock-recheck' | 'redlock';

/** `ordered` plus a running `startFollower`, the library's answer to writes that bypass it (see `appliesTo`). */
export type FollowerStrategy = 'ordered+follower';

/** A way of filling a cache that a race scenario is run under. */
export type RaceStrategy = CoreStrategy | RemedyStrategy | FollowerStrategy;

/** A count per strategy: the core three always, the others only when they ran. */
export type StrategyCounts = Record<CoreStrategy, number> & Partial<Record<RemedyStrategy | FollowerStrategy, number>>;

/** The strategies a race runs by default, in the order tables show them. */
export const CORE_STRATEGIES: readonly CoreStrategy[] = Object.freeze(['naive', 'lock-only', 'ordered']);

/** The remedies, most recommended first. */
export const REMEDY_STRATEGIES: readonly RemedyStrategy[] = Object.freeze([
  'versioned-keys',
  'write-through',
  'setnx-lock',
  'setnx-lock-recheck',
  'redlock',
]);

/** Every strategy, in the order tables show them (`--strategy all`). */
export const RACE_STRATEGIES: readonly RaceStrategy[] = Object.freeze([
  'naive',
  'lock-only',
  ...REMEDY_STRATEGIES,
  'ordered',
  'ordered+follower',
]);

/** The strategies a race runs when none are named: the core three, and `ordered+follower` where it applies. */
export const DEFAULT_STRATEGIES: readonly RaceStrategy[] = Object.freeze([...CORE_STRATEGIES, 'ordered+follower']);

/** True when `strategy` runs in `scenario`: `ordered+follower` only where rows change outside the library. */
export function appliesTo(scenario: RaceScenarioName, strategy: RaceStrategy): boolean {
  return strategy !== 'ordered+follower' || scenario === 'bypass-write';
}

/** True for the strategies whose cache is the library's ordered store. */
export function isOrdered(strategy: RaceStrategy): strategy is 'ordered' | FollowerStrategy {
  return strategy === 'ordered' || strategy === 'ordered+follower';
}

/** The race scenarios. */
export type RaceScenarioName = 'stale-set' | 'concurrent-writers' | 'stampede' | 'paused-holder' | 'bypass-write';

/** Every scenario, in the order `all` runs them. */
export const RACE_SCENARIOS: readonly RaceScenarioName[] = Object.freeze([
  'stale-set',
  'concurrent-writers',
  'stampede',
  'paused-holder',
  'bypass-write',
]);

/** True for the remedies (whose worker side lives in `remedies/`). */
export function isRemedy(strategy: RaceStrategy): strategy is RemedyStrategy {
  return (REMEDY_STRATEGIES as readonly string[]).includes(strategy);
}
