import type { Interleaving } from '../interleavings.js';
import type { RaceStrategy } from '../types.js';

/** The first two steps of every bypass-write failure: a fill of the old row, then a commit nobody hears of. */
const READ_THEN_PLAIN_SQL = [
  'R: GET → miss; SELECT → $100; SET key $100',
  'W (psql, a migration, a job in another language): UPDATE → $50, COMMIT; no cache operation',
];

const fails = (summary: string, ...last: string[]): Interleaving => ({
  verdict: 'fails',
  summary,
  steps: [...READ_THEN_PLAIN_SQL, ...last],
});

/**
 * Every strategy's worst interleaving in `bypass-write`: whatever a strategy does on its own read
 * and write paths, a writer that uses neither leaves the old value cached; only a follower of
 * PostgreSQL's change stream hears of the commit.
 */
export const BYPASS_WRITE_INTERLEAVINGS: Partial<Record<RaceStrategy, Interleaving>> = {
  naive: fails(
    'bypass write: nothing invalidates the old value the reader cached; stale until the TTL ends',
    'the cache serves $100 until its TTL ends',
  ),
  'lock-only': fails(
    'bypass write: the ZooKeeper lock orders the library’s callers; a plain SQL writer takes no lock and invalidates nothing',
    'the cache serves $100 until its TTL ends',
  ),
  'versioned-keys': fails(
    'bypass write: a plain SQL writer does not INCR the version counter, so readers keep reading the old version’s key',
    'readers follow the counter to key:v0 → $100 until its TTL ends',
  ),
  'write-through': fails(
    'bypass write: write-through covers the writers that write through; the "authoritative" cache never hears of this one',
    'the cache serves $100 until its TTL ends',
  ),
  'setnx-lock': fails(
    'bypass write: the SET NX lock guards fills, and the plain SQL writer neither locks nor invalidates',
    'the cache serves $100 until its TTL ends',
  ),
  'setnx-lock-recheck': fails(
    'bypass write: the re-check finds the cache as the last fill left it; nothing invalidates it',
    'the cache serves $100 until its TTL ends',
  ),
  redlock: fails(
    'bypass write: Redlock orders the library’s callers; a plain SQL writer takes no lock and invalidates nothing',
    'the cache serves $100 until its TTL ends',
  ),
  ordered: fails(
    'bypass write without the follower: no newer version ever reaches the cache to fence the old one; run `zkoc follow`',
    'the cache serves $100 at its version v until its TTL ends: the commit at v+1 never reached the cache',
  ),
  'ordered+follower': {
    verdict: 'survives',
    summary:
      'the follower turns the commit into a tombstone at its version within the lag bound; a later fill of the old row is rejected',
    steps: [
      'R: GET → miss; lock the key; SELECT → $100 at version v',
      'W: UPDATE → $50, COMMIT (the trigger sets v+1); no cache operation',
      'R: SET $100 at v; unlock',
      "follower: the change arrives from the replication slot → tombstone at v+1 under the key's lock; confirm the LSN",
      'the next read misses, loads $50 at v+1 (a fill of $100 at v arriving after the tombstone is rejected: v < v+1)',
    ],
  },
};
