import type { WriteResult } from '../redis/entry.js';

/** What the coalescer needs to know of a write to order it against the others of its key. */
export interface CoalescibleWrite {
  /** The write's timestamp. */
  readonly timestamp: bigint;
  /** A value (or "missing") orders above a tombstone at the same timestamp. */
  readonly kind: 'value' | 'tombstone';
}

/**
 * Sends one write for `key`: takes the key's lock, then calls `take()` (once, while holding it) for
 * the write to send, and resolves with the compare script's answer. Rejects (lock timeout,
 * connection) before or after `take()`.
 */
export type SendWrite<W> = (key: string, take: () => W) => Promise<WriteResult>;

/** Reports the result a folded call gets (events); returns it. */
export type ReportFolded<W> = (key: string, write: W, result: WriteResult) => WriteResult;

interface Member<W> {
  readonly write: W;
  resolve(result: WriteResult): void;
  reject(error: unknown): void;
}

interface Group<W> {
  readonly members: Member<W>[];
  winner: Member<W>;
}

interface Slot<W> {
  /** Calls waiting for the lock; the next one sent. */
  open?: Group<W>;
  /** The group whose write was taken (under the lock) and has not settled. */
  sent?: Group<W>;
}

/**
 * Folds concurrent writes of one key in this process into one lock cycle and one script call.
 *
 * Why the answers are the script's: every call folded into a group was in flight while the others
 * were, so any order of them is a valid sequential history. We pick "the winner first, then the
 * rest": the winner gets the script's real answer; after it Redis holds the winner's timestamp (or,
 * if it was stale, a newer one: `current`), so each other call, being no newer, gets what the
 * ordering table says against that entry (see {@link foldedResult}). A call older than a write
 * already queued or sent is `stale` at once, as it would be right after that write. Should that
 * write then fail, its callers get the error (and must retry or invalidate, which covers the
 * older call too); a failure reaches every call folded into the failed group.
 */
export class WriteCoalescer<W extends CoalescibleWrite> {
  readonly #slots = new Map<string, Slot<W>>();
  readonly #send: SendWrite<W>;
  readonly #report: ReportFolded<W>;

  constructor(send: SendWrite<W>, report: ReportFolded<W>) {
    this.#send = send;
    this.#report = report;
  }

  /** Writes `write` to `key`, folded with the other writes of `key` in flight in this process. */
  write(key: string, write: W): Promise<WriteResult> {
    let slot = this.#slots.get(key);
    if (!slot) {
      slot = {};
      this.#slots.set(key, slot);
    }
    const newest = newestOf(slot);
    if (newest !== undefined && write.timestamp < newest)
      return Promise.resolve(this.#report(key, write, { status: 'stale', current: newest }));
    return new Promise<WriteResult>((resolve, reject) => {
      const member: Member<W> = { write, resolve, reject };
      const open = slot.open;
      if (open) {
        open.members.push(member);
        if (outranks(write, open.winner.write)) open.winner = member;
        return;
      }
      const group: Group<W> = { members: [member], winner: member };
      slot.open = group;
      this.#run(key, slot, group);
    });
  }

  #run(key: string, slot: Slot<W>, group: Group<W>): void {
    const take = (): W => {
      // Sealed: later calls queue in a new group (the next lock cycle) or are stale at once.
      if (slot.open === group) slot.open = undefined;
      slot.sent = group;
      return group.winner.write;
    };
    this.#send(key, take).then(
      (result) => {
        this.#finish(key, slot, group);
        for (const member of group.members) {
          if (member === group.winner) {
            member.resolve(result);
            continue;
          }
          // A throwing event listener fails its own call only, never strands the rest of the group.
          try {
            member.resolve(this.#report(key, member.write, foldedResult(group.winner.write, result, member.write)));
          } catch (error) {
            member.reject(error);
          }
        }
      },
      (error: unknown) => {
        this.#finish(key, slot, group);
        for (const member of group.members) member.reject(error);
      },
    );
  }

  #finish(key: string, slot: Slot<W>, group: Group<W>): void {
    if (slot.open === group) slot.open = undefined;
    if (slot.sent === group) slot.sent = undefined;
    if (!slot.open && !slot.sent && this.#slots.get(key) === slot) this.#slots.delete(key);
  }

  /** Keys with writes queued or in flight (for tests and close). */
  get size(): number {
    return this.#slots.size;
  }
}

/** True when `a` belongs after `b` in the ordering table: a newer timestamp, or a value over a tombstone at the same one. */
export function outranks(a: CoalescibleWrite, b: CoalescibleWrite): boolean {
  if (a.timestamp !== b.timestamp) return a.timestamp > b.timestamp;
  return a.kind === 'value' && b.kind === 'tombstone';
}

/**
 * The script's answer to `folded` (no newer than `winner`) run right after `winner` got `result`:
 * - winner stale: Redis holds `current` ≥ folded's timestamp; equal only when the winner was a
 *   tombstone refused by a value at that timestamp, and folded (no higher-ranked) is a tombstone
 *   too, which a value refuses: stale either way.
 * - older than the winner: stale, current = the winner's timestamp.
 * - same timestamp and kind: duplicate (the winner's entry is there, fresh).
 * - a tombstone at the timestamp of a winning value: stale (the value is the committed one).
 */
export function foldedResult(winner: CoalescibleWrite, result: WriteResult, folded: CoalescibleWrite): WriteResult {
  if (result.status === 'stale') return { ...result }; // its reason too (version, or epoch: see docs/design.md)
  if (folded.timestamp < winner.timestamp || folded.kind !== winner.kind)
    return { status: 'stale', current: winner.timestamp };
  return { status: 'duplicate', current: winner.timestamp };
}

function newestOf<W extends CoalescibleWrite>(slot: Slot<W>): bigint | undefined {
  const a = slot.open?.winner.write.timestamp;
  const b = slot.sent?.winner.write.timestamp;
  // bigints: Math.max does not take them
  if (a === undefined || (b !== undefined && b > a)) return b;
  return a;
}
