import type { BenchRow } from './types.js';

/** Shared measuring tools for the benchmark sections: same-run, side-by-side, medians over rounds. */

export interface Measured {
  opsPerSec: number;
  latenciesMs: number[];
}

/** Runs `ops` calls of `op(i)` with `inFlight` in flight; returns throughput and per-call latency. */
export async function measure(ops: number, inFlight: number, op: (i: number) => Promise<unknown>): Promise<Measured> {
  const latenciesMs: number[] = new Array(ops);
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < ops) {
        const i = next++;
        const t0 = performance.now();
        await op(i);
        latenciesMs[i] = performance.now() - t0;
      }
    }),
  );
  return { opsPerSec: ops / ((performance.now() - started) / 1000), latenciesMs };
}

/** Runs `loops` concurrent loops of `cycle(loop)` for `durationMs`; returns throughput and per-cycle latency. */
export async function measureFor(
  loops: number,
  durationMs: number,
  cycle: (loop: number) => Promise<unknown>,
): Promise<Measured> {
  const latenciesMs: number[] = [];
  const started = performance.now();
  const until = started + durationMs;
  await Promise.all(
    Array.from({ length: loops }, async (_, loop) => {
      while (performance.now() < until) {
        const t0 = performance.now();
        await cycle(loop);
        latenciesMs.push(performance.now() - t0);
      }
    }),
  );
  return { opsPerSec: latenciesMs.length / ((performance.now() - started) / 1000), latenciesMs };
}

export interface Compared {
  floorOpsPerSec: number;
  oursOpsPerSec: number;
  /** Median over rounds of (ours / floor) measured back to back, so machine-load drift cancels. */
  ratio: number;
  /**
   * Our throughput over all our rounds ÷ the floor's over all its rounds (total operations ÷ total
   * time, each side). Where single rounds swing by several times (ZooKeeper's fsync on a shared
   * disk), this settles with many short interleaved rounds where the median of ratios does not.
   */
  overallRatio: number;
  overallFloorOpsPerSec: number;
  overallOursOpsPerSec: number;
  /** The 25th and 75th percentiles of the per-round ratios: how much the machine moved them. */
  ratioSpread: [number, number];
  floorLatenciesMs: number[];
  oursLatenciesMs: number[];
}

/**
 * `rounds` back-to-back pairs, alternating which goes first, so drift in the machine's load (or a
 * server's growing log) favours neither side; the ratio is the median of the per-round ratios.
 */
export async function alternate(
  rounds: number,
  floorRound: () => Promise<Measured>,
  ourRound: () => Promise<Measured>,
): Promise<Compared> {
  const floors: Measured[] = [];
  const ours: Measured[] = [];
  for (let round = 0; round < rounds; round++) {
    if (round % 2 === 0) {
      floors.push(await floorRound());
      ours.push(await ourRound());
    } else {
      ours.push(await ourRound());
      floors.push(await floorRound());
    }
  }
  const ratios = ours.map((m, i) => m.opsPerSec / floors[i]!.opsPerSec);
  return {
    overallRatio: overallOpsPerSec(ours) / overallOpsPerSec(floors),
    overallFloorOpsPerSec: overallOpsPerSec(floors),
    overallOursOpsPerSec: overallOpsPerSec(ours),
    floorOpsPerSec: median(floors.map((m) => m.opsPerSec)),
    oursOpsPerSec: median(ours.map((m) => m.opsPerSec)),
    ratio: median(ratios),
    ratioSpread: [quantile(ratios, 0.25), quantile(ratios, 0.75)],
    floorLatenciesMs: floors.flatMap((m) => m.latenciesMs),
    oursLatenciesMs: ours.flatMap((m) => m.latenciesMs),
  };
}

/** A warm-up, then {@link alternate} over `rounds` pairs of `opsPerRound` calls each. */
export async function compareInRounds(
  opsPerRound: number,
  inFlight: number,
  rounds: number,
  floorOp: (i: number) => Promise<unknown>,
  ourOp: (i: number) => Promise<unknown>,
): Promise<Compared> {
  // One untimed round of each first: the JIT and the connection warm up before anything counts.
  await measure(opsPerRound, inFlight, floorOp);
  await measure(opsPerRound, inFlight, ourOp);
  return alternate(
    rounds,
    () => measure(opsPerRound, inFlight, floorOp),
    () => measure(opsPerRound, inFlight, ourOp),
  );
}

/** Total operations ÷ total time over a side's rounds. */
function overallOpsPerSec(rounds: Measured[]): number {
  let ops = 0;
  let seconds = 0;
  for (const round of rounds) {
    ops += round.latenciesMs.length;
    seconds += round.latenciesMs.length / round.opsPerSec;
  }
  return ops / seconds;
}

/**
 * A bench row from a side-by-side comparison; the note gets the spread of the per-round ratios.
 * `by: 'overall'` reports {@link Compared.overallRatio} (and overall throughputs) instead of the median.
 */
export function comparedRow(
  name: string,
  compared: Compared,
  unit: string,
  target: number,
  note: string,
  by: 'median' | 'overall' = 'median',
): BenchRow {
  const [low, high] = compared.ratioSpread.map((r) => r.toFixed(2));
  const ratio = by === 'overall' ? compared.overallRatio : compared.ratio;
  return {
    name,
    value: Math.round(by === 'overall' ? compared.overallOursOpsPerSec : compared.oursOpsPerSec),
    unit,
    floor: Math.round(by === 'overall' ? compared.overallFloorOpsPerSec : compared.floorOpsPerSec),
    ratio: Number(ratio.toFixed(3)),
    target: `≥ ${target}×`,
    met: ratio >= target,
    note: `${note}; per-round ratios p25-p75 ${low}-${high}`,
  };
}

function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function percentiles(values: number[]): { p50: number; p90: number; p99: number; max: number } {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => Number(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!.toFixed(3));
  return { p50: at(0.5), p90: at(0.9), p99: at(0.99), max: Number(sorted[sorted.length - 1]!.toFixed(3)) };
}
