import { ReplyError } from 'ioredis';
import { scrubError } from '../core/redact.js';
import { AccessDeniedError, ConnectionError, ZkocError } from '../errors.js';

// Replies by which Redis says "not now" rather than "no": the key's slot or the server is briefly
// unavailable (a cluster master down or rejoining, a dataset loading). ioredis recognises these by
// their prefixes too (it retries MOVED/ASK/TRYAGAIN/CLUSTERDOWN itself, a bounded number of times).
// Replies by which Redis says "not you": no/wrong password, or an ACL user without the right. They
// carry the user name and the command or key, never the password. Redis 7 answers an unauthenticated
// command with more than 10 arguments (our EVALSHA) with a protocol error instead of NOAUTH.
const ACCESS_REPLY = /^(NOAUTH|WRONGPASS|NOPERM)\b|^ERR Protocol error: (unauthenticated)/;

const UNAVAILABLE_REPLY = /^(CLUSTERDOWN|TRYAGAIN|LOADING|MASTERDOWN)\b|while the cluster is down/;

/**
 * Maps an error from an ioredis call to what callers can match on: NOAUTH/WRONGPASS/NOPERM become an
 * {@link AccessDeniedError}; our typed errors and Redis's
 * own answers (`ReplyError`, e.g. WRONGTYPE, NOSCRIPT) pass through unchanged, except the replies
 * that mean "unavailable right now" (CLUSTERDOWN, TRYAGAIN, LOADING, MASTERDOWN, a script refused
 * while the cluster is down). Those, and every transport failure ("Command timed out" under
 * `commandTimeout`, "Connection is closed", MaxRetriesPerRequestError, no reachable cluster node),
 * become a {@link ConnectionError} for `server: 'redis'`, the original kept as `cause`.
 */
export function asRedisFailure(error: unknown, what: string, secrets: readonly (string | undefined)[] = []): unknown {
  if (error instanceof ZkocError) return error;
  // ioredis keeps the failed command on the error: after a reconnect that is AUTH with the password.
  scrubError(error, secrets);
  const reason = error instanceof Error ? error.message : String(error);
  const refusal = accessRefusalOf(error);
  if (refusal) {
    return new AccessDeniedError(
      'redis',
      refusal,
      `Redis refused ${what} (${reason}): give the connection's user the password and the ACL rights it needs (see docs/access-control.md)`,
      { cause: error },
    );
  }
  if (error instanceof (ReplyError as new () => Error) && !UNAVAILABLE_REPLY.test(reason)) return error;
  return new ConnectionError('redis', `Redis did not complete ${what}: ${reason}`, { cause: error });
}

/** `NOAUTH`, `WRONGPASS` or `NOPERM` when `error` is Redis refusing the credential or the command, else undefined. */
export function accessRefusalOf(error: unknown): string | undefined {
  if (!(error instanceof (ReplyError as new () => Error))) return undefined;
  const access = ACCESS_REPLY.exec(error.message);
  return access ? (access[1] ?? 'NOAUTH') : undefined;
}

/** The credentials an ioredis client was configured with, for masking wherever they appear bare. */
export function redisSecretsOf(client: { options?: unknown }): string[] {
  const options = client.options as { password?: unknown; redisOptions?: { password?: unknown } } | undefined;
  return [options?.password, options?.redisOptions?.password].filter(
    (s): s is string => typeof s === 'string' && s.length > 0,
  );
}
