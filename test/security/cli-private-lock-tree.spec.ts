import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StartedStack } from '../../src/testing/index.js';
import { type Lock, LockManager, ZooKeeperConnection } from '../../src/zookeeper/index.js';
import { connectionFlags, runZkoc, spawnZkoc } from '../cli/run-zkoc.js';
import { needs, startTestStack } from '../support/stack.js';

const exclusive = needs('exclusive', 'creates znodes only its credentials can remove');

const NAMESPACE = 'cli-private';
const CREDENTIAL = 'zkoc:zk-private-pass-4d1';
const PASSWORD = 'zk-private-pass-4d1';

// A lock tree created with `readableByAnyone: false`: doctor and watch read it only with --zk-auth.
describe('zkoc doctor and watch on a lock tree that is not world-readable', exclusive, () => {
  let stack: StartedStack;
  let owner: ZooKeeperConnection;
  let held: Lock;
  let common: string[];

  beforeAll(async () => {
    stack = await startTestStack();
    owner = await ZooKeeperConnection.connect({
      connectString: stack.zookeeper.connectString,
      auth: [{ scheme: 'digest', credentials: CREDENTIAL }],
      acl: 'creator',
      readableByAnyone: false,
    });
    held = await new LockManager(owner, { root: `/zkoc/${NAMESPACE}/locks`, label: 'private-worker' }).acquire(
      'private-key',
    );
    common = connectionFlags(stack, NAMESPACE);
  });
  afterAll(async () => {
    await held?.release();
    await owner?.close();
    await stack?.stop();
  });

  const aclCheck = (stdout: string) =>
    (JSON.parse(stdout) as { checks: { server: string; check: string; status: string; detail: string }[] }).checks.find(
      (c) => c.server === 'zookeeper' && c.check === 'acl',
    );

  it('doctor without --zk-auth cannot read the root ACL and fails that check', async () => {
    const run = await runZkoc(['doctor', '--json', ...common]);
    expect(run.code).toBe(1);
    expect(aclCheck(run.stdout)).toMatchObject({ status: 'fail', detail: expect.stringMatching(/NO_AUTH/) });
  });

  it('doctor with --zk-auth reads it, says which user it used, and never prints the password', async () => {
    const run = await runZkoc(['doctor', '--json', ...common, '--zk-auth', CREDENTIAL]);
    expect(aclCheck(run.stdout)).toMatchObject({
      status: 'ok',
      detail: expect.stringMatching(/^\/zkoc\/cli-private ACL digest:zkoc:\S+:cdrwa \(private to digest:zkoc:\S+\)$/),
    });
    expect(run.stdout).toMatch(/session established in .*, with digest credential zkoc/);
    expect(run.stdout + run.stderr).not.toContain(PASSWORD);
  });

  it('watch without --zk-auth fails with NO_AUTH; with it, it lists the held lock', async () => {
    const refused = await runZkoc(['watch', ...common]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/NO_AUTH/);

    const watch = spawnZkoc(['watch', ...common, '--zk-auth', CREDENTIAL]);
    let exitCode: number | null = null;
    try {
      await watch.waitFor((_, stderr) => stderr.includes('Ctrl-C to stop'), 10_000, 'watch start');
      expect(watch.stdout()).toMatch(/"private-key" .*"private-worker"/);
    } finally {
      exitCode = await watch.interrupt();
    }
    expect(exitCode).toBe(130);
    expect(watch.stdout() + watch.stderr()).not.toContain(PASSWORD);
  });
});
