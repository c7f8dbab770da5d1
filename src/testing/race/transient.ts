/** The fields of an error that cross the worker's JSON-lines protocol. */
export interface FailureShape {
  name?: string;
  code?: string;
  message?: string;
}

const TRANSIENT_ZKOC_CODES: readonly string[] = ['E_CONNECTION', 'E_LOCK_TIMEOUT', 'E_LOCK_LOST'];

/**
 * True when a failure means "a server was unavailable" rather than a bug, the policy of the chaos
 * fault test: our E_CONNECTION (a Redis or ZooKeeper that does not answer), E_LOCK_TIMEOUT,
 * E_LOCK_LOST; PostgreSQL SQLSTATE class 08 (connection) or 57 (shutting down, starting up);
 * a socket error code (ECONNREFUSED, ECONNRESET, EPIPE…); pg's code-less "Connection terminated…";
 * ioredis giving up on a command while it reconnects (plain Redis clients of naive and lock-only).
 */
export function isTransientFailure(failure: FailureShape): boolean {
  const code = failure.code ?? '';
  if (TRANSIENT_ZKOC_CODES.includes(code)) return true;
  if (/^(08|57)[0-9A-Z]{3}$/.test(code)) return true;
  if (/^E[A-Z]+$/.test(code)) return true;
  const message = failure.message ?? '';
  return (
    /^Connection terminated|Connection is closed|max retries per request/i.test(message) ||
    failure.name === 'MaxRetriesPerRequestError'
  );
}

/** A short label for the outcome table: our code, `postgres 57P01`, a socket code, or the error's name. */
export function failureLabel(failure: FailureShape): string {
  const code = failure.code ?? '';
  if (/^(08|57)[0-9A-Z]{3}$/.test(code)) return `postgres ${code}`;
  if (code) return code;
  if (/^Connection terminated/.test(failure.message ?? '')) return 'postgres connection terminated';
  if (
    /Connection is closed|max retries per request/i.test(failure.message ?? '') ||
    failure.name === 'MaxRetriesPerRequestError'
  )
    return 'redis connection';
  return failure.name ?? 'Error';
}

/** How often, and how far apart, a chaos-run worker retries a transient failure. */
export interface RetrySettings {
  attempts: number;
  backoffMs: number;
}

/**
 * Runs `operation`, retrying it while it fails transiently ({@link isTransientFailure}), at most
 * `attempts` times in all, `backoffMs` apart; rethrows any other error at once and the last one
 * when attempts run out. `onRetry` is told each absorbed failure (for counting).
 */
export async function retryTransient<T>(
  operation: () => Promise<T>,
  retry: RetrySettings | undefined,
  onRetry: (failure: FailureShape) => void = () => {},
): Promise<T> {
  const attempts = retry?.attempts ?? 1;
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await operation();
    } catch (error) {
      const shape = (error ?? {}) as FailureShape;
      if (attempt >= attempts || !isTransientFailure(shape)) throw error;
      onRetry(shape);
      await new Promise((resolve) => setTimeout(resolve, retry!.backoffMs));
    }
  }
}
