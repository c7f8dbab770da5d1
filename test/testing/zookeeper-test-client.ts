import { createRequire } from 'node:module';

/** node-zookeeper-client, typed just enough for these tests (the package ships no types). */
interface RawClient {
  connect(): void;
  close(): void;
  getSessionId(): Buffer;
  getSessionPassword(): Buffer;
  getSessionTimeout(): number;
  getState(): { name: string };
  on(event: string, listener: (...args: unknown[]) => void): RawClient;
  once(event: string, listener: (...args: unknown[]) => void): RawClient;
  create(path: string, data: Buffer, mode: number, callback: (error: Error | null, path: string) => void): void;
  create(path: string, data: Buffer, callback: (error: Error | null, path: string) => void): void;
  getData(path: string, callback: (error: Error | null, data: Buffer) => void): void;
  exists(path: string, callback: (error: Error | null, stat: unknown) => void): void;
}
interface RawModule {
  createClient(connectString: string, options?: { sessionTimeout?: number; spinDelay?: number }): RawClient;
  CreateMode: { PERSISTENT: number; EPHEMERAL: number };
}

const zookeeper = createRequire(import.meta.url)('node-zookeeper-client') as RawModule;
export const CreateMode = zookeeper.CreateMode;

/** A connected test client plus promise helpers with deadlines (a paused server is silent). */
export interface TestZooKeeperClient {
  raw: RawClient;
  /** Resolves when the client emits `state` with this name (e.g. 'EXPIRED'), or rejects after timeoutMs. */
  nextState(name: string, timeoutMs: number): Promise<void>;
  create(path: string, data: string, mode?: number, timeoutMs?: number): Promise<string>;
  getData(path: string, timeoutMs?: number): Promise<string>;
  close(): void;
}

function withDeadline<T>(
  what: string | (() => string),
  timeoutMs: number,
  run: (resolve: (value: T) => void, reject: (error: Error) => void) => void,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${typeof what === 'function' ? what() : what}: no answer within ${timeoutMs} ms`)),
      timeoutMs,
    );
    run(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

/** Connects (bounded) and returns the client with helpers. */
export async function connectTestClient(
  connectString: string,
  sessionTimeoutMs: number,
  connectTimeoutMs = 5_000,
): Promise<TestZooKeeperClient> {
  const raw = zookeeper.createClient(connectString, { sessionTimeout: sessionTimeoutMs, spinDelay: 100 });
  const states: string[] = [];
  const waiters: { name: string; resolve: () => void }[] = [];
  raw.on('state', (state) => {
    const name = (state as { name: string }).name;
    states.push(name);
    for (const waiter of waiters.filter((w) => w.name === name)) waiter.resolve();
  });
  const client: TestZooKeeperClient = {
    raw,
    nextState: (name, timeoutMs) =>
      withDeadline(
        () => `waiting for ZooKeeper state ${name} (states so far: ${states.join(',') || 'none'})`,
        timeoutMs,
        (resolve) => {
          waiters.push({ name, resolve: () => resolve(undefined) });
        },
      ),
    create: (path, data, mode = zookeeper.CreateMode.PERSISTENT, timeoutMs = 5_000) =>
      withDeadline(`create ${path}`, timeoutMs, (resolve, reject) =>
        raw.create(path, Buffer.from(data), mode, (error, created) => (error ? reject(error) : resolve(created))),
      ),
    getData: (path, timeoutMs = 5_000) =>
      withDeadline(`getData ${path}`, timeoutMs, (resolve, reject) =>
        raw.getData(path, (error, data) => (error ? reject(error) : resolve(data.toString()))),
      ),
    close: () => raw.close(),
  };
  const connected = client.nextState('SYNC_CONNECTED', connectTimeoutMs);
  raw.connect();
  try {
    await connected;
  } catch (error) {
    raw.close();
    throw error;
  }
  return client;
}
