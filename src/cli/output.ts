import type { Redactor } from './redactor.js';
import { toJsonText } from './render/json.js';
import { terminalSafe, terminalSafeJson } from './render/text.js';

/** Where a command's text goes. Tests and `main` pass process streams; everything is redacted. */
export interface OutputStreams {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
}

/**
 * A command's only way to print. stdout carries the result (one JSON document under `--json`),
 * stderr the diagnostics; both pass through the {@link Redactor} so no password is ever printed,
 * then through the terminal-safe renderer (render/text.ts), so nothing read from a server (keys,
 * values, holder data, error text) can drive the operator's terminal: control characters and
 * escape sequences are shown escaped, in text and JSON alike.
 */
export class Output {
  readonly #streams: OutputStreams;
  readonly #redactor: Redactor;
  /** True when `--json` was given: stdout must hold exactly one JSON document. */
  readonly json: boolean;

  constructor(streams: OutputStreams, redactor: Redactor, json: boolean) {
    this.#streams = streams;
    this.#redactor = redactor;
    this.json = json;
  }

  /** Writes `line` and a newline to stdout. */
  line(line = ''): void {
    this.#streams.stdout.write(`${this.#safe(line)}\n`);
  }

  /** Writes `text` to stdout (no newline added), escaped like {@link line}. */
  write(text: string): void {
    this.#streams.stdout.write(this.#safe(text));
  }

  /** Prints the command's one JSON document (bigints as strings) to stdout. */
  document(value: unknown): void {
    this.#streams.stdout.write(`${terminalSafeJson(this.#redactor.redact(toJsonText(value)))}\n`);
  }

  /** Prints one compact JSON object on its own line (NDJSON, for streams such as `watch --json`). */
  record(value: Record<string, unknown>): void {
    this.#streams.stdout.write(`${terminalSafeJson(this.#redactor.redact(JSON.stringify(value)))}\n`);
  }

  /** Writes a diagnostic line to stderr. */
  diagnostic(line: string): void {
    this.#streams.stderr.write(`${this.#safe(line)}\n`);
  }

  #safe(text: string): string {
    return terminalSafe(this.#redactor.redact(text));
  }

  /** Masks secrets in `text` (for text handed to another writer, e.g. commander's). */
  redact(text: string): string {
    return this.#redactor.redact(text);
  }
}
