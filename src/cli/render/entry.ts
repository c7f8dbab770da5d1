import type { Entry } from '../../redis/index.js';
import { formatDuration, formatRemaining } from './duration.js';
import type { StoredValue } from './stored-value.js';
import { storedValueForJson } from './stored-value.js';
import { preview } from './text.js';

/** Characters of a value shown by `get` without `--raw`. */
export const VALUE_PREVIEW_CHARS = 200;

/** "56m56s" while fresh, "expired 3s ago" after; tombstones have no freshness. */
export function ttlLeft(entry: Entry<StoredValue>, nowMs: number): string {
  if (entry.kind === 'tombstone') return '- (tombstone)';
  return formatRemaining(entry.expiresAt, nowMs);
}

/** How long Redis still remembers the entry's timestamp. */
export function retentionLeft(entry: Entry<StoredValue>, nowMs: number): string {
  return formatRemaining(entry.retainedUntilMs, nowMs);
}

/** The `label: value` lines of `zkoc get`. */
export function entryFields(entry: Entry<StoredValue>, nowMs: number, raw: boolean): [string, string][] {
  const fields: [string, string][] = [
    ['key', entry.key],
    ['kind', entry.kind],
    ['timestamp', entry.timestamp.toString()],
    ['written at', `${new Date(entry.writtenAt).toISOString()} (${formatDuration(nowMs - entry.writtenAt)} ago)`],
    ['written by', entry.writer || '?'],
    ['TTL left', ttlLeft(entry, nowMs)],
    ['retention left', retentionLeft(entry, nowMs)],
  ];
  if (entry.kind === 'value') {
    const v = entry.value;
    const shown = raw ? v.text : preview(v.text, VALUE_PREVIEW_CHARS);
    const note = v.encoding === 'binary' ? ' (binary, base64)' : v.encoding === 'text' ? ' (text, not JSON)' : '';
    fields.push(['value', `${shown}${note}`]);
    fields.push([
      'value size',
      `${v.bytes} bytes${!raw && [...v.text].length > VALUE_PREVIEW_CHARS ? ' (preview; --raw for all of it)' : ''}`,
    ]);
  }
  return fields;
}

/** An entry as a JSON document: timestamp as an exact string, times as ISO and ms left. */
export function entryForJson(entry: Entry<StoredValue>, nowMs: number): Record<string, unknown> {
  return {
    key: entry.key,
    kind: entry.kind,
    timestamp: entry.timestamp.toString(),
    writtenAt: new Date(entry.writtenAt).toISOString(),
    writer: entry.writer,
    expiresAt: new Date(entry.expiresAt).toISOString(),
    isFresh: entry.isFresh,
    ttlLeftMs: entry.kind === 'tombstone' ? null : entry.expiresAt - nowMs,
    retainedUntil: new Date(entry.retainedUntilMs).toISOString(),
    retentionLeftMs: entry.retainedUntilMs - nowMs,
    ...(entry.kind === 'value' ? storedValueForJson(entry.value) : {}),
  };
}
