/** The timer functions the breaker uses; injectable so that its logic is tested with a fake clock. */
export interface BreakerTimers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const realTimers: BreakerTimers = {
  setTimeout: (fn, ms) => {
    const timer = setTimeout(fn, ms);
    timer.unref(); // a probe must never keep the process alive
    return timer;
  },
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export interface CircuitBreakerOptions {
  /** Delay between the breaker opening (or a failed probe settling) and the next probe. */
  probeIntervalMs: number;
  /** One check that the dependency answers again; resolves when it does, rejects when it does not. */
  probe: () => Promise<unknown>;
  /** Called on every open/close transition. */
  onChange?: (open: boolean) => void;
  timers?: BreakerTimers;
}

/**
 * A two-state circuit breaker with a background probe. `open` means "do not call the dependency":
 * callers skip it at once instead of each paying a timeout. Only the probe closes it, and at most
 * one probe is in flight, so an outage costs the dependency one request per `probeIntervalMs`.
 */
export class CircuitBreaker {
  readonly #options: CircuitBreakerOptions;
  readonly #timers: BreakerTimers;
  #open = false;
  #timer: unknown;
  #disposed = false;

  constructor(options: CircuitBreakerOptions) {
    this.#options = options;
    this.#timers = options.timers ?? realTimers;
  }

  /** True while callers must skip the dependency. */
  get open(): boolean {
    return this.#open;
  }

  /** Reports a failure of the dependency: opens the breaker and schedules a probe (idempotent). */
  trip(): void {
    if (this.#open || this.#disposed) return;
    this.#open = true;
    this.#options.onChange?.(true);
    this.#schedule();
  }

  /** Stops probing for good (the cache is closing). */
  dispose(): void {
    this.#disposed = true;
    if (this.#timer !== undefined) this.#timers.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #schedule(): void {
    this.#timer = this.#timers.setTimeout(() => {
      this.#timer = undefined;
      this.#runProbe();
    }, this.#options.probeIntervalMs);
  }

  #runProbe(): void {
    if (this.#disposed) return;
    let probing: Promise<unknown>;
    try {
      probing = this.#options.probe();
    } catch (error) {
      probing = Promise.reject(error);
    }
    probing.then(
      () => {
        if (this.#disposed) return;
        this.#open = false;
        this.#options.onChange?.(false);
      },
      () => {
        if (!this.#disposed) this.#schedule();
      },
    );
  }
}
