import type { RaceWorker } from '../race-worker.js';
import type { RaceScenarioName, RaceStrategy } from '../types.js';
import { judgeBypassWrite, settle, workerTarget } from './bypass-write.js';
import { judgeConcurrentWriters } from './concurrent-writers.js';
import { pausedHolder } from './paused-holder.js';
import type { IterationContext, IterationOutcome } from './scenario.js';
import { pickPair } from './scenario.js';
import { judgeStaleSet } from './stale-set.js';
import { judgeStampede } from './stampede.js';
import { observeEnd, readCommand, writeCommand } from './two-party.js';

/** One iteration driven step by step through hold points: the same interleaving every time. */
export type ForcedScript = (ctx: IterationContext) => Promise<IterationOutcome>;

/**
 * Strategies whose lock is held across the racy point: a forced interleaving that parks one party
 * there while the other runs would wait on that lock. They have no forced script (except
 * paused-holder, whose script is the scenario itself: the holder is frozen, its lock expires).
 */
const LOCK_HOLDING: readonly RaceStrategy[] = ['lock-only', 'redlock', 'ordered'];

/**
 * The forced interleaving of `scenario` under `strategy` (see `INTERLEAVINGS` for each written
 * out), or `undefined` when the strategy's lock rules it out.
 */
export function forcedScript(scenario: RaceScenarioName, strategy: RaceStrategy): ForcedScript | undefined {
  if (scenario === 'bypass-write') return bypassWrite; // the plain SQL writer takes no lock: no strategy can keep it out
  if (scenario === 'paused-holder') return (ctx) => pausedHolder.run(ctx);
  if (LOCK_HOLDING.includes(strategy)) return undefined;
  switch (scenario) {
    case 'stale-set':
      return staleSet;
    case 'concurrent-writers':
      return concurrentWriters;
    case 'stampede':
      return strategy === 'setnx-lock' || strategy === 'setnx-lock-recheck' ? stampedeAroundTheLock : stampedeBothLoad;
  }
}

/** Runs `first` until it is held at its point, runs `second` to the end, then releases `first`. */
async function overtake<A, B>(
  held: { worker: RaceWorker; tag: string; call: () => Promise<A> },
  second: () => Promise<B>,
): Promise<[A, B]> {
  const first = held.call();
  first.catch(() => {}); // awaited below
  await held.worker.loaded(held.tag);
  let result: B;
  try {
    result = await second();
  } finally {
    await held.worker.call({ op: 'go', tag: held.tag });
  }
  return [await first, result];
}

/** R loads $100 and is held before its fill; W commits $50 and invalidates; R fills. */
const staleSet: ForcedScript = async (ctx) => {
  const [reader, writer] = pickPair(ctx.workers, ctx.iteration);
  const tag = `forced-${ctx.key}`;
  await overtake(
    { worker: reader, tag, call: () => reader.call({ ...readCommand(ctx), holds: { loaded: tag } }) },
    () => writer.call(writeCommand(ctx, '$50', 'invalidate')),
  );
  const [cache, row] = await observeEnd(ctx);
  return judgeStaleSet(cache, row, ctx.strategy);
};

/** W1 ($70) is held between its two steps; W2 ($80) runs both; W1 finishes. */
const concurrentWriters: ForcedScript = async (ctx) => {
  const [first, second] = pickPair(ctx.workers, ctx.iteration);
  const tag = `forced-${ctx.key}`;
  const write = (price: string) => writeCommand(ctx, price, 'write-through');
  const point = ctx.strategy === 'write-through' ? 'cached' : 'committed';
  await overtake({ worker: first, tag, call: () => first.call({ ...write('$70'), holds: { [point]: tag } }) }, () =>
    second.call(write('$80')),
  );
  const [cache, row] = await observeEnd(ctx);
  return judgeConcurrentWriters(cache, row, ctx.strategy);
};

/** R loads $100 and is held before its fill (holding its lock, if any); W commits $50 with plain SQL; R fills. */
const bypassWrite: ForcedScript = async (ctx) => {
  const [reader] = pickPair(ctx.workers, ctx.iteration);
  const tag = `forced-${ctx.key}`;
  const [, committedAt] = await overtake(
    { worker: reader, tag, call: () => reader.call({ ...readCommand(workerTarget(ctx)), holds: { loaded: tag } }) },
    async () => {
      await ctx.commitPlain('$50');
      return performance.now();
    },
  );
  return judgeBypassWrite(ctx, await settle(ctx, committedAt), 2);
};

type ReadReply = { loaded: boolean; value: string };
const toStampede = (replies: ReadReply[]) => replies.map((r) => ({ loads: r.loaded ? 1 : 0, values: [r.value] }));

/** Without a fill lock: R1 is held after loading; R2 misses too and loads. */
const stampedeBothLoad: ForcedScript = async (ctx) => {
  const [first, second] = pickPair(ctx.workers, ctx.iteration);
  const tag = `forced-${ctx.key}`;
  const read = readCommand(ctx);
  const replies = await overtake(
    { worker: first, tag, call: () => first.call<ReadReply>({ ...read, holds: { loaded: tag } }) },
    () => second.call<ReadReply>(read),
  );
  return judgeStampede(toStampede(replies), 2, ctx.strategy);
};

/** Around a SET NX lock: R2 missed and is held before trying the lock; R1 locks, loads, fills, unlocks; R2 goes on. */
const stampedeAroundTheLock: ForcedScript = async (ctx) => {
  const [first, second] = pickPair(ctx.workers, ctx.iteration);
  const tag = `forced-${ctx.key}`;
  const read = readCommand(ctx);
  const replies = await overtake(
    { worker: second, tag, call: () => second.call<ReadReply>({ ...read, holds: { missed: tag } }) },
    () => first.call<ReadReply>(read),
  );
  return judgeStampede(toStampede(replies), 2, ctx.strategy);
};
