import { LockLostError } from '../../src/errors.js';
import type { StartedStack } from '../../src/testing/index.js';
import { ZooKeeperConnection, type ZooKeeperConnectionOptions } from '../../src/zookeeper/index.js';

/** Opens a connection to the stack's ZooKeeper; the caller closes it (or uses `await using`). */
export function connect(
  stack: StartedStack,
  options: Partial<ZooKeeperConnectionOptions> = {},
): Promise<ZooKeeperConnection> {
  return ZooKeeperConnection.connect({
    connectString: stack.zookeeper.connectString,
    sessionTimeoutMs: 4000,
    connectTimeoutMs: 2000,
    ...options,
  });
}

/** Resolves with the LockLostError the signal aborts with; rejects when it does not abort within `withinMs`. */
export function lockLost(signal: AbortSignal, withinMs: number): Promise<LockLostError> {
  return new Promise((resolve, reject) => {
    const done = (): void => {
      clearTimeout(timer);
      const reason: unknown = signal.reason;
      if (reason instanceof LockLostError) resolve(reason);
      else reject(new Error(`signal aborted with something else: ${String(reason)}`));
    };
    const timer = setTimeout(() => reject(new Error(`lock.signal did not abort within ${withinMs} ms`)), withinMs);
    if (signal.aborted) done();
    else signal.addEventListener('abort', done, { once: true });
  });
}

/** Resolves when `zk` reaches `state`; rejects after `withinMs`. */
export function reachesState(
  zk: ZooKeeperConnection,
  state: ZooKeeperConnection['state'],
  withinMs: number,
): Promise<void> {
  return new Promise((resolve, reject) => {
    if (zk.state === state) return resolve();
    const timer = setTimeout(
      () => reject(new Error(`connection did not reach ${state} within ${withinMs} ms (it is ${zk.state})`)),
      withinMs,
    );
    const onState = (next: string): void => {
      if (next !== state) return;
      clearTimeout(timer);
      zk.off('state', onState);
      resolve();
    };
    zk.on('state', onState);
  });
}

/** Child names of `path` on the server (empty when it does not exist). */
export async function childrenOf(zk: ZooKeeperConnection, path: string): Promise<string[]> {
  const session = await zk.liveSession();
  try {
    return await session.getChildren(path);
  } catch (error) {
    if ((error as { zkCode?: string }).zkCode === 'NO_NODE') return [];
    throw error;
  }
}

/** `wchp` parsed: watched path → session ids watching it (data watches only). */
export function parseWchp(text: string): Map<string, string[]> {
  const watches = new Map<string, string[]>();
  let current: string[] | undefined;
  for (const line of text.split('\n')) {
    if (line.startsWith('/')) {
      current = [];
      watches.set(line.trim(), current);
    } else if (line.trim().startsWith('0x') && current) current.push(line.trim());
  }
  return watches;
}

/** One numeric `mntr` figure, e.g. `zk_watch_count`. */
export function mntrValue(text: string, name: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name}\t`));
  if (!line) throw new Error(`mntr has no ${name}`);
  return Number(line.split('\t')[1]);
}

/** Polls `check` every 20 ms until it returns true; throws with `what` after `withinMs`. */
export async function eventually(
  check: () => Promise<boolean> | boolean,
  withinMs: number,
  what: string,
): Promise<void> {
  const until = Date.now() + withinMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`not within ${withinMs} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
