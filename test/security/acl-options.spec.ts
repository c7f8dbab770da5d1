import { describe, expect, it } from 'vitest';
import { parseOptions } from '../../src/cache/options.js';
import { zkAuthSecrets, zookeeperAccess } from '../../src/cli/connection-options.js';
import { Redactor } from '../../src/cli/redactor.js';
import { InvalidOptionsError } from '../../src/errors.js';
import { digestAclId, resolveAcl } from '../../src/zookeeper/acl.js';
import { parseConnectionOptions } from '../../src/zookeeper/connection-options.js';

const simplify = (acl: ReturnType<typeof resolveAcl>) => acl.map((a) => `${a.id.scheme}:${a.id.id}=${a.permission}`);

describe('ZooKeeper ACL options (pure logic)', () => {
  it("digestAclId matches ZooKeeper's own DigestAuthenticationProvider", () => {
    // `java … DigestAuthenticationProvider ops:ops-pass-123` prints ops:1v7ozb6B1STch4ZMWYjKnzLRwY4=
    expect(digestAclId('ops:ops-pass-123')).toBe('ops:1v7ozb6B1STch4ZMWYjKnzLRwY4=');
  });

  it('resolves open, creator (+ world read unless readableByAnyone is false) and explicit entries', () => {
    expect(simplify(resolveAcl('open', true, 0))).toEqual(['world:anyone=31']);
    expect(simplify(resolveAcl('creator', true, 1))).toEqual(['auth:=31', 'world:anyone=1']);
    expect(simplify(resolveAcl('creator', false, 1))).toEqual(['auth:=31']);
    const ops = digestAclId('ops:pw');
    expect(simplify(resolveAcl([{ scheme: 'digest', id: ops, perms: ['read', 'create', 'delete'] }], true, 0))).toEqual(
      [`digest:${ops}=13`, 'world:anyone=1'],
    );
    expect(simplify(resolveAcl([{ scheme: 'world', id: 'anyone', perms: ['read', 'write'] }], true, 0))).toEqual([
      'world:anyone=3',
    ]);
  });

  it('rejects bad ACL options with InvalidOptionsError naming the option, never echoing a credential', () => {
    const cases: [unknown, RegExp][] = [
      ['creator', /^acl "creator" needs at least one auth credential/],
      ['everyone', /acl must be "open", "creator"/],
      [[], /acl must be "open", "creator"/],
      [[{ scheme: 'digest', id: 'ops:plain-password', perms: ['all'] }], /acl\[0\]\.id must be a digest id/],
      [[{ scheme: 'sasl', id: 'x', perms: ['all'] }], /acl\[0\]\.scheme/],
      [[{ scheme: 'world', id: 'anyone', perms: ['everything'] }], /acl\[0\]\.perms has unknown permission/],
      [[{ scheme: 'auth', id: '', perms: ['all'] }], /scheme "auth" needs at least one auth credential/],
    ];
    for (const [acl, message] of cases) {
      let error: unknown;
      try {
        resolveAcl(acl as never, true, 0);
      } catch (e) {
        error = e;
      }
      expect(error, JSON.stringify(acl)).toBeInstanceOf(InvalidOptionsError);
      expect((error as Error).message).toMatch(message);
      expect((error as Error).message).not.toContain('plain-password');
    }
  });

  it('OrderedCache and ZooKeeperConnection options validate acl before connecting', () => {
    const base = {
      zookeeper: { connectString: '127.0.0.1:2181', acl: 'creator' as const },
      redis: 'redis://127.0.0.1:6379',
      namespace: 'ns',
    };
    // named as the cache's caller wrote them
    expect(() => parseOptions(base)).toThrow(/^zookeeper\.acl "creator" needs at least one zookeeper\.auth credential/);
    expect(() => parseOptions({ ...base, zookeeper: { ...base.zookeeper, acl: [] } })).toThrow(
      /^zookeeper\.acl must be "open", "creator"/,
    );
    expect(() => parseOptions({ ...base, zookeeper: { ...base.zookeeper, readableByAnyone: 'yes' as never } })).toThrow(
      /^zookeeper\.readableByAnyone must be a boolean, got string "yes"$/,
    );
    const parsed = parseOptions({
      ...base,
      zookeeper: { ...base.zookeeper, auth: [{ scheme: 'digest', credentials: 'a:b' }], readableByAnyone: false },
    });
    expect(parsed.zookeeper).toMatchObject({ acl: 'creator', readableByAnyone: false });
    expect(simplify([...parseConnectionOptions(parsed.zookeeper).acl])).toEqual(['auth:=31']);
    expect(simplify([...parseConnectionOptions({ connectString: '127.0.0.1:2181' }).acl])).toEqual(['world:anyone=31']);
  });
});

describe('zkoc --zk-auth plumbing', () => {
  it('zookeeperAccess: the credential and the creator ACL with --zk-auth, nothing without', () => {
    const connection = { zk: 'h:1', redis: 'redis://h', namespace: 'n', timeoutMs: 1, json: false };
    expect(zookeeperAccess(connection)).toEqual({});
    expect(zookeeperAccess({ ...connection, zkAuth: 'u:p' })).toEqual({
      auth: [{ scheme: 'digest', credentials: 'u:p' }],
      acl: 'creator',
    });
  });

  it('the Redactor masks --zk-auth credentials from argv (both forms) and ZKOC_ZK_AUTH', () => {
    const secrets = zkAuthSecrets(['node', 'zkoc', '--zk-auth', 'ops:argv-pass-1', '--zk-auth=ops:eq-pass-2'], {
      ZKOC_ZK_AUTH: 'ops:env-pass-3',
    });
    const redactor = new Redactor([], secrets);
    const text = redactor.redact('ops:argv-pass-1 | argv-pass-1 | eq-pass-2 | env-pass-3 | timestamp 12345');
    expect(text).not.toMatch(/argv-pass-1|eq-pass-2|env-pass-3/);
    expect(text).toContain('timestamp 12345');
  });
});
