/** One command in flight in a race worker, as a `dump` reports it. */
export interface CommandTrail {
  op: string;
  key: string;
  ageMs: number;
  /** What happened to it so far, oldest first: `<ms since start> <what>`. */
  trail: string[];
}

const KEPT = 24;

interface Tracked {
  readonly op: string;
  readonly key: string;
  readonly startedAt: number;
  readonly trail: string[];
}

/**
 * What each read and write in flight in a race worker has done so far (the cache's events for its
 * key, its retries). Kept for the `dump` command the parent sends when a call gets no reply: a
 * hang then says where it is (waiting for the lock, in the loader, writing) instead of only that
 * it happened. Bounded: the last {@link KEPT} steps per command.
 */
export class Trails {
  readonly #inFlight = new Set<Tracked>();

  /** Runs `run` as a tracked command; `note` adds a step of its own (a retry). */
  async track<T>(op: string, key: string, run: (note: (what: string) => void) => Promise<T>): Promise<T> {
    const tracked: Tracked = { op, key, startedAt: performance.now(), trail: [] };
    this.#inFlight.add(tracked);
    try {
      return await run((what) => this.#add(tracked, what));
    } finally {
      this.#inFlight.delete(tracked);
    }
  }

  /** Adds a step to every command in flight for `key`. */
  noteKey(key: string, what: string): void {
    for (const tracked of this.#inFlight) if (tracked.key === key) this.#add(tracked, what);
  }

  /** The commands in flight, oldest first. */
  snapshot(): CommandTrail[] {
    const now = performance.now();
    return [...this.#inFlight].map((t) => ({
      op: t.op,
      key: t.key,
      ageMs: Math.round(now - t.startedAt),
      trail: [...t.trail],
    }));
  }

  #add(tracked: Tracked, what: string): void {
    tracked.trail.push(`${Math.round(performance.now() - tracked.startedAt)} ${what}`);
    if (tracked.trail.length > KEPT) tracked.trail.shift();
  }
}

/** The cache events worth a step in a trail, with what to show of each. */
export const TRAIL_EVENTS = [
  'miss',
  'lock-acquired',
  'lock-released',
  'load',
  'written',
  'stale',
  'duplicate',
  'fill-refused',
  'bypass',
  'lock-lost',
  'node-recreated',
  'release-failed',
  'grace-served',
] as const;

/** An event as a trail step: its name and fields, errors by their code or message. */
export function describeEvent(name: string, event: object): string {
  const fields = Object.entries(event)
    .filter(([field]) => field !== 'key')
    .map(([field, value]) => {
      if (value instanceof Error) return `${field}=${(value as { code?: string }).code ?? value.message}`;
      if (typeof value === 'number') return `${field}=${Math.round(value)}`;
      return `${field}=${String(value)}`;
    });
  return [name, ...fields].join(' ');
}
