import type { Codec } from '../codec/codec.js';
import { InvalidValueError } from '../errors.js';

/**
 * Encodes a value to write with `codec`, checked before anything is sent: InvalidValueError for
 * `undefined`, a value the codec cannot encode (or that makes it throw), a codec returning neither
 * a Buffer nor a string, and an encoding over `maxValueBytes`.
 */
export function encodeValue<T>(codec: Codec<T>, maxValueBytes: number, value: T): Buffer | string {
  if (value === undefined)
    throw new InvalidValueError('value must not be undefined; use writeMissing for "no such row"');
  let encoded: Buffer | string;
  try {
    encoded = codec.encode(value);
  } catch (err) {
    // A codec may not expect hostile input: a throwing getter or Proxy trap is still bad input.
    if (err instanceof InvalidValueError) throw err;
    throw new InvalidValueError(`value could not be encoded by codec ${codec.name}`, { cause: err });
  }
  if (typeof encoded !== 'string' && !Buffer.isBuffer(encoded)) {
    throw new InvalidValueError(`codec ${codec.name} returned ${typeof encoded}; it must return a Buffer or a string`);
  }
  const size = typeof encoded === 'string' ? Buffer.byteLength(encoded, 'utf8') : encoded.length;
  if (size > maxValueBytes) {
    throw new InvalidValueError(
      `value encodes to ${size} bytes (codec ${codec.name}); the limit is maxValueBytes=${maxValueBytes}`,
    );
  }
  return encoded;
}
