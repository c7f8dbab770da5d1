import { ConnectionError } from '../errors.js';
import { createZooKeeperClient, type MinimalZooKeeperClient } from './zookeeper-client.js';

/** What an impostor client saw when it presented the session id + password. */
type Outcome = 'connected' | 'expired' | 'timeout';

function connectWithSession(connectString: string, sessionId: Buffer, password: Buffer, timeoutMs: number): Promise<{ client: MinimalZooKeeperClient; outcome: Outcome }> {
  const client = createZooKeeperClient(connectString, { sessionId, sessionPassword: password, sessionTimeout: 30_000, spinDelay: 100 });
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve({ client, outcome: 'timeout' }), timeoutMs);
    client.once('connected', () => {
      clearTimeout(timer);
      resolve({ client, outcome: 'connected' });
    });
    client.once('expired', () => {
      clearTimeout(timer);
      resolve({ client, outcome: 'expired' });
    });
    client.connect();
  });
}

function closeAndWait(client: MinimalZooKeeperClient, timeoutMs: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, timeoutMs);
    client.once('disconnected', () => {
      clearTimeout(timer);
      resolve();
    });
    client.close();
  });
}

/**
 * Ends a ZooKeeper session from outside, the documented way: connect a second client with the
 * same session id and password (the server moves the session to it), then close that client,
 * which closes the session. Closing can lose a race with the original client reconnecting and
 * taking the session back, so it repeats until presenting the id gets `expired` from the server:
 * that reply is the proof the session is gone. The original client sees `expired` when it next
 * reaches the server.
 * @throws ConnectionError when the server has not confirmed expiry within `timeoutMs`.
 */
export async function expireSession(connectString: string, sessionId: Buffer, password: Buffer, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const hexId = sessionId.toString('hex');
  while (Date.now() < deadline) {
    const { client, outcome } = await connectWithSession(connectString, sessionId, password, Math.max(1, deadline - Date.now()));
    if (outcome === 'expired') {
      client.close();
      return;
    }
    if (outcome === 'timeout') {
      client.close();
      break;
    }
    await closeAndWait(client, Math.min(2_000, Math.max(1, deadline - Date.now())));
  }
  throw new ConnectionError('zookeeper', `session 0x${hexId} at ${connectString} was not confirmed expired within timeoutMs=${timeoutMs}`);
}
