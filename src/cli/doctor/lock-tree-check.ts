import { decodeKeyFromZnodeName } from '../../core/key.js';
import type { RawClient, RawStat } from '../../zookeeper/client-module.js';
import { parseLockName } from '../../zookeeper/lock-node-name.js';
import { isPersistent } from '../../zookeeper/lock-state.js';
import type { CheckResult } from './check.js';

/** At most this many offending paths are named in the check's detail; the rest are counted. */
const NAMED = 5;

/**
 * Walks the lock root (`<root>/<encoded key>/<contender>`) and flags every node that is not where
 * the recipe puts one: a root child that is not an encoded key, a key child not named like a
 * contender, or a contender-named node that is persistent. Under the default open ACL anyone can
 * create such nodes; the recipe ignores them (and says so), doctor shows them so they can be removed.
 */
export async function checkLockTree(client: RawClient, root: string): Promise<CheckResult> {
  const keys = await children(client, root);
  if (keys === undefined) {
    return { server: 'zookeeper', check: 'lock tree', status: 'ok', detail: `${root} does not exist yet` };
  }
  const problems: string[] = [];
  let contenders = 0;
  await Promise.all(
    keys.map(async (name) => {
      const parent = `${root}/${name}`;
      if (!isEncodedKey(name)) problems.push(`${parent} (not a key)`);
      const names = (await children(client, parent)) ?? [];
      await Promise.all(
        names.map(async (child) => {
          const path = `${parent}/${child}`;
          if (parseLockName(child) === undefined) return void problems.push(`${path} (not a contender name)`);
          const stat = await exists(client, path);
          if (stat === null) return; // released meanwhile
          if (isPersistent(stat)) problems.push(`${path} (persistent, not a contender)`);
          else contenders++;
        }),
      );
    }),
  );
  if (problems.length === 0) {
    return {
      server: 'zookeeper',
      check: 'lock tree',
      status: 'ok',
      detail: `${root}: ${keys.length} key(s), ${contenders} ephemeral contender(s), nothing else`,
    };
  }
  problems.sort();
  const more = problems.length > NAMED ? ` and ${problems.length - NAMED} more` : '';
  return {
    server: 'zookeeper',
    check: 'lock tree',
    status: 'warn',
    detail: `${problems.length} node(s) under ${root} are not ephemeral lock contenders (ignored by the lock, delete them): ${problems.slice(0, NAMED).join(', ')}${more}`,
  };
}

function isEncodedKey(name: string): boolean {
  try {
    decodeKeyFromZnodeName(name);
    return true;
  } catch {
    return false;
  }
}

/** Child names, or `undefined` when the node does not exist. */
function children(client: RawClient, path: string): Promise<string[] | undefined> {
  return new Promise((resolve, reject) => {
    client.getChildren(path, (error, names) => {
      if (error?.name === 'NO_NODE') resolve(undefined);
      else if (error) reject(new Error(`getChildren ${path}: ${error.name}`));
      else resolve(names);
    });
  });
}

function exists(client: RawClient, path: string): Promise<RawStat | null> {
  return new Promise((resolve, reject) => {
    client.exists(path, (error, stat) => {
      if (error) reject(new Error(`exists ${path}: ${error.name}`));
      else resolve(stat);
    });
  });
}
