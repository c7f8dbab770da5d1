import { afterAll, beforeAll, type TestOptions } from 'vitest';
import { externalStack } from '../../src/testing/external-stack.js';
import { type StartedStack, type StartStackOptions, startStack } from '../../src/testing/index.js';
import { isolate } from './external-isolation.js';
import { notRunReason, type StackNeed, testStackProvider } from './stack-mode.js';

declare module 'vitest' {
  interface TaskMeta {
    /** Set on a test or suite the chosen provider cannot run: the line the not-run reporter prints. */
    notRun?: string;
  }
}

/**
 * The one way a spec file gets servers. `ZKOC_STACK_PROVIDER` picks them: unset (npm test, CI)
 * or `local` starts fresh local servers per file; `containers` starts containers; `external` uses
 * the servers named by ZKOC_ZK, ZKOC_REDIS and DATABASE_URL, with a database, a ZooKeeper chroot
 * and a Redis database of the file's own (test/support/external-isolation.ts).
 */
export const stackProvider = testStackProvider(process.env);

/**
 * Test options for a `describe` or `it` that needs more than connections (see {@link StackNeed}):
 * none when the provider meets the need; otherwise the test is not run, and the not-run reporter
 * prints its name and `why` plus the provider's reason.
 *
 * ```ts
 * it('reconnects after a pause', needs('faults', 'pauses ZooKeeper'), async () => { … });
 * ```
 */
export function needs(need: StackNeed, why: string): TestOptions {
  const reason = notRunReason(stackProvider, need, why);
  return reason === undefined ? {} : { skip: true, meta: { notRun: reason } };
}

/**
 * Starts the file's servers with {@link stackProvider}; `stop()` stops them, or for `external`
 * drops what the file was given. Options are ignored by `external`, like `startStack`'s.
 */
export async function startTestStack(options: Omit<StartStackOptions, 'provider'> = {}): Promise<StartedStack> {
  if (stackProvider !== 'external') return startStack({ ...options, provider: stackProvider });
  const shared = externalStack(Date.now());
  const isolation = await isolate({
    ZKOC_ZK: shared.zookeeper.connectString,
    ZKOC_REDIS: shared.redis.url,
    DATABASE_URL: shared.postgres.url,
  });
  const stack = externalStack(Date.now(), isolation.env);
  let released: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    released ??= isolation.release();
    return released;
  };
  return { ...stack, stop, [Symbol.asyncDispose]: stop };
}

/**
 * Starts the file's (or the enclosing `describe`'s) stack in `beforeAll` and stops it in
 * `afterAll`; returns a getter, since the stack exists only once `beforeAll` has run.
 */
export function useStack(options: Omit<StartStackOptions, 'provider'> = {}): () => StartedStack {
  let stack: StartedStack | undefined;
  beforeAll(async () => {
    stack = await startTestStack(options);
  });
  afterAll(async () => {
    await stack?.stop();
  });
  return () => {
    if (!stack) throw new Error('useStack: the stack is not started yet (use it inside a test or hook)');
    return stack;
  };
}
