import { InvalidOptionsError } from '../errors.js';
import { SeededRandom } from './race/prng.js';
import type { StartedServer, StartedStack } from './types.js';

/** Which server kind a fault hits. */
export type ChaosTarget = 'zookeeper' | 'redis' | 'postgres';
/**
 * What a fault does to one server for its duration: `pause` (SIGSTOP, then SIGCONT), `restart`
 * (clean stop, down, start), `kill` (SIGKILL, down, start).
 */
export type ChaosAction = 'pause' | 'restart' | 'kill';
/** A fault kind, e.g. `zookeeper:kill`. */
export type ChaosFault = `${ChaosTarget}:${ChaosAction}`;

/** Every fault kind, the default of {@link ChaosOptions.faults}. */
export const ALL_CHAOS_FAULTS: readonly ChaosFault[] = Object.freeze(
  (['zookeeper', 'redis', 'postgres'] as const).flatMap((t) =>
    (['pause', 'restart', 'kill'] as const).map((a) => `${t}:${a}` as const),
  ),
);

/** Options of {@link startChaos}. */
export interface ChaosOptions {
  /** Seeds the choice of fault, server and duration, so a schedule can be replayed. @default a random 32-bit seed (reported) */
  seed?: number;
  /** Quiet time between the end of one fault and the start of the next. @default 1_000 */
  intervalMs?: number;
  /** The fault kinds to draw from, uniformly. @default ALL_CHAOS_FAULTS */
  faults?: readonly ChaosFault[];
  /** How long each fault lasts, drawn uniformly from [min, max]. @default { minMs: 200, maxMs: 1_500 } */
  durationMs?: { minMs: number; maxMs: number };
  /** Called when a fault has been healed (or failed), for progress output. */
  onFault?: (event: ChaosEvent) => void;
}

/** One injected fault. */
export interface ChaosEvent {
  fault: ChaosFault;
  /** Index of the server in `stack.zookeeper.servers` / `stack.redis.nodes` (0 for PostgreSQL). */
  serverIndex: number;
  port: number;
  /** Epoch ms when the fault was injected. */
  startedAt: number;
  /** How long the server was paused or down, until healing began. */
  durationMs: number;
  /** How long healing (resume, or start until the server answers) took. */
  healMs: number;
  /** Why injecting or healing failed, if it did. */
  error?: string;
}

/** What {@link Chaos.stop} resolves with. */
export interface ChaosReport {
  seed: number;
  /** From `startChaos` until every server was healed. */
  elapsedMs: number;
  events: ChaosEvent[];
  /** Events per fault kind. */
  counts: Partial<Record<ChaosFault, number>>;
  /** Events whose injection or healing failed. */
  errors: number;
}

/** A running chaos driver. */
export interface Chaos extends AsyncDisposable {
  readonly seed: number;
  /** Events so far (healed ones). */
  readonly events: readonly ChaosEvent[];
  /**
   * Stops injecting: cuts the current fault short, heals it (resume/start, waiting until the server
   * answers), and resolves with the report. Idempotent.
   */
  stop(): Promise<ChaosReport>;
  /**
   * Waits until the current fault (if any) is healed and keeps the next one from starting until the
   * returned `release` is called: a window in which every server answers, e.g. for an end-state check.
   * Holds nest; injection resumes when the last is released. Resolves at once after `stop()`.
   */
  hold(): Promise<() => void>;
}

function serversOf(stack: StartedStack, target: ChaosTarget): readonly StartedServer[] {
  if (target === 'zookeeper') return stack.zookeeper.servers;
  if (target === 'redis') return stack.redis.nodes;
  return [stack.postgres];
}

function parseChaosOptions(stack: StartedStack, options: ChaosOptions) {
  if (stack.provider === 'external')
    throw new InvalidOptionsError(
      "startChaos needs a stack it started (provider 'local' or 'containers'), got provider 'external'",
    );
  const faults = options.faults ?? ALL_CHAOS_FAULTS;
  if (!Array.isArray(faults) || faults.length === 0)
    throw new InvalidOptionsError('faults must be a non-empty list like ["zookeeper:pause", "redis:restart"]');
  for (const fault of faults) {
    if (!ALL_CHAOS_FAULTS.includes(fault))
      throw new InvalidOptionsError(
        `faults: unknown fault ${JSON.stringify(fault)}; known: ${ALL_CHAOS_FAULTS.join(', ')}`,
      );
  }
  const intervalMs = options.intervalMs ?? 1_000;
  if (!Number.isSafeInteger(intervalMs) || intervalMs < 0)
    throw new InvalidOptionsError(`intervalMs must be a non-negative integer, got ${String(intervalMs)}`);
  const { minMs, maxMs } = options.durationMs ?? { minMs: 200, maxMs: 1_500 };
  if (!Number.isSafeInteger(minMs) || !Number.isSafeInteger(maxMs) || minMs < 0 || maxMs < minMs) {
    throw new InvalidOptionsError(
      `durationMs must be { minMs, maxMs } with 0 <= minMs <= maxMs, got ${JSON.stringify(options.durationMs)}`,
    );
  }
  const seed = options.seed ?? Math.floor(Math.random() * 2 ** 32);
  if (!Number.isSafeInteger(seed)) throw new InvalidOptionsError(`seed must be an integer, got ${String(seed)}`);
  return { faults, intervalMs, minMs, maxMs, seed };
}

/**
 * Starts injecting faults into `stack`'s servers, one at a time: wait `intervalMs`, draw a fault
 * kind, a server of that kind and a duration, inject, wait, heal, repeat. One at a time keeps a
 * 3-server ensemble's quorum and a cluster's other masters up. Returns at once; call `stop()`.
 *
 * On a single ZooKeeper server prefer `singleMemberEnsemble: true` (see {@link ZooKeeperServerOptions}):
 * a standalone server can strand a client that reconnects while it restarts.
 * @throws InvalidOptionsError for an `external` stack or bad options.
 */
export function startChaos(stack: StartedStack, options: ChaosOptions = {}): Chaos {
  const { faults, intervalMs, minMs, maxMs, seed } = parseChaosOptions(stack, options);
  const random = new SeededRandom(seed);
  const startedAt = Date.now();
  const events: ChaosEvent[] = [];
  let stopping = false;
  let wake: (() => void) | undefined;
  // A wait that stop() cuts short.
  const pauseFor = (ms: number): Promise<void> =>
    stopping
      ? Promise.resolve()
      : new Promise((resolve) => {
          const timer = setTimeout(done, ms);
          function done(): void {
            clearTimeout(timer);
            wake = undefined;
            resolve();
          }
          wake = done;
        });

  const injectOne = async (): Promise<void> => {
    const fault = faults[Math.floor(random.next() * faults.length)]!;
    const [target, action] = fault.split(':') as [ChaosTarget, ChaosAction];
    const servers = serversOf(stack, target);
    const serverIndex = Math.floor(random.next() * servers.length);
    const server = servers[serverIndex]!;
    const plannedMs = random.delayMs(minMs, maxMs);
    const event: ChaosEvent = {
      fault,
      serverIndex,
      port: server.port,
      startedAt: Date.now(),
      durationMs: 0,
      healMs: 0,
    };
    try {
      if (action === 'pause') await server.pause();
      else if (action === 'restart') await server.stop();
      else await server.kill();
      await pauseFor(plannedMs);
    } catch (error) {
      event.error = `inject: ${error instanceof Error ? error.message : String(error)}`;
    }
    event.durationMs = Date.now() - event.startedAt;
    const healStarted = Date.now();
    try {
      if (action === 'pause') await server.resume();
      else await server.start();
    } catch (error) {
      event.error = `${event.error ? `${event.error}; ` : ''}heal: ${error instanceof Error ? error.message : String(error)}`;
    }
    event.healMs = Date.now() - healStarted;
    events.push(event);
    options.onFault?.(event);
  };

  // hold(): the fault in progress, and the holds that keep the next one from starting.
  let current: Promise<void> | undefined;
  let holds = 0;
  let unheld: (() => void) | undefined;
  const loop = (async () => {
    while (!stopping) {
      await pauseFor(intervalMs);
      while (holds > 0 && !stopping) await new Promise<void>((resolve) => (unheld = resolve));
      if (stopping) break;
      current = injectOne();
      await current;
      current = undefined;
    }
  })();
  const hold = async (): Promise<() => void> => {
    holds += 1;
    let released = false;
    const release = (): void => {
      if (released) return;
      released = true;
      holds -= 1;
      if (holds === 0) {
        unheld?.();
        unheld = undefined;
      }
    };
    try {
      await current;
    } catch {
      // injectOne records its own failures; a hold only waits for it to end
    }
    return release;
  };

  let report: Promise<ChaosReport> | undefined;
  const stop = (): Promise<ChaosReport> => {
    report ??= (async () => {
      stopping = true;
      wake?.();
      unheld?.();
      await loop;
      const counts: Partial<Record<ChaosFault, number>> = {};
      for (const e of events) counts[e.fault] = (counts[e.fault] ?? 0) + 1;
      return {
        seed,
        elapsedMs: Date.now() - startedAt,
        events: [...events],
        counts,
        errors: events.filter((e) => e.error).length,
      };
    })();
    return report;
  };
  return {
    seed,
    get events() {
      return events;
    },
    stop,
    hold,
    [Symbol.asyncDispose]: async () => {
      await stop();
    },
  };
}
