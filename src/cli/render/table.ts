import { displayWidth, printable } from './text.js';

/**
 * Renders rows as aligned columns under an upper-case header, two spaces apart; the last
 * column is not padded. Cells are passed through {@link printable}.
 */
export function renderTable(headers: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const cells = [headers.map((h) => h.toUpperCase()), ...rows.map((row) => row.map(printable))];
  const widths = headers.map((_, col) => Math.max(...cells.map((row) => displayWidth(row[col] ?? ''))));
  return cells.map((row) =>
    row
      .map((cell, col) => (col === row.length - 1 ? cell : cell + ' '.repeat(widths[col]! - displayWidth(cell))))
      .join('  ')
      .trimEnd(),
  );
}

/** Renders `label: value` pairs with the values aligned. */
export function renderFields(fields: readonly (readonly [label: string, value: string])[]): string[] {
  const width = Math.max(...fields.map(([label]) => displayWidth(label)));
  return fields.map(([label, value]) => `${label}:${' '.repeat(width - displayWidth(label) + 1)}${printable(value)}`);
}
