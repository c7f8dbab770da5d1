// fatal: malformed UTF-8 throws instead of becoming U+FFFD. ignoreBOM: a leading U+FEFF is part of
// the text (a key "\uFEFFabc" is not "abc"); TextDecoder strips it by default.
const EXACT = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Decodes `bytes` as UTF-8 exactly: every character kept, a leading byte-order mark included.
 * Throws a TypeError on malformed UTF-8.
 */
export function decodeUtf8Exact(bytes: Uint8Array): string {
  return EXACT.decode(bytes);
}
