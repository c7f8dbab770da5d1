/**
 * Every typed error zk-ordered-cache throws.
 *
 * Each error has a stable `code` (match on it, never on the message), a message that names
 * the argument or option and the limit, optional context fields, and the original `cause`.
 * Expected outcomes (a stale write, a duplicate) are values, not errors.
 */

/** The server an error is about. */
export type ServerKind = 'zookeeper' | 'redis' | 'postgres';

/** Base class: `err instanceof ZkocError` catches everything this library throws on purpose. */
export class ZkocError extends Error {
  /** Stable machine-readable code, e.g. `E_INVALID_KEY`. */
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** A cache key is empty, longer than {@link MAX_KEY_BYTES} UTF-8 bytes, not a string, or holds a lone surrogate. */
export class InvalidKeyError extends ZkocError {
  constructor(message: string) {
    super('E_INVALID_KEY', message);
  }
}

/** A timestamp is negative, fractional, NaN, above 2^63−1, an unsafe `number`, or a non-digit string. */
export class InvalidTimestampError extends ZkocError {
  constructor(message: string) {
    super('E_INVALID_TIMESTAMP', message);
  }
}

/** A value is `undefined`, cannot be encoded by the codec, or is larger than `maxValueBytes`. */
export class InvalidValueError extends ZkocError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('E_INVALID_VALUE', message, options);
  }
}

/** A call argument has the wrong type, e.g. a loader or a `withLock` body that is not a function. */
export class InvalidArgumentError extends ZkocError {
  constructor(message: string) {
    super('E_INVALID_ARGUMENT', message);
  }
}

/** An option has the wrong type or range, or options contradict each other. */
export class InvalidOptionsError extends ZkocError {
  constructor(message: string) {
    super('E_INVALID_OPTIONS', message);
  }
}

/** A lock was not acquired within `timeoutMs`; our znode was deleted before this was thrown. */
export class LockTimeoutError extends ZkocError {
  readonly key: string;
  readonly timeoutMs: number;

  constructor(key: string, timeoutMs: number) {
    super('E_LOCK_TIMEOUT', `lock for key ${JSON.stringify(key)} not acquired within timeoutMs=${timeoutMs}`);
    this.key = key;
    this.timeoutMs = timeoutMs;
  }
}

/**
 * The caller's `AbortSignal` fired; whatever was in progress was undone.
 * Named `AbortError` like the platform's, so `err.name === 'AbortError'` checks keep working.
 */
export class AbortError extends ZkocError {
  constructor(message = 'the operation was aborted', options?: { cause?: unknown }) {
    super('E_ABORTED', message, options);
  }
}

/** Why a held lock can no longer be trusted. */
export type LockLostReason = 'session-expired' | 'session-lost' | 'connection-suspended' | 'node-deleted' | 'closed';

/**
 * A lock this process held can no longer be trusted (session expired or presumed lost, node deleted
 * by someone else, connection closed). Set as the `reason` of `lock.signal`.
 */
export class LockLostError extends ZkocError {
  readonly key: string;
  readonly reason: LockLostReason;

  constructor(key: string, reason: LockLostReason, options?: { cause?: unknown }) {
    super('E_LOCK_LOST', `lock for key ${JSON.stringify(key)} lost: ${reason}`, options);
    this.key = key;
    this.reason = reason;
  }
}

/**
 * A server could not be reached or stopped answering: connect did not finish within its
 * timeout, a request passed its deadline, or the session is gone. Messages never carry passwords.
 */
export class ConnectionError extends ZkocError {
  readonly server: ServerKind;

  constructor(server: ServerKind, message: string, options?: { cause?: unknown }) {
    super('E_CONNECTION', message, options);
    this.server = server;
  }
}

/**
 * A server refused a request for lack of credentials or permission: Redis `NOAUTH` (no password
 * sent), `WRONGPASS`, or `NOPERM` (the ACL user may not run that command or touch that key). The
 * message names the reply and what to fix, never the credential. (ZooKeeper's NO_AUTH is a
 * {@link ZooKeeperError} with `zkCode: 'NO_AUTH'`.)
 */
export class AccessDeniedError extends ZkocError {
  readonly server: ServerKind;
  /** The server's refusal, e.g. `NOPERM`, `NOAUTH`, `WRONGPASS`. */
  readonly reply: string;

  constructor(server: ServerKind, reply: string, message: string, options?: { cause?: unknown }) {
    super('E_ACCESS_DENIED', message, options);
    this.server = server;
    this.reply = reply;
  }
}

/** ZooKeeper answered a request with an error code we do not expect (e.g. NO_AUTH). */
export class ZooKeeperError extends ZkocError {
  /** The ZooKeeper error name, e.g. `NO_AUTH`, `NODE_EXISTS`. */
  readonly zkCode: string;
  readonly path: string | undefined;

  constructor(zkCode: string, message: string, options?: { cause?: unknown; path?: string }) {
    super('E_ZOOKEEPER', message, options);
    this.zkCode = zkCode;
    this.path = options?.path;
  }
}

/** A loader returned something other than `undefined` or `{ value, timestamp }` (or `{ missing: true, timestamp }`). */
export class MalformedLoaderResultError extends ZkocError {
  readonly key: string;

  constructor(key: string, message: string, options?: { cause?: unknown }) {
    super('E_MALFORMED_LOADER_RESULT', message, options);
    this.key = key;
  }
}

/** The Redis key for a cache entry holds something that is not one of our entries; it was left untouched. */
export class ForeignEntryError extends ZkocError {
  readonly redisKey: string;

  constructor(redisKey: string, detail: string) {
    super(
      'E_FOREIGN_ENTRY',
      `Redis key ${JSON.stringify(redisKey)} holds data that is not a zk-ordered-cache entry (${detail}); it was left untouched`,
    );
    this.redisKey = redisKey;
  }
}

/** The object was closed; no further calls are accepted. */
export class ClosedError extends ZkocError {
  constructor(what: string) {
    super('E_CLOSED', `${what} is closed`);
  }
}

/** PostgreSQL's `wal_level` is not `logical`, so the change-stream follower cannot decode changes. */
export class WalLevelError extends ZkocError {
  readonly walLevel: string;

  constructor(walLevel: string) {
    super(
      'E_WAL_LEVEL',
      `PostgreSQL runs with wal_level=${walLevel}; the follower needs wal_level=logical ` +
        '(ALTER SYSTEM SET wal_level = logical, then restart PostgreSQL; or start it with -c wal_level=logical)',
    );
    this.walLevel = walLevel;
  }
}

/** The follower's database role may not stream changes (it lacks the REPLICATION attribute). */
export class ReplicationPrivilegeError extends ZkocError {
  readonly role: string;

  constructor(role: string) {
    super(
      'E_REPLICATION_PRIVILEGE',
      `role ${JSON.stringify(role)} has neither REPLICATION nor SUPERUSER; as a superuser run ALTER ROLE "${role}" REPLICATION`,
    );
    this.role = role;
  }
}

/**
 * A table given to the follower is missing, lacks the version column, its version trigger or REPLICA
 * IDENTITY FULL, or can write a cache key another mapped table writes while drawing its versions
 * from another sequence (`table` is the one the message proposes to move onto the other's sequence).
 */
export class FollowerTableError extends ZkocError {
  readonly table: string;

  constructor(table: string, message: string) {
    super('E_FOLLOWER_TABLE', message);
    this.table = table;
  }
}

/** The replication slot is streaming to a consumer that is not a follower of this namespace. */
export class SlotInUseError extends ZkocError {
  readonly slot: string;
  readonly pid: number;

  constructor(slot: string, pid: number, holder: string) {
    super(
      'E_SLOT_IN_USE',
      `replication slot ${JSON.stringify(slot)} is held by PID ${pid} (${holder}), not by a zkoc follower of this namespace; stop that consumer or choose another slot`,
    );
    this.slot = slot;
    this.pid = pid;
  }
}
