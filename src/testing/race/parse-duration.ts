import { InvalidOptionsError } from '../../errors.js';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

/**
 * Parses a duration such as `500ms`, `30s`, `10m`, `1h` (a bare number is seconds) into ms.
 * @throws InvalidOptionsError naming `argName` when the text is not a positive duration.
 */
export function parseDurationMs(text: string, argName = '--duration'): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/.exec(text);
  const ms = match ? Math.round(Number(match[1]) * UNIT_MS[match[2] ?? 's']!) : NaN;
  if (!Number.isSafeInteger(ms) || ms <= 0) {
    throw new InvalidOptionsError(
      `${argName} must be a positive duration such as 30s, 10m or 1h, got ${JSON.stringify(text)}`,
    );
  }
  return ms;
}
