import { randomUUID } from 'node:crypto';

/**
 * Names of lock contender znodes: `_c_<uuid>-lock-<10-digit sequence>`. The `_c_<uuid>-` prefix is
 * Curator's "protected" mode (find our own node after a lost create reply); the sequence, appended by
 * ZooKeeper, alone decides the order.
 */

const LOCK_NAME = /^_c_([0-9a-f-]{36})-lock-(\d{10})$/;

/** A fresh protected prefix for one contender, e.g. `_c_1b4e…-lock-`. */
export function newProtectedPrefix(): { uuid: string; prefix: string } {
  const uuid = randomUUID();
  return { uuid, prefix: `_c_${uuid}-lock-` };
}

/** A parsed contender name; `undefined` for names this recipe did not create. */
export interface ParsedLockName {
  name: string;
  uuid: string;
  sequence: number;
}

/** Parses `_c_<uuid>-lock-<seq>`; anything else yields `undefined`. */
export function parseLockName(name: string): ParsedLockName | undefined {
  const match = LOCK_NAME.exec(name);
  if (!match) return undefined;
  return { name, uuid: match[1]!, sequence: Number(match[2]) };
}

/**
 * Contender names in lock order: by the sequence suffix, never by the whole name. Foreign names,
 * and those in `ignored` (known not to be contenders, e.g. persistent nodes), are dropped.
 */
export function sortLockNames(children: readonly string[], ignored?: ReadonlySet<string>): ParsedLockName[] {
  const parsed: ParsedLockName[] = [];
  for (const child of children) {
    if (ignored?.has(child)) continue;
    const lock = parseLockName(child);
    if (lock) parsed.push(lock);
  }
  return parsed.sort((a, b) => a.sequence - b.sequence);
}

/**
 * Curator's `getsTheLock` for a mutex: we hold the lock when our node sorts first; otherwise we watch
 * only the node right before ours. `ourIndex` is -1 when our node is missing from `children`.
 * Names in `ignored` do not count (see {@link sortLockNames}).
 */
export function getsTheLock(
  children: readonly string[],
  ourName: string,
  ignored?: ReadonlySet<string>,
): { getsTheLock: boolean; pathToWatch?: string; ourIndex: number } {
  const sorted = sortLockNames(children, ignored);
  const ourIndex = sorted.findIndex((lock) => lock.name === ourName);
  if (ourIndex <= 0) return { getsTheLock: ourIndex === 0, ourIndex };
  return { getsTheLock: false, pathToWatch: sorted[ourIndex - 1]!.name, ourIndex };
}
