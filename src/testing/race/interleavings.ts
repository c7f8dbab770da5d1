import { BYPASS_WRITE_INTERLEAVINGS } from './scenarios/bypass-write-interleavings.js';
import type { RaceScenarioName, RaceStrategy } from './types.js';

/** How a strategy fares in a scenario's worst interleaving, written out for the outcome table and docs/remedies.md. */
export interface Interleaving {
  /** `fails`: this interleaving ends FORBIDDEN; `survives`: even the worst one ends ACCEPTABLE. */
  verdict: 'fails' | 'survives';
  /** One line naming the interleaving (the outcome table's interpretation). */
  summary: string;
  /** The interleaving step by step (R = reader, W = writer, W1/W2 = writers, R1/R2 = readers). */
  steps: readonly string[];
}

type Table = Record<RaceScenarioName, Partial<Record<RaceStrategy, Interleaving>>>;

const fails = (summary: string, ...steps: string[]): Interleaving => ({ verdict: 'fails', summary, steps });
const survives = (summary: string, ...steps: string[]): Interleaving => ({ verdict: 'survives', summary, steps });

/** Every strategy's worst interleaving per scenario. */
export const INTERLEAVINGS: Table = {
  'bypass-write': BYPASS_WRITE_INTERLEAVINGS,
  'stale-set': {
    naive: fails(
      "stale set: the reader's fill of the old row landed after the invalidation; stale until the TTL ends",
      'R: GET → miss; SELECT → $100',
      'W: UPDATE → $50, COMMIT; DEL key',
      'R: SET key $100 → the cache serves $100 until its TTL ends',
    ),
    'write-through': fails(
      "stale set: the reader's read-through fill of the old row landed after the writer's cache write",
      'R: GET → miss; SELECT → $100',
      'W: SET key $50 (cache first); UPDATE → $50, COMMIT',
      'R: SET key $100 → the "authoritative" cache serves $100',
    ),
    'setnx-lock': fails(
      'stale set: the fill lock keeps readers apart, not the writer, who commits and deletes under it',
      'R: GET → miss; SET key:lock NX PX → OK; SELECT → $100',
      'W: UPDATE → $50, COMMIT; DEL key (writers take no lock)',
      'R: SET key $100; DEL key:lock → stale until the TTL ends',
    ),
    'setnx-lock-recheck': fails(
      'stale set: the invalidation leaves the key empty, so "check it is still empty, then write" writes the old row',
      'R: GET → miss; SET key:lock NX PX → OK; GET → still empty; SELECT → $100',
      'W: UPDATE → $50, COMMIT; DEL key',
      'R: GET → still empty (the DEL made it so); SET key $100; DEL key:lock → stale until the TTL ends',
    ),
    'versioned-keys': survives(
      'the late fill lands under the old version, which readers no longer use',
      'R: GET counter → 0; GET key:v0 → miss; SELECT → $100',
      'W: UPDATE → $50, COMMIT; INCR counter → 1',
      'R: SET key:v0 $100 → nobody reads v0 any more; the next reader misses key:v1 and loads $50',
    ),
    'lock-only': survives(
      "the writer waits for the reader's ZooKeeper lock",
      'R holds the lock from its miss to its fill; W commits after',
    ),
    redlock: survives(
      "the writer waits for the reader's Redlock",
      'R holds the lock from its miss to its fill; W commits after',
    ),
    ordered: survives(
      'the invalidation is a tombstone at the committed version; the older fill is rejected',
      'R: load $100 at version v; W: COMMIT v+1, tombstone v+1; R: SET $100 at v → rejected (v < v+1)',
    ),
  },
  'concurrent-writers': {
    naive: fails(
      "lost update: the earlier commit's cache write landed last; the cache disagrees with the database",
      'W1: UPDATE → $70, COMMIT',
      'W2: UPDATE → $80, COMMIT; SET key $80',
      'W1: SET key $70 → cache $70, database $80',
    ),
    'write-through': fails(
      'lost update: cache writes and commits happened in opposite orders',
      'W1: SET key $70',
      'W2: SET key $80; UPDATE → $80, COMMIT',
      'W1: UPDATE → $70, COMMIT → cache $80, database $70',
    ),
    'versioned-keys': fails(
      'lost update: the version counter orders the INCRs, not the commits',
      'W1: UPDATE → $70, COMMIT',
      'W2: UPDATE → $80, COMMIT; INCR counter → 1; SET key:v1 $80',
      'W1: INCR counter → 2; SET key:v2 $70 → readers follow v2: cache $70, database $80',
    ),
    'setnx-lock': fails(
      'lost update: the SET NX lock guards fills only; writers are plain cache-aside',
      'W1: UPDATE → $70, COMMIT',
      'W2: UPDATE → $80, COMMIT; SET key $80',
      'W1: SET key $70 → cache $70, database $80',
    ),
    'setnx-lock-recheck': fails(
      'lost update: the re-check guards fills only; writers are plain cache-aside',
      'W1: UPDATE → $70, COMMIT',
      'W2: UPDATE → $80, COMMIT; SET key $80',
      'W1: SET key $70 → cache $70, database $80',
    ),
    'lock-only': survives(
      'writers hold the ZooKeeper lock across commit and cache write',
      'W2 waits for W1 to commit and write',
    ),
    redlock: survives('writers hold the Redlock across commit and cache write', 'W2 waits for W1 to commit and write'),
    ordered: survives(
      'each write carries its commit version; the older one is rejected',
      'W1 SET $70 at v1 after W2 SET $80 at v2 → rejected',
    ),
  },
  stampede: {
    naive: fails('every reader that missed loads', 'R1…Rn: GET → miss; SELECT each'),
    'write-through': fails(
      'write-through does nothing for a cold key: every reader that missed loads',
      'R1…Rn: GET → miss; SELECT each',
    ),
    'versioned-keys': fails(
      'versioned keys do nothing for a cold key: every reader that missed loads',
      'R1…Rn: GET counter; GET key:v0 → miss; SELECT each',
    ),
    'setnx-lock': fails(
      'a reader that missed just before the winner released the lock takes it again and loads again',
      'R2: GET → miss',
      'R1: GET → miss; SET key:lock NX → OK; SELECT; SET key; DEL key:lock',
      'R2: SET key:lock NX → OK (free again); SELECT → a second load (no re-check after locking)',
    ),
    'setnx-lock-recheck': survives(
      "the re-check after locking finds the winner's value",
      'R2: GET → miss; R1: lock, load, SET, unlock; R2: SET NX → OK; GET → hit, no load',
    ),
    'lock-only': survives(
      'one lock per key; waiters re-read after it',
      'R1 loads under the lock; the others wait, then hit',
    ),
    redlock: survives(
      'the winner re-checks and loads; losers wait and re-read',
      'R1 loads under the Redlock; the others re-read',
    ),
    ordered: survives('one loader per key across processes', 'R1 loads under the lock; the others wait, then hit'),
  },
  'paused-holder': {
    naive: fails(
      "no lock, no version: the resumed reader's plain SET overwrote the newer value",
      'R: GET → miss; SELECT → $100; paused (SIGSTOP)',
      'W: UPDATE → $50, COMMIT; SET key $50',
      'R resumes: SET key $100',
    ),
    'write-through': fails(
      "the resumed reader's read-through fill overwrote the writer's cache write",
      'R: GET → miss; SELECT → $100; paused',
      'W: SET key $50; UPDATE → $50, COMMIT',
      'R resumes: SET key $100',
    ),
    'setnx-lock': fails(
      'the fill lock does not stop the writer, and expires anyway: the resumed holder overwrote the newer value',
      'R: GET → miss; SET key:lock NX PX → OK; SELECT → $100; paused',
      'W: UPDATE → $50, COMMIT; SET key $50 (writers take no lock)',
      'R resumes: SET key $100; DEL key:lock',
    ),
    'setnx-lock-recheck': survives(
      "the resumed holder's re-check sees the writer's value (here the writer writes through); a pause between that GET and the SET would still fail",
      'R: lock; SELECT → $100; paused',
      'W: UPDATE → $50, COMMIT; SET key $50',
      'R resumes: GET → $50, not empty → no write',
    ),
    'lock-only': fails(
      'the resumed holder still believed it held the ZooKeeper lock: its plain SET overwrote the newer value',
      'R: takes the ZooKeeper lock; SELECT → $100; paused past its session timeout',
      'ZooKeeper expires the session and deletes the lock node; W takes the lock; UPDATE → $50, COMMIT; SET key $50',
      'R resumes: SET key $100 (it has not yet heard that its session is gone)',
    ),
    redlock: fails(
      "the resumed holder passed its signal check before the pause: Redlock's expiry cannot stop its SET",
      'R: redlock.using(key) on 3 Redis servers; SELECT → $100; signal not aborted; paused past the lock duration',
      'the lock expires on all 3 servers; W: using(key) acquires; UPDATE → $50, COMMIT; SET key $50',
      'R resumes: SET key $100 (its failed extension aborts the signal only afterwards)',
    ),
    'versioned-keys': survives(
      "the resumed holder filled the old version's key; readers follow the counter to the writer's",
      'R: GET counter → 0; SELECT → $100; paused',
      'W: COMMIT $50; INCR → 1; SET key:v1 $50',
      'R resumes: SET key:v0 $100 → unused',
    ),
    ordered: survives(
      "the resumed holder's value carries an older version and is rejected",
      'R: SET $100 at v → rejected, $50 at v+1 stays',
    ),
  },
};

/** The outcome table's one-line interpretation of a FORBIDDEN end state. */
export function oneLine(scenario: RaceScenarioName, strategy: RaceStrategy): string {
  const interleaving = INTERLEAVINGS[scenario][strategy];
  return interleaving?.verdict === 'fails' ? interleaving.summary : 'unexpected: no known interleaving explains it';
}
