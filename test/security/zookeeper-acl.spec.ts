import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ZooKeeperError } from '../../src/errors.js';
import type { StartedStack } from '../../src/testing/index.js';
import { zookeeperHosts } from '../../src/zookeeper/connect-string.js';
import {
  digestAclId,
  LockManager,
  ZooKeeperConnection,
  type ZooKeeperConnectionOptions,
} from '../../src/zookeeper/index.js';
import { needs, startTestStack } from '../support/stack.js';
import { reachesState } from '../zookeeper/helpers.js';
import { TcpProxy } from '../zookeeper/tcp-proxy.js';

const exclusive = needs('exclusive', 'creates znodes only its credentials can remove, and restarts ZooKeeper');

const CREDENTIAL = 'zkoc:s3cret-lock-pass';
const PASSWORD = 's3cret-lock-pass';
const OWNER = { auth: [{ scheme: 'digest' as const, credentials: CREDENTIAL }], acl: 'creator' as const };
let roots = 0;

describe('ZooKeeper digest ACLs on the lock root', exclusive, () => {
  let stack: StartedStack;
  const opened: ZooKeeperConnection[] = [];

  const connect = async (options: Partial<ZooKeeperConnectionOptions> = {}): Promise<ZooKeeperConnection> => {
    const zk = await ZooKeeperConnection.connect({
      connectString: stack.zookeeper.connectString,
      sessionTimeoutMs: 4_000,
      connectTimeoutMs: 3_000,
      ...options,
    });
    opened.push(zk);
    return zk;
  };
  const newRoot = (): string => `/zkoc/acl-${process.pid}-${++roots}/locks`;
  // parentLingerMs 0: a key's parent goes with its last node, so "nothing left" is observable at once
  const manager = (zk: ZooKeeperConnection, root: string): LockManager =>
    new LockManager(zk, { root, timeoutMs: 4_000, parentLingerMs: 0 });

  /** The rejection of `work`, which must be a NO_AUTH ZooKeeperError naming `path` and the missing credential. */
  const refusedNoAuth = async (work: Promise<unknown>, path: string): Promise<ZooKeeperError> => {
    const error = await work.then(
      () => {
        throw new Error('expected a NO_AUTH refusal, the request succeeded');
      },
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ZooKeeperError);
    const zkError = error as ZooKeeperError;
    expect(zkError.zkCode).toBe('NO_AUTH');
    expect(zkError.message).toContain(path);
    expect(zkError.message).toMatch(/lacks the credential/);
    expect(zkError.message).not.toContain(PASSWORD);
    return zkError;
  };

  beforeAll(async () => {
    stack = await startTestStack();
  });
  afterAll(async () => {
    await Promise.all(opened.map((zk) => zk.close()));
    await stack?.stop();
  });

  it('creates the root, its ancestors, the key parent and the lock node with the creator ACL plus world read', async () => {
    const owner = await connect(OWNER);
    const root = newRoot();
    const lock = await manager(owner, root).acquire('product:1');
    try {
      const session = await owner.liveSession();
      const expected = [
        { scheme: 'digest', id: digestAclId(CREDENTIAL), permission: 31 },
        { scheme: 'world', id: 'anyone', permission: 1 },
      ];
      for (const path of [
        root.slice(0, root.lastIndexOf('/')),
        root,
        lock.path.slice(0, lock.path.lastIndexOf('/')),
        lock.path,
      ]) {
        const acl = (await session.getAcl(path)).map((a) => ({
          scheme: a.id.scheme,
          id: a.id.id,
          permission: a.permission,
        }));
        expect(acl, path).toEqual(expected);
      }
    } finally {
      await lock.release();
    }
  });

  it("a client without the credential cannot delete the holder's node nor create one, and is told so at once", async () => {
    const owner = await connect(OWNER);
    const intruder = await connect();
    const root = newRoot();
    const held = await manager(owner, root).acquire('product:2');
    try {
      const intruderSession = await intruder.liveSession();
      await refusedNoAuth(intruderSession.remove(held.path), held.path);
      expect(await intruderSession.exists(held.path)).not.toBeNull();
      expect(held.signal.aborted).toBe(false);

      // the key's parent exists (create refused) and a key whose parent does not (parent create refused):
      // both fail fast with NO_AUTH, not a LockTimeoutError after spinning for timeoutMs
      const intruderLocks = manager(intruder, root);
      for (const key of ['product:2', 'product:never-locked']) {
        const started = performance.now();
        await refusedNoAuth(intruderLocks.acquire(key, { timeoutMs: 4_000 }), root);
        expect(performance.now() - started).toBeLessThan(2_000);
      }
      expect(await intruderSession.getChildren(root)).toEqual([held.path.split('/').at(-2)]);
      expect(await intruderSession.getChildren(held.path.slice(0, held.path.lastIndexOf('/')))).toEqual([
        held.path.split('/').at(-1),
      ]);

      // world READ: tools without the credential still see who holds it
      const state = await intruderLocks.state('product:2');
      expect(state.holder?.path).toBe(held.path);
    } finally {
      await held.release();
    }
  });

  it('a wrong password is refused the same way', async () => {
    const owner = await connect(OWNER);
    const wrong = await connect({ auth: [{ scheme: 'digest', credentials: 'zkoc:not-the-password' }], acl: 'creator' });
    const root = newRoot();
    const held = await manager(owner, root).acquire('product:3');
    try {
      const error = await refusedNoAuth((await wrong.liveSession()).remove(held.path), held.path);
      expect(error.message).not.toContain('not-the-password');
      await refusedNoAuth(manager(wrong, root).acquire('product:3'), root);
    } finally {
      await held.release();
    }
  });

  it('a second client with the credential waits for the holder and then acquires', async () => {
    const first = await connect(OWNER);
    const second = await connect(OWNER);
    const root = newRoot();
    const held = await manager(first, root).acquire('product:4');
    const waiting = manager(second, root).acquire('product:4', { timeoutMs: 8_000 });
    const waiterSeen = await waitFor(
      async () => (await manager(first, root).state('product:4')).waiters.length === 1,
      3_000,
    );
    expect(waiterSeen).toBe(true);
    await held.release();
    const next = await waiting;
    expect(next.key).toBe('product:4');
    await next.release();
  });

  it('readableByAnyone: false hides the lock tree from clients without the credential', async () => {
    const owner = await connect({ ...OWNER, readableByAnyone: false });
    const outsider = await connect();
    const root = newRoot();
    const held = await manager(owner, root).acquire('product:5');
    try {
      await refusedNoAuth(manager(outsider, root).state('product:5'), root);
      expect((await manager(owner, root).state('product:5')).holder?.path).toBe(held.path);
    } finally {
      await held.release();
    }
  });

  it('an explicit digest ACL built with digestAclId admits that user and refuses another credential', async () => {
    // not under /zkoc: the earlier tests created /zkoc with zkoc's creator ACL, so "ops" may not create there
    const root = `/ops-${process.pid}/locks`;
    const ops = { scheme: 'digest' as const, credentials: 'ops:ops-pass-123' };
    const admin = await connect({
      auth: [ops],
      acl: [{ scheme: 'digest', id: digestAclId(ops.credentials), perms: ['all'] }],
      readableByAnyone: false,
    });
    const sameUser = await connect({ auth: [ops] });
    const otherUser = await connect({ auth: [{ scheme: 'digest', credentials: CREDENTIAL }] });
    const held = await manager(admin, root).acquire('product:6');
    await held.release();
    const sameLocks = manager(sameUser, root);
    const again = await sameLocks.acquire('product:6');
    await again.release();
    // release() does not wait for the delete: until it commits, the key's parent (created by
    // sameUser, open ACL) still exists and another credential could queue under it
    await sameLocks.settled();
    await refusedNoAuth(manager(otherUser, root).acquire('product:6'), root);
  });

  // node-zookeeper-client queued its AUTH packet behind the requests waiting for the link: a release
  // sent while the link was down reached the server unauthenticated, was refused NO_AUTH, and the
  // lock stayed held by a live session (src/zookeeper/reconnect-order.ts).
  it('a release sent while the link is down reaches the server after the credential, not before', async () => {
    const [target] = zookeeperHosts(stack.zookeeper.connectString);
    const via = await TcpProxy.start(target!);
    try {
      const owner = await connect({ ...OWNER, connectString: via.connectString, sessionTimeoutMs: 8_000 });
      const root = newRoot();
      const locks = manager(owner, root);
      const refused: unknown[] = [];
      locks.on('release-failed', (_key, _path, error) => refused.push(error));
      const lock = await locks.acquire('product:8');
      via.sever();
      await reachesState(owner, 'suspended', 5_000);
      await lock.release(); // the delete waits in the client's queue for the next connection
      via.heal();
      await reachesState(owner, 'connected', 5_000);
      await locks.settled();
      expect(refused).toEqual([]);
      const checker = await connect(OWNER);
      const session = await checker.liveSession();
      expect(await session.exists(lock.path)).toBeFalsy();
    } finally {
      await via.close();
    }
  });

  // ZooKeeper authentication belongs to the TCP connection: it must be sent again after a reconnect
  // (same session) and for every replacement session, or the owner itself would be refused.
  it('the credential is re-sent after a server restart (same session) and on a replacement session after expiry', async () => {
    const owner = await connect({ ...OWNER, sessionTimeoutMs: 8_000 });
    const root = newRoot();
    const locks = manager(owner, root);
    await (await locks.acquire('product:7')).release();
    const firstSession = owner.sessionId;

    const reconnected = new Promise<void>((resolve) => {
      const onState = (state: string): void => {
        if (state !== 'connected') return;
        owner.off('state', onState);
        resolve();
      };
      owner.on('state', onState);
    });
    await stack.zookeeper.restart();
    await reconnected;
    expect(owner.sessionId).toBe(firstSession);
    const afterRestart = await locks.acquire('product:7-restart', { timeoutMs: 5_000 });
    expect(afterRestart.sessionId).toBe(firstSession);
    await afterRestart.release();

    const { sessionId, password } = owner.sessionCredentials();
    await stack.expireSession(sessionId, password);
    const afterExpiry = await locks.acquire('product:7-expiry', { timeoutMs: 15_000 });
    expect(afterExpiry.sessionId).not.toBe(firstSession);
    const session = await owner.liveSession();
    expect((await session.getAcl(afterExpiry.path)).map((a) => a.id.id)).toContain(digestAclId(CREDENTIAL));
    await afterExpiry.release();
  });
});

async function waitFor(check: () => Promise<boolean>, withinMs: number): Promise<boolean> {
  const deadline = performance.now() + withinMs;
  while (performance.now() < deadline) {
    if (await check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return false;
}
