import { ExitCode } from './exit-codes.js';

/** The signals that end zkoc, and the exit status each gives (128 + signal number). */
export const EXIT_SIGNALS = Object.freeze({
  SIGINT: ExitCode.interrupted,
  SIGTERM: ExitCode.terminated,
  SIGHUP: ExitCode.hangup,
});

/** A signal zkoc handles: Ctrl-C, `kill`, a closed terminal. */
export type ExitSignal = keyof typeof EXIT_SIGNALS;

// What is left of the one second an operator waits after Ctrl-C once the process has reacted:
// closing a ZooKeeper session that answers takes a round trip, a silent one is not waited for.
const CLOSE_BUDGET_MS = 800;

/**
 * The one owner of how a zkoc process ends. Everything a command opens (ZooKeeper sessions, Redis
 * connections, caches) is adopted here, so a signal closes it before exiting: closing a ZooKeeper
 * session deletes its contender znodes at once, instead of leaving a dead process queued (and later
 * holding the lock) until its session expires.
 */
export class CliLifetime {
  readonly #resources = new Set<AsyncDisposable>();
  readonly #interruptHandlers = new Set<() => void>();
  #ending: Promise<void> | undefined;
  #graceful: (() => void) | undefined;
  #stopRequested = false;

  /** True once a signal (or a closed stdout) has started the exit. */
  get ending(): boolean {
    return this.#ending !== undefined;
  }

  /**
   * Registers `resource` to be disposed if the process is stopped; returns it. A resource opened
   * after the exit began is disposed at once (the open was already under way when the signal came).
   */
  adopt<T extends AsyncDisposable>(resource: T): T {
    if (this.#ending) void disposeQuietly(resource);
    else this.#resources.add(resource);
    return resource;
  }

  /** Forgets `resource` (the command disposed it itself). */
  release(resource: AsyncDisposable): void {
    this.#resources.delete(resource);
  }

  /** Registers work to do first on a signal (stop timers, print a summary); returns an unregister function. */
  onInterrupt(handler: () => void): () => void {
    this.#interruptHandlers.add(handler);
    return () => this.#interruptHandlers.delete(handler);
  }

  /**
   * While registered, the first signal calls `stop` instead of ending the process: a daemon (zkoc
   * follow) finishes the batch in flight, confirms it and returns normally; a second signal ends
   * the process at once. Returns an unregister function.
   */
  gracefully(stop: () => void): () => void {
    this.#graceful = stop;
    return () => {
      if (this.#graceful === stop) this.#graceful = undefined;
    };
  }

  /**
   * Runs the interrupt handlers, then disposes every adopted resource, waiting at most
   * {@link CLOSE_BUDGET_MS}. Idempotent: later calls get the same promise.
   */
  end(): Promise<void> {
    this.#ending ??= (async () => {
      for (const handler of this.#interruptHandlers) {
        try {
          handler();
        } catch {
          // exiting anyway: one handler's failure must not keep the sessions open
        }
      }
      const closing = Promise.allSettled([...this.#resources].map(disposeQuietly));
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([closing, new Promise((resolve) => (timer = setTimeout(resolve, CLOSE_BUDGET_MS)))]);
      clearTimeout(timer);
    })();
    return this.#ending;
  }

  /**
   * Installs the signal handlers on `proc`: the first signal closes everything and exits with the
   * signal's status; a second one exits at once.
   */
  install(proc: NodeJS.Process): void {
    for (const [signal, code] of Object.entries(EXIT_SIGNALS)) {
      proc.on(signal, () => {
        if (this.ending || this.#stopRequested) proc.exit(code);
        const stop = this.#graceful;
        if (stop) {
          this.#stopRequested = true;
          stop();
          return;
        }
        void this.end().finally(() => proc.exit(code));
      });
    }
  }
}

async function disposeQuietly(resource: AsyncDisposable): Promise<void> {
  try {
    await resource[Symbol.asyncDispose]();
  } catch {
    // a server that is already gone: nothing left to close
  }
}
