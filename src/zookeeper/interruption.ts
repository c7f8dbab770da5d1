import { AbortError, LockTimeoutError } from '../errors.js';

/**
 * The two ways an acquire gives up: its `timeoutMs` passing or its caller's `AbortSignal` firing.
 * `race(p)` settles with `p` unless the interruption comes first, then rejects with
 * LockTimeoutError / AbortError.
 */
export class Interruption {
  /** The error once interrupted. */
  error: Error | undefined;
  private readonly promise: Promise<never>;
  private readonly cleanup: () => void;

  constructor(key: string, timeoutMs: number, signal: AbortSignal | undefined) {
    let rejectNow!: (error: Error) => void;
    this.promise = new Promise<never>((_, reject) => (rejectNow = reject));
    this.promise.catch(() => undefined);
    const interrupt = (error: Error): void => {
      if (this.error) return;
      this.error = error;
      rejectNow(error);
    };
    const timer = Number.isFinite(timeoutMs) ? setTimeout(() => interrupt(new LockTimeoutError(key, timeoutMs)), timeoutMs) : undefined;
    const onAbort = (): void => interrupt(new AbortError(`acquire of lock ${JSON.stringify(key)} was aborted`, { cause: signal?.reason }));
    signal?.addEventListener('abort', onAbort, { once: true });
    if (signal?.aborted) onAbort();
    this.cleanup = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    };
  }

  /** Settles like `work`, unless interrupted first. `work`'s own later rejection is swallowed. */
  race<T>(work: Promise<T>): Promise<T> {
    if (this.error) {
      work.catch(() => undefined);
      return Promise.reject(this.error);
    }
    work.catch(() => undefined);
    return Promise.race([work, this.promise]);
  }

  /** True when `error` is this interruption's error. */
  caused(error: unknown): boolean {
    return error !== undefined && error === this.error;
  }

  /** Stops the timer and signal listener. */
  dispose(): void {
    this.cleanup();
  }
}
