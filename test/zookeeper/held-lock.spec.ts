import { describe, expect, it } from 'vitest';
import { LockLostError } from '../../src/errors.js';
import { HeldLock } from '../../src/zookeeper/held-lock.js';
import type { ZkSession } from '../../src/zookeeper/zk-session.js';

// Pure logic: the signal's life cycle, with a stand-in session (no server is involved).
const session = { sessionId: '00000000000000aa' } as unknown as ZkSession;
const newLock = () =>
  new HeldLock('product:1', '/locks/product%3A1/_c_x-lock-0000000001', session, 1, () => Promise.resolve());

describe('HeldLock signal', () => {
  it('a loss recorded before anyone read the signal still aborts it, with that reason', () => {
    const lock = newLock();
    lock.markLost('session-expired');
    expect(lock.signal.aborted).toBe(true);
    expect(lock.signal.reason).toBeInstanceOf(LockLostError);
    expect((lock.signal.reason as LockLostError).reason).toBe('session-expired');
  });

  it('a loss after the signal was read aborts it and fires its listeners once; the first reason wins', () => {
    const lock = newLock();
    const reasons: string[] = [];
    lock.signal.addEventListener('abort', () => reasons.push((lock.signal.reason as LockLostError).reason));
    expect(lock.signal.aborted).toBe(false);
    lock.markLost('session-lost');
    lock.markLost('closed');
    expect(reasons).toEqual(['session-lost']);
  });

  it('stays un-aborted after a normal release, even if a loss is reported later', async () => {
    const lock = newLock();
    await lock.release();
    lock.markLost('session-expired');
    expect(lock.released).toBe(true);
    expect(lock.signal.aborted).toBe(false);
  });
});
