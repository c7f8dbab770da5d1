/**
 * The one line protocol between a test/bench/race parent and its worker processes: one JSON
 * object per line, commands on the worker's stdin, replies and events on its stdout.
 *
 * - a command is `{ id, op, ...fields }`; the worker answers each with `{ id, ok: true, result }`
 *   or `{ id, ok: false, error: { name, code?, message } }`, in any order (several may be in flight);
 * - an event is `{ event, tag?, data? }`, unprompted; every worker sends `{ event: 'ready' }` once
 *   it is connected, before reading any command.
 * bigints travel as decimal strings.
 */

/** A command as the parent sends it. */
export interface CommandLine {
  readonly id: number;
  readonly op: string;
  readonly [field: string]: unknown;
}

/** How a worker reports a failed command: enough to tell "server unavailable" from a bug. */
export interface FailureLine {
  name: string;
  code?: string;
  message: string;
}

/** A reply to command `id`. */
export interface ReplyLine {
  id: number;
  ok: boolean;
  result?: Record<string, unknown>;
  error?: FailureLine;
}

/** An unprompted event (`ready`, `loaded`, …). */
export interface EventLine {
  event: string;
  tag?: string;
  data?: Record<string, unknown>;
}

export type WorkerLine = ReplyLine | EventLine;

/** One line of the protocol, newline included; bigints become decimal strings. */
export function encodeLine(message: object): string {
  return `${JSON.stringify(message, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value))}\n`;
}

/** A worker's stdout line as a reply or an event; `undefined` for anything else (a stray log line). */
export function parseWorkerLine(line: string): WorkerLine | undefined {
  let message: unknown;
  try {
    message = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof message !== 'object' || message === null) return undefined;
  if (typeof (message as ReplyLine).id === 'number' && typeof (message as ReplyLine).ok === 'boolean')
    return message as ReplyLine;
  if (typeof (message as EventLine).event === 'string') return message as EventLine;
  return undefined;
}

/** The failure of a thrown value, as a worker puts it on the wire. */
export function failureOf(error: unknown): FailureLine {
  const e: Error & { code?: unknown } = error instanceof Error ? error : new Error(String(error));
  return { name: e.name, ...(typeof e.code === 'string' ? { code: e.code } : {}), message: e.message };
}
