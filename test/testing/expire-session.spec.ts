import { describe, expect, it } from 'vitest';
import { ConnectionError } from '../../src/errors.js';
import { assertNoConnectionOnSession, expireSession } from '../../src/testing/expire-session.js';
import { useStack } from '../support/stack.js';
import { connectTestClient } from './zookeeper-test-client.js';

describe('expireSession', () => {
  const stack = useStack({ zookeeper: { fsync: false } });

  // Regression: the owner reconnects the instant the impostor takes its session. Before the
  // local server ran with one NIO worker, some expiries left the owner connected to the dead
  // session, silently ignored, so it never heard `expired`; without that setting this test
  // failed in each of 4 runs.
  it('the owner hears `expired` on every one of 200 consecutive expiries', async () => {
    const unheard: string[] = [];
    for (let i = 0; i < 200; i++) {
      const owner = await connectTestClient(stack().zookeeper.connectString, 5_000);
      try {
        const expired = owner.nextState('EXPIRED', 3_000);
        await stack().expireSession(owner.raw.getSessionId(), owner.raw.getSessionPassword());
        await expired.catch((error: Error) => unheard.push(`#${i}: ${error.message}`));
      } finally {
        owner.close();
      }
    }
    expect(unheard).toEqual([]);
  });

  it('reports a connection that still carries the session, naming it', async () => {
    const owner = await connectTestClient(stack().zookeeper.connectString, 5_000);
    try {
      // A live session stands in for an orphaned one: `cons` lists its connection either way.
      const hexId = `0x${owner.raw.getSessionId().toString('hex').replace(/^0+/, '')}`;
      const error = await assertNoConnectionOnSession(
        [{ host: '127.0.0.1', port: stack().zookeeper.port }],
        hexId,
        stack().zookeeper.connectString,
      ).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(ConnectionError);
      expect((error as Error).message).toContain(`session ${hexId}`);
      expect((error as Error).message).toContain(`sid=${hexId},`);
      expect((error as Error).message).toMatch(/never hears "expired"/);
    } finally {
      owner.close();
    }
  });

  it('resolves at once for a session the server does not know (already expired)', async () => {
    await expect(
      stack().expireSession(Buffer.from('0123456789abcdef', 'hex'), Buffer.alloc(16), { timeoutMs: 2_000 }),
    ).resolves.toBeUndefined();
  });

  it('fails with ConnectionError naming the session and the cause when no server answers', async () => {
    const error = await expireSession(
      '127.0.0.1:1',
      Buffer.from('0123456789abcdef', 'hex'),
      Buffer.alloc(16),
      300,
    ).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ConnectionError);
    expect((error as Error).message).toMatch(
      /session 0x123456789abcdef at 127\.0\.0\.1:1 was not confirmed expired within timeoutMs=300 \(.*ECONNREFUSED/,
    );
  });
});
