import { readFile } from 'node:fs/promises';

/**
 * The uid/gid of `name` from /etc/passwd, or `undefined` when there is no such user.
 * (Node can only report the current user; `id` would need a subprocess.)
 */
export async function lookUpSystemUser(name: string): Promise<{ uid: number; gid: number } | undefined> {
  let passwd: string;
  try {
    passwd = await readFile('/etc/passwd', 'utf8');
  } catch {
    return undefined;
  }
  for (const line of passwd.split('\n')) {
    const [user, , uid, gid] = line.split(':');
    if (user === name && uid !== undefined && gid !== undefined) return { uid: Number(uid), gid: Number(gid) };
  }
  return undefined;
}
