/**
 * Serializes a command's result as pretty JSON: `bigint` → decimal string (timestamps stay
 * exact), `Date` → ISO string, `Buffer` → hex, `undefined` fields dropped.
 */
export function toJsonText(value: unknown): string {
  return JSON.stringify(value, jsonReplacer, 2);
}

function jsonReplacer(this: unknown, _key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (
    value &&
    typeof value === 'object' &&
    (value as { type?: unknown }).type === 'Buffer' &&
    Array.isArray((value as { data?: unknown }).data)
  ) {
    // Buffer.prototype.toJSON already ran; turn its byte array into hex (session ids read better).
    return Buffer.from((value as { data: number[] }).data).toString('hex');
  }
  return value;
}
