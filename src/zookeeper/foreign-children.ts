import { lockSequence } from './lock-node-name.js';

/** Why a child under a key's parent is not a contender: not ephemeral, or not named like one. */
export type ForeignNodeReason = 'persistent' | 'malformed';

/**
 * Children of key parents that are not our ephemeral contenders. Under the default open ACL anyone
 * can create them; a persistent one named like a contender would never go away, so queueing behind
 * it would block the key forever. They are ignored in the decision and reported once each.
 */
export class ForeignChildren {
  /** Per key parent: children named like contenders that are persistent, so never contenders. */
  private readonly notContenders = new Map<string, Set<string>>();
  /** Foreign children already reported (bounded: forgetting only means reporting again). */
  private readonly reported = new Set<string>();

  /** @param onForeign told once per child under a key parent that is not a contender. */
  constructor(private readonly onForeign: (key: string, path: string, why: ForeignNodeReason) => void) {}

  /** Reports children whose name is not a contender's (they never count in the decision). */
  reportMalformed(key: string, parentPath: string, children: readonly string[]): void {
    for (const name of children) {
      if (lockSequence(name) < 0) this.report(key, parentPath, name, 'malformed');
    }
  }

  /** `name` under `parentPath` is persistent: it never counts as a contender from now on. */
  ignore(key: string, parentPath: string, name: string): void {
    let names = this.notContenders.get(parentPath);
    if (!names) {
      names = new Set();
      this.notContenders.set(parentPath, names);
    }
    names.add(name);
    this.report(key, parentPath, name, 'persistent');
  }

  /** The names under `parentPath` known not to be contenders. */
  ignoredUnder(parentPath: string): ReadonlySet<string> | undefined {
    return this.notContenders.get(parentPath);
  }

  private report(key: string, parentPath: string, name: string, why: ForeignNodeReason): void {
    const path = `${parentPath}/${name}`;
    if (this.reported.has(path)) return;
    if (this.reported.size >= 10_000) this.reported.clear();
    this.reported.add(path);
    this.onForeign(key, path, why);
  }
}
