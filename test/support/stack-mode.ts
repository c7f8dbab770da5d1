/**
 * Which servers the suite runs against, chosen by env `ZKOC_STACK_PROVIDER`, and which tests each
 * choice cannot run. Pure logic, so that the choice has tests of its own (test/support/stack-mode.spec.ts).
 */

/** The providers the suite runs against. Unset means `local`: `npm test` and CI run everything. */
export type TestStackProvider = 'local' | 'containers' | 'external';

/**
 * What a test needs beyond plain ZooKeeper, Redis and PostgreSQL connections:
 * - `faults`: it stops, pauses, restarts or kills a server (the `StartedServer` methods);
 * - `topology`: a ZooKeeper ensemble or a Redis Cluster on loopback;
 * - `processes`: the servers' own processes (pids, signals, the reaper);
 * - `exclusive`: server-wide state (ACL users, `mntr` counters, every client's connections)
 *   that other test files on shared servers would change under it.
 */
export type StackNeed = 'faults' | 'topology' | 'processes' | 'exclusive';

const PROVIDERS: readonly TestStackProvider[] = ['local', 'containers', 'external'];

/** Which need each provider cannot meet, and why: the reason printed for every test not run. */
const UNMET: Record<TestStackProvider, Partial<Record<StackNeed, string>>> = {
  local: {},
  containers: {
    topology: 'ensembles and clusters are started by provider local only',
    processes: 'containers have no server pids on this machine',
  },
  external: {
    faults: 'it injects faults, and the external servers were not started by the suite',
    topology: 'ensembles and clusters are started by provider local only',
    processes: 'the external servers are not processes of the suite',
    exclusive: 'it needs servers of its own, and external servers are shared by every test file',
  },
};

/** The provider named by `env.ZKOC_STACK_PROVIDER`: `local` when unset or empty. */
export function testStackProvider(env: Readonly<Record<string, string | undefined>>): TestStackProvider {
  const named = env.ZKOC_STACK_PROVIDER || 'local';
  if (!PROVIDERS.includes(named as TestStackProvider)) {
    throw new Error(
      `ZKOC_STACK_PROVIDER must be one of ${PROVIDERS.join(', ')} for the test suite (unset means local), got ${JSON.stringify(named)}`,
    );
  }
  return named as TestStackProvider;
}

/** The env variables provider `external` reads, and an example of each. */
export const EXTERNAL_ENV = {
  ZKOC_ZK: '127.0.0.1:2181',
  ZKOC_REDIS: 'redis://127.0.0.1:6379',
  DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/postgres',
} as const;

/** The env variables `external` needs that are missing (empty for the other providers). */
export function missingExternalEnv(
  provider: TestStackProvider,
  env: Readonly<Record<string, string | undefined>>,
): string[] {
  if (provider !== 'external') return [];
  return Object.keys(EXTERNAL_ENV).filter((name) => !env[name]);
}

/**
 * Why a test with `need` is not run against `provider`, as the line the reporter prints, or
 * `undefined` when it runs. `why` says what the test does (e.g. "pauses Redis").
 */
export function notRunReason(provider: TestStackProvider, need: StackNeed, why: string): string | undefined {
  const unmet = UNMET[provider][need];
  return unmet === undefined ? undefined : `not run with ZKOC_STACK_PROVIDER=${provider}: ${why}; ${unmet}`;
}
