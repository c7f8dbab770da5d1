import { InvalidValueError } from '../errors.js';
import type { Codec } from './codec.js';

/**
 * Stores bytes as they are. `encode` accepts a `Buffer` or any `Uint8Array` (copied into a
 * `Buffer` view without re-encoding) and throws {@link InvalidValueError} for anything else;
 * `decode` returns the stored bytes.
 */
export const bufferCodec: Codec<Buffer> = Object.freeze({
  name: 'buffer',
  encode(input: Buffer): Buffer {
    const value: unknown = input; // callers without types can pass anything
    if (Buffer.isBuffer(value)) return value;
    if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
    throw new InvalidValueError(
      `value must be a Buffer or Uint8Array (buffer codec), got ${value === null ? 'null' : typeof value}`,
    );
  },
  decode(bytes: Buffer): Buffer {
    return bytes;
  },
});
