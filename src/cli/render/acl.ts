/** One ACL entry as the doctor reads it: `perms` as letters, a subset of `cdrwa`. */
export interface AclEntry {
  scheme: string;
  id: string;
  perms: string;
}

const WRITE_LETTERS: Record<string, string> = { c: 'create', d: 'delete', w: 'write', a: 'change the ACL of' };

/**
 * What an ACL lets clients without a credential do, in words: `open to anyone` only when anyone may
 * write (create, delete, write or administer); `readable by anyone, writable only by digest:app:…` for
 * a creator ACL with world-read; `private to …` without a world entry.
 */
export function describeAclExposure(acl: readonly AclEntry[]): string {
  const world = acl.filter((a) => a.scheme === 'world' && a.id === 'anyone');
  const worldPerms = new Set(world.flatMap((a) => [...a.perms]));
  const owners = acl.filter((a) => !(a.scheme === 'world' && a.id === 'anyone')).map((a) => `${a.scheme}:${a.id}`);
  const writes = Object.keys(WRITE_LETTERS).filter((p) => worldPerms.has(p));
  if (writes.length > 0) {
    const can = writes.map((p) => WRITE_LETTERS[p]).join(', ');
    return `open to anyone: any client may ${can} these znodes`;
  }
  const ownersText = owners.length > 0 ? owners.join(', ') : 'nobody';
  if (worldPerms.has('r')) return `readable by anyone, writable only by ${ownersText}`;
  return `private to ${ownersText}`;
}
