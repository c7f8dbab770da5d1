import { createRequire } from 'node:module';
import type { RawClient, ZooKeeperModule } from '../src/zookeeper/client-module.js';

/**
 * The floor of the lock benchmark: the lock recipe written straight on node-zookeeper-client, with
 * nothing of ours in between (no protected names, no holder data, no deadlines, no local queue).
 */
const zookeeper = createRequire(import.meta.url)('node-zookeeper-client') as ZooKeeperModule;
const EPHEMERAL_SEQUENTIAL = 3;

export function bare(connectString: string): Promise<RawClient> {
  return new Promise((resolve, reject) => {
    const client = zookeeper.createClient(connectString, { sessionTimeout: 10_000 });
    const timer = setTimeout(() => reject(new Error('bare client did not connect')), 5000);
    client.on('state', (s) => {
      if (s.name === 'SYNC_CONNECTED') {
        clearTimeout(timer);
        resolve(client);
      }
    });
    client.connect();
  });
}

const call = <T>(fn: (cb: (e: Error | null, r: T) => void) => void): Promise<T> =>
  new Promise((resolve, reject) => fn((e, r) => (e ? reject(e) : resolve(r))));

export async function ensure(client: RawClient, path: string): Promise<void> {
  await call<string>((cb) => client.mkdirp(path, cb));
}

/**
 * The bare recipe: create, list, hold if first else watch the predecessor with getData, run
 * `whileHeld` (the write-path floor's plain SET), delete.
 */
export async function bareCycle(client: RawClient, parent: string, whileHeld?: () => Promise<unknown>): Promise<void> {
  const path = await call<string>((cb) => client.create(`${parent}/lock-`, null, EPHEMERAL_SEQUENTIAL, cb));
  const name = path.slice(parent.length + 1);
  for (;;) {
    const children = (await call<string[]>((cb) => client.getChildren(parent, cb))).sort();
    const index = children.indexOf(name);
    if (index === 0) break;
    let wake!: () => void;
    const woken = new Promise<void>((resolve) => (wake = resolve));
    try {
      await call((cb) => client.getData(`${parent}/${children[index - 1]}`, () => wake(), cb as never));
    } catch {
      continue;
    }
    await woken;
  }
  if (whileHeld) await whileHeld();
  await call((cb) => client.remove(path, -1, cb as never));
}
