import { constants } from 'node:os';
import { InvalidOptionsError } from '../errors.js';

/** Anything with an async `close()`: an `OrderedCache`, a `ZooKeeperConnection`, your own wrapper. */
export interface Closable {
  close(): Promise<unknown>;
}

/** Options of {@link closeOnSignals}. */
export interface CloseOnSignalsOptions {
  /** The signals to handle. @default ['SIGINT', 'SIGTERM', 'SIGHUP'] */
  signals?: readonly NodeJS.Signals[];
  /**
   * Once everything is closed, exit with 128 + the signal's number (130 for SIGINT, 143 for
   * SIGTERM), as a process killed by the signal would. `false`: only close; your code decides.
   * @default true
   */
  exit?: boolean;
  /** Exit even if a `close()` has not finished after this long. @default 2_000 */
  timeoutMs?: number;
  /** Called first, with the signal (stop accepting work, log a line). A throw is ignored. */
  onSignal?: (signal: NodeJS.Signals) => void;
}

const DEFAULT_SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/**
 * Closes `closables` when the process gets SIGINT, SIGTERM or SIGHUP, then exits with the signal's
 * status. Without it, Ctrl-C kills the process with its ZooKeeper session open: every lock it held
 * or waited for stays until the session expires (`sessionTimeoutMs`), and the next waiter waits that
 * long; closing ends the session, so ZooKeeper deletes those znodes at once. A second signal while
 * closing exits immediately. Does not block; returns a function that removes the handlers.
 * @throws InvalidOptionsError on a bad option.
 */
export function closeOnSignals(
  closables: Closable | readonly Closable[],
  options: CloseOnSignalsOptions = {},
): () => void {
  const targets: readonly Closable[] = Array.isArray(closables) ? closables : [closables as Closable];
  if (targets.some((c) => typeof c?.close !== 'function'))
    throw new InvalidOptionsError('closeOnSignals needs objects with a close() method');
  const timeoutMs = options.timeoutMs ?? 2_000;
  if (!Number.isInteger(timeoutMs) || timeoutMs < 0)
    throw new InvalidOptionsError(`timeoutMs must be a non-negative integer, got ${String(timeoutMs)}`);
  const signals = options.signals ?? DEFAULT_SIGNALS;
  let closing = false;
  const handler = (signal: NodeJS.Signals): void => {
    const status = 128 + (constants.signals[signal] ?? 0);
    if (closing) {
      if (options.exit !== false) process.exit(status);
      return;
    }
    closing = true;
    try {
      options.onSignal?.(signal);
    } catch {
      // closing matters more than the hook
    }
    let timer: NodeJS.Timeout | undefined;
    const closed = Promise.allSettled(targets.map((c) => c.close()));
    void Promise.race([closed, new Promise((resolve) => (timer = setTimeout(resolve, timeoutMs)))]).then(() => {
      clearTimeout(timer);
      if (options.exit !== false) process.exit(status);
    });
  };
  for (const signal of signals) process.on(signal, handler);
  return () => {
    for (const signal of signals) process.off(signal, handler);
  };
}
