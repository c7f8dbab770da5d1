import { InvalidOptionsError } from '../errors.js';

/**
 * A cache-key template such as `product:{id}` or `tenant:{tenant_id}:product:{id}`: the one syntax
 * that `zkoc follow --table` and `zkoc verify --key` share. It renders a key from a row, and reads the
 * fields back out of a key, so a sampled key leads to its row.
 */
export interface KeyTemplate {
  /** The template as written. */
  readonly source: string;
  /** The field names, in the order they appear. */
  readonly fields: readonly string[];
  /** The text before the first field: every key the template renders starts with it (a SCAN prefix). */
  readonly prefix: string;
  /** The key for `row`; throws InvalidOptionsError naming the field when the row lacks one. */
  render(row: Readonly<Record<string, unknown>>): string;
  /** The fields of `key` (as strings), or `undefined` when the key does not have the template's shape. */
  match(key: string): Record<string, string> | undefined;
}

const PLACEHOLDER = /\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/** Parses `source`; throws InvalidOptionsError (naming `what`) for a template with no field or a repeated one. */
export function parseKeyTemplate(source: string, what = 'key template'): KeyTemplate {
  if (typeof source !== 'string' || source.length === 0) {
    throw new InvalidOptionsError(`${what} must be a non-empty string such as "product:{id}"`);
  }
  const fields: string[] = [];
  const literals: string[] = [];
  let last = 0;
  for (const m of source.matchAll(PLACEHOLDER)) {
    literals.push(source.slice(last, m.index));
    fields.push(m[1] as string);
    last = (m.index ?? 0) + m[0].length;
  }
  literals.push(source.slice(last));
  if (fields.length === 0) {
    throw new InvalidOptionsError(`${what} ${JSON.stringify(source)} names no field: write one as {column}`);
  }
  if (new Set(fields).size !== fields.length) {
    throw new InvalidOptionsError(`${what} ${JSON.stringify(source)} names a field twice`);
  }
  for (let i = 1; i < literals.length - 1; i++) {
    if (literals[i] === '') {
      throw new InvalidOptionsError(`${what} ${JSON.stringify(source)}: two fields need a separator between them`);
    }
  }
  // Fields match lazily up to the next literal, so `a:{x}:{y}` reads "1:2:3" as x=1, y=2:3.
  const pattern = new RegExp(
    `^${literals.map(escapeRegExp).reduce((acc, lit, i) => (i === 0 ? lit : `${acc}([\\s\\S]+?)${lit}`), '')}$`,
  );
  return {
    source,
    fields,
    prefix: literals[0] as string,
    render(row) {
      let key = literals[0] as string;
      fields.forEach((field, i) => {
        const value = row[field];
        if (value === undefined || value === null) {
          throw new InvalidOptionsError(`${what} ${JSON.stringify(source)}: the row has no ${field}`);
        }
        key += `${value instanceof Date ? value.toISOString() : String(value)}${literals[i + 1]}`;
      });
      return key;
    },
    match(key) {
      const m = pattern.exec(key);
      if (!m) return undefined;
      return Object.fromEntries(fields.map((field, i) => [field, m[i + 1] as string]));
    },
  };
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
