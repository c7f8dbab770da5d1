import { randomUUID } from 'node:crypto';

/**
 * Names of lock contender znodes: `_c_<uuid>-lock-<10-digit sequence>`. The `_c_<uuid>-` prefix is
 * Curator's "protected" mode (find our own node after a lost create reply); the sequence, appended by
 * ZooKeeper, alone decides the order.
 */

// `_c_` + 36 uuid characters + `-lock-` + 10 digits
const UUID_START = 3;
const MARK_START = UUID_START + 36;
const SEQUENCE_START = MARK_START + '-lock-'.length;
const NAME_LENGTH = SEQUENCE_START + 10;

/**
 * The sequence of a contender name (`_c_<uuid>-lock-<10 digits>`, uuid characters `[0-9a-f-]`), or
 * -1 for any other name. Runs on every child of every listing, so it reads characters instead of
 * matching a regular expression: no match arrays, no substrings (they were most of a handoff's
 * garbage in our code).
 */
export function lockSequence(name: string): number {
  if (name.length !== NAME_LENGTH || !name.startsWith('_c_') || !name.startsWith('-lock-', MARK_START)) return -1;
  for (let i = UUID_START; i < MARK_START; i++) {
    const c = name.charCodeAt(i);
    if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102) || c === 45)) return -1; // 0-9 a-f -
  }
  let sequence = 0;
  for (let i = SEQUENCE_START; i < NAME_LENGTH; i++) {
    const digit = name.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return -1;
    sequence = sequence * 10 + digit;
  }
  return sequence;
}

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
  const sequence = lockSequence(name);
  return sequence < 0 ? undefined : { name, uuid: name.slice(UUID_START, MARK_START), sequence };
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
  return parsed.sort((a, b) => a.sequence - b.sequence || (a.name < b.name ? -1 : 1)); // ties: as getsTheLock
}

/**
 * Curator's `getsTheLock` for a mutex: we hold the lock when our node sorts first; otherwise we watch
 * only the node right before ours. `ourIndex` (how many contenders are ahead of us) is -1 when our
 * node is missing from `children`. Names in `ignored` do not count (see {@link sortLockNames}). One
 * pass, no sorting and no allocation: it runs on every listing of every contender.
 */
export function getsTheLock(
  children: readonly string[],
  ourName: string,
  ignored?: ReadonlySet<string>,
): { getsTheLock: boolean; pathToWatch?: string; ourIndex: number } {
  const ourSequence = lockSequence(ourName);
  let found = false;
  let ourIndex = 0;
  let pathToWatch: string | undefined;
  let watchedSequence = -1;
  for (const child of children) {
    if (child === ourName) {
      found = ourSequence >= 0 && !ignored?.has(child);
      continue;
    }
    const sequence = lockSequence(child);
    // equal sequences cannot come from ZooKeeper; ordered by name, every contender agrees anyway
    if (sequence < 0 || sequence > ourSequence || (sequence === ourSequence && child > ourName)) continue;
    if (ignored?.has(child)) continue;
    ourIndex++;
    if (sequence > watchedSequence || (sequence === watchedSequence && child > pathToWatch!)) {
      watchedSequence = sequence;
      pathToWatch = child;
    }
  }
  if (!found) return { getsTheLock: false, ourIndex: -1 };
  return ourIndex === 0 ? { getsTheLock: true, ourIndex } : { getsTheLock: false, pathToWatch, ourIndex };
}
