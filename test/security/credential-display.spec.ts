import { inspect } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeAclExposure } from '../../src/cli/render/acl.js';
import type { StartedStack } from '../../src/testing/index.js';
import { ZooKeeperConnection } from '../../src/zookeeper/index.js';
import { startTestStack } from '../support/stack.js';

// Issue 18, item 12 (display part) and issue 12, item 10.
describe('doctor describes what an ACL lets others do', () => {
  it.each([
    [[{ scheme: 'world', id: 'anyone', perms: 'cdrwa' }], /^open to anyone: any client may create, delete, write/],
    [
      [
        { scheme: 'digest', id: 'app:x0=', perms: 'cdrwa' },
        { scheme: 'world', id: 'anyone', perms: 'r' },
      ],
      /^readable by anyone, writable only by digest:app:x0=$/,
    ],
    [[{ scheme: 'digest', id: 'app:x0=', perms: 'cdrwa' }], /^private to digest:app:x0=$/],
    [[{ scheme: 'world', id: 'anyone', perms: 'rc' }], /^open to anyone: any client may create these znodes$/],
  ])('%j → %s', (acl, expected) => {
    expect(describeAclExposure(acl)).toMatch(expected);
  });
});

describe('ZooKeeperConnection.settings does not show the digest credential', () => {
  let stack: StartedStack;
  let zk: ZooKeeperConnection;

  beforeAll(async () => {
    stack = await startTestStack();
    zk = await ZooKeeperConnection.connect({
      connectString: stack.zookeeper.connectString,
      auth: [{ scheme: 'digest', credentials: 'app:Digest-S3cret-42' }],
      acl: 'creator',
    });
  });
  afterAll(async () => {
    await zk?.close();
    await stack?.stop();
  });

  it('settings.auth holds user:*** only', () => {
    expect(zk.settings.auth).toEqual([{ scheme: 'digest', credentials: 'app:***' }]);
    expect(JSON.stringify(zk.settings)).not.toContain('Digest-S3cret-42');
    expect(inspect(zk.settings, { depth: 6 })).not.toContain('Digest-S3cret-42');
  });
});
