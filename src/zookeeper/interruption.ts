import { deadlineTimer } from '../core/deadline.js';
import { AbortError, LockTimeoutError } from '../errors.js';

/** What `race` rejects with when the session it was bound to ended: the recipe starts over. */
export const SESSION_ENDED = Symbol('session ended');

/** The session an acquire works on, as far as `race` needs it. */
export interface EndingSession {
  readonly ended: unknown;
  whenEnded(onEnded: () => void): () => void;
}

/**
 * The ways an acquire's current step is cut short: its `timeoutMs` passing or its caller's
 * `AbortSignal` firing (LockTimeoutError / AbortError, final), or the session it works on ending
 * (SESSION_ENDED, after which it starts over on the next session).
 *
 * An acquire awaits one thing at a time, so one slot holds the step in progress and an
 * interruption rejects just that step. This costs one promise per await; racing every await
 * against a shared interruption promise and a per-await session subscription cost three, plus
 * reactions kept until the acquire ended.
 */
export class Interruption {
  /** The error once interrupted (timeout or abort). */
  error: Error | undefined;
  private rejectStep: ((reason: unknown) => void) | undefined;
  private session: EndingSession | undefined;
  private unsubscribe: (() => void) | undefined;
  private readonly cleanup: () => void;

  constructor(key: string, timeoutMs: number, signal: AbortSignal | undefined) {
    const timer = deadlineTimer(timeoutMs, () => this.interrupt(new LockTimeoutError(key, timeoutMs)));
    const onAbort = (): void =>
      this.interrupt(new AbortError(`acquire of lock ${JSON.stringify(key)} was aborted`, { cause: signal?.reason }));
    signal?.addEventListener('abort', onAbort, { once: true });
    if (signal?.aborted) onAbort();
    this.cleanup = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    };
  }

  /**
   * Binds later `race` calls to `session` (or to none): they reject with SESSION_ENDED once it has
   * ended. One subscription per session, not per await.
   */
  bindSession(session: EndingSession | undefined): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.session = session;
    if (session) this.unsubscribe = session.whenEnded(() => this.rejectStep?.(SESSION_ENDED));
  }

  /**
   * Settles like `work`, unless interrupted (or the bound session ends) first. One step at a time:
   * a second `race` before the first settled would leave the first uninterruptible. `work`'s own
   * later rejection is handled.
   */
  race<T>(work: Promise<T>): Promise<T> {
    if (this.error || this.session?.ended !== undefined) {
      work.catch(() => undefined);
      return Promise.reject(this.error ?? SESSION_ENDED);
    }
    return new Promise<T>((resolve, reject) => {
      this.rejectStep = reject;
      work.then(resolve, reject);
    });
  }

  /** Stops the timer, the signal listener and the session subscription. */
  dispose(): void {
    this.cleanup();
    this.bindSession(undefined);
    this.rejectStep = undefined;
  }

  private interrupt(error: Error): void {
    if (this.error) return;
    this.error = error;
    this.rejectStep?.(error);
  }
}
