import { OrderedCache } from '../src/cache/ordered-cache.js';
import { alternate, type Compared, comparedRow, type Measured, measure } from './measure.js';
import type { BenchContext, BenchRow } from './types.js';

const IN_FLIGHT = 64;
const ROUNDS = 20;
const KEYS = 1_000;

interface Cpu {
  micros: number;
  ops: number;
}

// Process CPU time (user + system) over one side's rounds: what each get costs this process.
async function timedCpu(cpu: Cpu, round: () => Promise<Measured>): Promise<Measured> {
  const before = process.cpuUsage();
  const measured = await round();
  const used = process.cpuUsage(before);
  cpu.micros += used.user + used.system;
  cpu.ops += measured.latenciesMs.length;
  return measured;
}

/** Near cache off (floor) and on (ours), rounds alternating, with the CPU per get of each side. */
async function onVsOff(
  ops: number,
  inFlight: number,
  off: (i: number) => Promise<unknown>,
  on: (i: number) => Promise<unknown>,
): Promise<{ compared: Compared; cpuNote: string }> {
  await measure(ops, inFlight, off); // warm-up, untimed: the JIT, the connections, the near cache's entries
  await measure(ops, inFlight, on);
  const offCpu: Cpu = { micros: 0, ops: 0 };
  const onCpu: Cpu = { micros: 0, ops: 0 };
  const compared = await alternate(
    ROUNDS,
    () => timedCpu(offCpu, () => measure(ops, inFlight, off)),
    () => timedCpu(onCpu, () => measure(ops, inFlight, on)),
  );
  const perOp = (cpu: Cpu) => (cpu.micros / cpu.ops).toFixed(1);
  return { compared, cpuNote: `CPU per get: on ${perOp(onCpu)} µs, off ${perOp(offCpu)} µs` };
}

/**
 * The near cache against the same cache without it (`nearCache: false`), in one process, same Redis:
 * 64 in flight over 1,000 keys (one barrier PING per batch instead of one HMGET per get), 64 in flight
 * on one hot key (both already share one read per batch), and one at a time (a PING round trip instead
 * of an HMGET one: the barrier's cost).
 */
export async function runNearCacheRows(ctx: BenchContext): Promise<BenchRow[]> {
  const connect = (namespace: string, nearCache: boolean) =>
    OrderedCache.connect<{ id: number; price: number }>({
      zookeeper: { connectString: ctx.zookeeper, sessionTimeoutMs: 10_000 },
      redis: ctx.redis,
      namespace,
      nearCache,
    });
  const on = await connect('bench-near', true);
  const off = await connect('bench-near', false);
  try {
    const keys = Array.from({ length: KEYS }, (_, i) => `product:${i}`);
    for (const [i, key] of keys.entries()) await on.set(key, { id: i, price: 100 + i }, BigInt(i + 1));
    const neverLoad = () => Promise.reject(new Error('bench: a hit must not load'));
    const ops = Math.max(1_000, Math.round(4_000 * ctx.scale));
    const sequentialOps = Math.max(300, Math.round(1_500 * ctx.scale));
    const distinct = await onVsOff(
      ops,
      IN_FLIGHT,
      (i) => off.get(keys[i % KEYS]!, neverLoad),
      (i) => on.get(keys[i % KEYS]!, neverLoad),
    );
    const hot = await onVsOff(
      ops,
      IN_FLIGHT,
      () => off.get('product:7', neverLoad),
      () => on.get('product:7', neverLoad),
    );
    const sequential = await onVsOff(
      sequentialOps,
      1,
      (i) => off.get(keys[i % KEYS]!, neverLoad),
      (i) => on.get(keys[i % KEYS]!, neverLoad),
    );
    const note = (inFlight: number, n: number, cpu: string) =>
      `${inFlight} in flight, median of ${ROUNDS} alternating rounds of ${n}; floor: the same cache with nearCache: false; ${cpu}`;
    return [
      comparedRow(
        'near cache on vs off: get(), 1,000 keys',
        distinct.compared,
        'ops/s',
        1.5,
        note(IN_FLIGHT, ops, distinct.cpuNote),
      ),
      // No issue target here (the is vs cache-manager): both sides share one round trip per batch,
      // so this bounds what the barrier and the per-batch decode add.
      comparedRow(
        'near cache on vs off: get(), one hot key',
        hot.compared,
        'ops/s',
        0.85,
        note(IN_FLIGHT, ops, hot.cpuNote),
      ),
      comparedRow(
        'near cache on vs off: get(), one at a time',
        sequential.compared,
        'ops/s',
        0.95,
        note(1, sequentialOps, sequential.cpuNote),
      ),
    ];
  } finally {
    await Promise.all([on.close(), off.close()]);
  }
}
