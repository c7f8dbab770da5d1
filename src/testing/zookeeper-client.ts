import { createRequire } from 'node:module';

/**
 * The slice of node-zookeeper-client (untyped, CommonJS) the harness uses. Loaded through
 * `createRequire` with this local type so the harness does not depend on anyone's ambient
 * module declaration for the package.
 */
export interface MinimalZooKeeperClient {
  connect(): void;
  close(): void;
  getSessionId(): Buffer;
  getSessionPassword(): Buffer;
  getSessionTimeout(): number;
  on(event: 'state', listener: (state: { name: string; code: number }) => void): this;
  once(event: 'connected' | 'disconnected' | 'expired' | 'authenticationFailed', listener: () => void): this;
  removeListener(event: string, listener: (...args: never[]) => void): this;
}

/** Options accepted by `createClient` (sessionId/sessionPassword resume an existing session). */
export interface MinimalZooKeeperClientOptions {
  sessionTimeout?: number;
  spinDelay?: number;
  retries?: number;
  sessionId?: Buffer;
  sessionPassword?: Buffer;
}

interface NodeZooKeeperClientModule {
  createClient(connectString: string, options?: MinimalZooKeeperClientOptions): MinimalZooKeeperClient;
}

const load = createRequire(import.meta.url);

/** `require('node-zookeeper-client').createClient(...)`, typed. */
export function createZooKeeperClient(
  connectString: string,
  options?: MinimalZooKeeperClientOptions,
): MinimalZooKeeperClient {
  return (load('node-zookeeper-client') as NodeZooKeeperClientModule).createClient(connectString, options);
}
