import { describe, expect, it } from 'vitest';
import { queueAfterReentry, TailGuesses } from '../../src/zookeeper/predecessor-watch.js';
import type { ZkSession } from '../../src/zookeeper/zk-session.js';

const name = (uuidDigit: string, seq: number): string =>
  `_c_${uuidDigit.repeat(8)}-0000-0000-0000-000000000000-lock-${String(seq).padStart(10, '0')}`;
const session = {} as ZkSession;
const other = {} as ZkSession;

describe('re-entry without a listing (pure logic)', () => {
  it("keeps the grant's contenders, tail and newest sequence (ours and ignored nodes count only for the sequence)", () => {
    const tails = new TailGuesses();
    const ours = name('a', 4);
    const orphan = name('a', 9);
    tails.granted(session, '/p', [name('b', 6), ours, 'malformed', orphan, name('c', 7)], ours, new Set([orphan]));
    expect(tails.take(other, '/p')).toBeUndefined(); // another session's grant is no use (and is used up)
    tails.granted(session, '/p', [name('b', 6), ours, 'malformed', orphan, name('c', 7)], ours, new Set([orphan]));
    const grant = tails.take(session, '/p')!;
    expect(grant).toMatchObject({ ourName: ours, tail: name('c', 7), newest: 9 });
    expect(grant.contenders).toEqual([name('b', 6), 'malformed', name('c', 7)]);
    expect(tails.take(session, '/p')).toBeUndefined(); // once per grant
  });

  it('takes the queue as known only when the new node got the next sequence after the newest', () => {
    const tails = new TailGuesses();
    const ours = name('a', 4);
    tails.granted(session, '/p', [ours, name('b', 5)], ours, undefined);
    const grant = tails.take(session, '/p')!;
    expect(queueAfterReentry(grant, name('d', 6))).toEqual([name('b', 5), name('d', 6)]);
    // a node was created in between (sequence 6 went to someone else): list
    expect(queueAfterReentry(grant, name('d', 7))).toBeUndefined();
  });

  it('a grant with no parsable sequence (nothing to count from) never skips the listing', () => {
    const tails = new TailGuesses();
    tails.granted(session, '/p', ['malformed'], 'malformed', undefined);
    expect(queueAfterReentry(tails.take(session, '/p')!, name('d', 0))).toBeUndefined();
  });
});
