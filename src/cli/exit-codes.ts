import { CommanderError } from 'commander';
import {
  ConnectionError,
  InvalidKeyError,
  InvalidOptionsError,
  InvalidTimestampError,
  InvalidValueError,
  ZkocError,
  ZooKeeperError,
} from '../errors.js';

/** zkoc's exit codes; stable, documented in `zkoc --help`. */
export const ExitCode = Object.freeze({
  ok: 0,
  /** A server was unreachable or answered with an error; the message names the server and the cause. */
  runtime: 1,
  /** Bad flags or arguments (commander's parse errors, an invalid key or timestamp). */
  usage: 2,
  /** The key (or its lock) does not exist. */
  notFound: 3,
  /** Interrupted by Ctrl-C (128 + SIGINT). */
  interrupted: 130,
  /** Stopped by SIGTERM (128 + 15), e.g. `kill` or a supervisor. */
  terminated: 143,
  /** Stopped by SIGHUP (128 + 1): the terminal went away. */
  hangup: 129,
});

/** A command's failure as zkoc prints it. */
export interface DescribedError {
  exitCode: number;
  code: string;
  message: string;
  server?: string;
}

/**
 * Maps anything a command threw to an exit code and a one-line message that names the server and
 * the cause, in the flags the user typed (`--timeout-ms`, not the library's `connectTimeoutMs`).
 */
export function describeError(error: unknown): DescribedError {
  const described = describeLibraryError(error);
  return { ...described, message: inCliTerms(described.message) };
}

// The library's option names in its messages, and the zkoc flag that sets each of them.
const LIBRARY_OPTION_FLAGS: readonly [RegExp, string][] = [
  [
    /\b(?:redisConnectTimeoutMs|redisCommandTimeoutMs|connectTimeoutMs|lockTimeoutMs)\b|\btimeoutMs(?==)/g,
    '--timeout-ms',
  ],
  [/\bset zookeeper\.auth to\b/g, 'pass --zk-auth with'],
  [/\bzookeeper\.auth\b/g, '--zk-auth'],
  [/\bconnectString\b/g, '--zk'],
];

function inCliTerms(message: string): string {
  return LIBRARY_OPTION_FLAGS.reduce((text, [pattern, flag]) => text.replace(pattern, flag), message);
}

function describeLibraryError(error: unknown): DescribedError {
  if (error instanceof CommanderError) return { exitCode: ExitCode.usage, code: error.code, message: error.message };
  if (
    error instanceof InvalidKeyError ||
    error instanceof InvalidTimestampError ||
    error instanceof InvalidOptionsError ||
    error instanceof InvalidValueError
  ) {
    return { exitCode: ExitCode.usage, code: error.code, message: error.message };
  }
  if (error instanceof ConnectionError) {
    return {
      exitCode: ExitCode.runtime,
      code: error.code,
      server: error.server,
      message: withCause(error.message, error.cause),
    };
  }
  if (error instanceof ZooKeeperError) {
    return { exitCode: ExitCode.runtime, code: error.code, server: 'zookeeper', message: error.message };
  }
  if (error instanceof ZkocError)
    return { exitCode: ExitCode.runtime, code: error.code, message: withCause(error.message, error.cause) };
  if (error instanceof ServerError) {
    return { exitCode: ExitCode.runtime, code: 'E_SERVER', server: error.server, message: error.message };
  }
  const message = error instanceof Error ? error.message : String(error);
  return { exitCode: ExitCode.runtime, code: 'E_UNEXPECTED', message };
}

/**
 * A raw driver error (ioredis, pg, node-zookeeper-client) with the server it came from, so the
 * message says `redis at redis://…: WRONGPASS …` rather than a bare driver message.
 */
export class ServerError extends Error {
  readonly server: string;

  constructor(server: string, address: string, cause: unknown) {
    super(`${server} at ${address}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.server = server;
    this.name = 'ServerError';
  }
}

function withCause(message: string, cause: unknown): string {
  if (!(cause instanceof Error) || message.includes(cause.message)) return message;
  return `${message}: ${cause.message}`;
}
