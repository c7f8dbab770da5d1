import type { Redactor } from './redactor.js';
import { toJsonText } from './render/json.js';

/** Where a command's text goes. Tests and `main` pass process streams; everything is redacted. */
export interface OutputStreams {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
}

/**
 * A command's only way to print. stdout carries the result (one JSON document under `--json`),
 * stderr the diagnostics; both pass through the {@link Redactor} so no password is ever printed.
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
    this.#streams.stdout.write(`${this.#redactor.redact(line)}\n`);
  }

  /** Writes `text` to stdout as is (no newline added). */
  write(text: string): void {
    this.#streams.stdout.write(this.#redactor.redact(text));
  }

  /** Prints the command's one JSON document (bigints as strings) to stdout. */
  document(value: unknown): void {
    this.#streams.stdout.write(`${this.#redactor.redact(toJsonText(value))}\n`);
  }

  /** Writes a diagnostic line to stderr. */
  diagnostic(line: string): void {
    this.#streams.stderr.write(`${this.#redactor.redact(line)}\n`);
  }

  /** Masks secrets in `text` (for text handed to another writer, e.g. commander's). */
  redact(text: string): string {
    return this.#redactor.redact(text);
  }
}
