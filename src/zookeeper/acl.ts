import { createHash } from 'node:crypto';
import { type OptionNamer, optionNamer } from '../core/option-checks.js';
import { InvalidOptionsError } from '../errors.js';
import { type RawAcl, zookeeperModule } from './client-module.js';

/** A ZooKeeper permission bit, by name. */
export type ZooKeeperPermission = 'read' | 'write' | 'create' | 'delete' | 'admin' | 'all';

/** One explicit ACL entry, e.g. `{ scheme: 'digest', id: digestAclId('zkoc:secret'), perms: ['all'] }`. */
export interface ZooKeeperAclEntry {
  /** `world` (id `anyone`), `auth` (every identity of the creating session), `digest`, or `ip`. */
  scheme: 'world' | 'auth' | 'digest' | 'ip';
  /** `anyone`, `''` for `auth`, `user:base64(sha1(user:password))` for `digest`, an address for `ip`. */
  id: string;
  /** Non-empty list of permissions granted to `id`. */
  perms: readonly ZooKeeperPermission[];
}

/**
 * ACL given to every znode this library creates (the lock root, its missing ancestors, per-key
 * parents, contender nodes). `open`: anyone may do anything (ZooKeeper's `OPEN_ACL_UNSAFE`).
 * `creator`: everything for the identities of the creating session's `auth` (ZooKeeper's
 * `CREATOR_ALL_ACL`; needs at least one `auth` credential). Or an explicit list.
 */
export type ZooKeeperAclSpec = 'open' | 'creator' | readonly ZooKeeperAclEntry[];

const PERMISSION_BITS: Record<ZooKeeperPermission, number> = {
  read: 1,
  write: 2,
  create: 4,
  delete: 8,
  admin: 16,
  all: 31,
};

/**
 * The digest ACL id of a `user:password` credential: `user:base64(sha1("user:password"))`, what
 * ZooKeeper compares a session's `addAuthInfo('digest', …)` against.
 * @throws InvalidOptionsError when `credentials` is not `user:password`.
 */
export function digestAclId(credentials: string): string {
  const colon = typeof credentials === 'string' ? credentials.indexOf(':') : -1;
  if (colon <= 0) throw new InvalidOptionsError('digest credentials must be a "user:password" string');
  const user = credentials.slice(0, colon);
  return `${user}:${createHash('sha1').update(credentials, 'utf8').digest('base64')}`;
}

/**
 * Turns `acl` into node-zookeeper-client ACL objects. With `readableByAnyone`, a world READ entry is
 * added (unless the list already grants world read), so tools without the credential can still list
 * lock holders and waiters.
 * @throws InvalidOptionsError naming `acl` (never the credential) for a malformed spec, or `creator`
 *   without any `auth` credential (the server would answer INVALID_ACL).
 */
export function resolveAcl(
  acl: ZooKeeperAclSpec,
  readableByAnyone: boolean,
  authCount: number,
  name: OptionNamer = optionNamer(),
): RawAcl[] {
  const { ACL, Id, Permission } = zookeeperModule;
  if (acl === 'open') return [new ACL(Permission.ALL, new Id('world', 'anyone'))];
  const entries: RawAcl[] = [];
  if (acl === 'creator') {
    if (authCount === 0)
      throw new InvalidOptionsError(
        `${name('acl')} "creator" needs at least one ${name('auth')} credential (the creator's identity)`,
      );
    entries.push(new ACL(Permission.ALL, new Id('auth', '')));
  } else if (Array.isArray(acl) && acl.length > 0) {
    acl.forEach((entry, i) => {
      const at = `${name('acl')}[${i}]`;
      entries.push(new ACL(permissionBits(entry, at), new Id(schemeOf(entry, at), idOf(entry, at))));
    });
    if (acl.some((entry) => entry.scheme === 'auth') && authCount === 0) {
      throw new InvalidOptionsError(
        `an ${name('acl')} entry with scheme "auth" needs at least one ${name('auth')} credential`,
      );
    }
  } else {
    throw new InvalidOptionsError(
      `${name('acl')} must be "open", "creator", or a non-empty array of { scheme, id, perms }`,
    );
  }
  const worldReads = entries.some((e) => e.id.scheme === 'world' && (e.permission & Permission.READ) !== 0);
  if (readableByAnyone && !worldReads) entries.push(new ACL(Permission.READ, new Id('world', 'anyone')));
  return entries;
}

function schemeOf(entry: ZooKeeperAclEntry, at: string): string {
  if (!['world', 'auth', 'digest', 'ip'].includes(entry?.scheme)) {
    throw new InvalidOptionsError(`${at}.scheme must be "world", "auth", "digest" or "ip"`);
  }
  return entry.scheme;
}

function idOf(entry: ZooKeeperAclEntry, at: string): string {
  if (typeof entry.id !== 'string') throw new InvalidOptionsError(`${at}.id must be a string`);
  // A digest id is `user:hash`; a raw `user:password` here would be a credential stored in plain sight.
  if (entry.scheme === 'digest' && !/^[^:]+:[A-Za-z0-9+/]{27}=$/.test(entry.id)) {
    throw new InvalidOptionsError(
      `${at}.id must be a digest id "user:base64(sha1(user:password))"; build it with digestAclId("user:password")`,
    );
  }
  return entry.id;
}

function permissionBits(entry: ZooKeeperAclEntry, at: string): number {
  if (!Array.isArray(entry?.perms) || entry.perms.length === 0) {
    throw new InvalidOptionsError(
      `${at}.perms must be a non-empty array of "read", "write", "create", "delete", "admin", "all"`,
    );
  }
  let bits = 0;
  for (const perm of entry.perms) {
    const bit = PERMISSION_BITS[perm as ZooKeeperPermission];
    if (bit === undefined) throw new InvalidOptionsError(`${at}.perms has unknown permission ${JSON.stringify(perm)}`);
    bits |= bit;
  }
  return bits;
}
