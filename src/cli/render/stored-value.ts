import type { Codec } from '../../codec/codec.js';
import { decodeUtf8Exact } from '../../core/utf8.js';
import { InvalidValueError } from '../../errors.js';

/** A stored value's bytes, decoded for display whatever codec wrote them. */
export interface StoredValue {
  /** `json` when the bytes are UTF-8 JSON (the default codec), `text` for other UTF-8, `binary` otherwise. */
  encoding: 'json' | 'text' | 'binary';
  /** The parsed JSON (encoding `json`). */
  json?: unknown;
  /** Compact JSON text, the UTF-8 text, or base64 (binary): what a person reads. */
  text: string;
  bytes: number;
}

/**
 * A read-only codec for the CLI: never fails to decode (apps may use another codec than JSON),
 * and refuses to encode — zkoc writes go through OrderedCache with the default codec.
 */
export const displayCodec: Codec<StoredValue> = Object.freeze({
  name: 'zkoc-display',
  encode(): string {
    throw new InvalidValueError('the display codec is read-only');
  },
  decode(bytes: Buffer): StoredValue {
    let text: string;
    try {
      text = decodeUtf8Exact(bytes);
    } catch {
      return { encoding: 'binary', text: bytes.toString('base64'), bytes: bytes.length };
    }
    try {
      const json: unknown = JSON.parse(text);
      return { encoding: 'json', json, text: JSON.stringify(json), bytes: bytes.length };
    } catch {
      return { encoding: 'text', text, bytes: bytes.length };
    }
  },
});

/** The JSON-document form of a stored value: parsed JSON, or text, or base64. */
export function storedValueForJson(value: StoredValue): Record<string, unknown> {
  if (value.encoding === 'json') return { value: value.json, valueEncoding: 'json', valueBytes: value.bytes };
  if (value.encoding === 'text') return { valueText: value.text, valueEncoding: 'text', valueBytes: value.bytes };
  return { valueBase64: value.text, valueEncoding: 'binary', valueBytes: value.bytes };
}
