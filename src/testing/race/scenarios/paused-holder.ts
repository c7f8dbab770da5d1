import type { RaceStrategy } from '../types.js';
import { pickPair, type RaceScenario } from './scenario.js';
import {
  judgeTwoParty,
  NOTHING_SERVABLE,
  observeEnd,
  readCommand,
  type TwoPartyJudge,
  writeCommand,
} from './two-party.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A reader (the holder: it holds the key's lock under lock-only and ordered) loads the row ($100)
 * and is then paused with SIGSTOP. ZooKeeper expires its session and deletes its lock node, so a
 * writer gets the lock, commits $50 and writes it to the cache. Then the holder resumes and fills
 * the cache with what it loaded before the pause.
 */
export const pausedHolder: RaceScenario = {
  name: 'paused-holder',
  description:
    'a lock holder is paused (SIGSTOP) past its session timeout while a writer commits a newer version, then resumes and writes',
  defaultIterations: 3,
  pausesWorkers: true,
  // An iteration waits out the holder's session (or Redlock's lease and its release retries): the
  // lanes overlap those waits; each lane pauses only its own holder.
  runsInLanes: true,
  async run(ctx) {
    const [holder, writer] = pickPair(ctx.workers, ctx.iteration);
    const { strategy, random } = ctx;
    const tag = `hold-${ctx.iteration}-${strategy}`;
    const holding = holder.call({ ...readCommand(ctx), holdTag: tag }, 120_000);
    holding.catch(() => {}); // awaited below; a failure must not go unhandled meanwhile
    await holder.loaded(tag);
    holder.pause();
    try {
      // Under a lock this waits until ZooKeeper has expired the paused holder's session.
      await writer.call(writeCommand(ctx, '$50', 'write-through', { commitDelayMs: random.delayMs(0, 5) }), 60_000);
      await sleep(random.delayMs(0, 20));
    } finally {
      holder.resume();
      // Released even when the write failed (a chaos fault): the held read must not wait out its timeout.
      await holder.call({ op: 'go', tag });
    }
    await holding;
    const [cache, row] = await observeEnd(ctx);
    return judgePausedHolder(cache, row, strategy);
  },
};

/** Why a resumed holder's old value did not end up served, per strategy. */
const SURVIVED: Partial<Record<RaceStrategy, string>> = {
  ordered: "the resumed holder's older value was rejected (its timestamp is older)",
  'versioned-keys': "the resumed holder filled the old version's key; readers follow the counter to the writer's",
  'setnx-lock-recheck': "the resumed holder re-checked, found the writer's value and did not write",
};

/** Classifies a paused-holder end state. */
export const judgePausedHolder: TwoPartyJudge = (cache, row, strategy) =>
  judgeTwoParty('paused-holder', cache, row, strategy, {
    equal: SURVIVED[strategy] ?? 'the resumed holder wrote before the writer, or not at all',
    empty: NOTHING_SERVABLE,
    invalidated: NOTHING_SERVABLE,
  });
