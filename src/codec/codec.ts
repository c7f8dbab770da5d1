/**
 * How cache values become the bytes stored in Redis and back.
 *
 * `encode` must throw {@link InvalidValueError} (from src/errors.ts) for a value it cannot
 * represent faithfully; the store never sends a command for such a value.
 */
export interface Codec<T> {
  /** Short stable name, used in error messages (e.g. `json`, `buffer`). */
  readonly name: string;
  /** Turns a value into bytes (a string is stored as its UTF-8 bytes). Throws InvalidValueError. */
  encode(value: T): Buffer | string;
  /** Turns stored bytes back into a value. May throw when the bytes were not written by this codec. */
  decode(bytes: Buffer): T;
}
