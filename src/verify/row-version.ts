import { parseKeyTemplate } from '../core/key-template.js';
import { InvalidOptionsError } from '../errors.js';
import { assertIdentifier, parseRelation, qualifiedName, quoteIdent } from '../postgres/identifiers.js';
import type { PgQueryable } from '../postgres/queryable.js';
import type { DatabaseVersion } from './classify.js';
import { isKeyTypeError, keyColumnTypes } from './key-column-types.js';

/**
 * A key's row: its version (`undefined`: no row), or `mistyped` when a field of the key does not
 * parse as its column's type (no row can have it; the message is PostgreSQL's).
 */
export type RowLookup = { version: DatabaseVersion } | { mistyped: string };

/**
 * How a sampled key leads to its row's version: a key template that reads the parameters out of the
 * key, and a statement that selects the version column for them. `undefined` from `read` means
 * the key does not have the template's shape (not this mapping's key).
 */
export interface RowVersionSource {
  /** For messages: the template and the statement. */
  readonly description: string;
  read(key: string): Promise<RowLookup | undefined>;
  /**
   * Optional: the same for many keys in one statement, answers in the order of `keys`. A sampler
   * that finds it compares keys in batches (one SELECT per batch instead of one per key).
   */
  readMany?(keys: readonly string[]): Promise<(RowLookup | undefined)[]>;
}

/**
 * From a statement such as `SELECT cache_version FROM products WHERE id = $1` and a key template
 * `product:{id}`: the template's fields become $1, $2, … in the order they appear.
 */
export function rowVersionFromQuery(
  db: PgQueryable,
  options: { query: string; key: string; versionColumn?: string },
): RowVersionSource {
  const template = parseKeyTemplate(options.key, '--key');
  const column = options.versionColumn ?? 'cache_version';
  if (typeof options.query !== 'string' || !/\$1\b/.test(options.query)) {
    throw new InvalidOptionsError(
      `--query must select the version column for the key's fields as $1, $2, … (e.g. "SELECT cache_version FROM products WHERE id = $1")`,
    );
  }
  return {
    description: `${options.key} → ${options.query}`,
    async read(key) {
      const fields = template.match(key);
      if (fields === undefined) return undefined;
      const result = await db
        .query(
          options.query,
          template.fields.map((f) => fields[f]),
        )
        .catch((error: unknown) => {
          if (isKeyTypeError(error)) return { mistyped: error.message };
          throw error;
        });
      if ('mistyped' in result) return result;
      const { rows } = result;
      if (rows.length === 0) return { version: undefined };
      const raw = (rows[0] as Record<string, unknown>)[column];
      if (raw === undefined) {
        throw new InvalidOptionsError(`--query returned no column ${column} (choose it with --version-column)`);
      }
      return { version: raw === null ? undefined : toVersion(raw) };
    },
  };
}

/**
 * From a follower-style table mapping `products=product:{id}`: the statement is generated, with the
 * template's fields as the table's columns, each key field cast to its column's type (read from
 * the catalog here) so that PostgreSQL finds the row through the column's index.
 */
export async function rowVersionFromTable(
  db: PgQueryable,
  mapping: string,
  options: { versionColumn?: string } = {},
): Promise<RowVersionSource> {
  const eq = mapping.indexOf('=');
  if (eq <= 0 || eq === mapping.length - 1) {
    throw new InvalidOptionsError(`--table must be "table=key template", e.g. "products=product:{id}"`);
  }
  const table = parseRelation(mapping.slice(0, eq).trim(), '--table');
  const template = parseKeyTemplate(mapping.slice(eq + 1).trim(), '--table');
  const column = options.versionColumn ?? 'cache_version';
  assertIdentifier(column, '--version-column');
  const types = await keyColumnTypes(db, table, template.fields);
  const typeOf = (field: string) => types.get(field) as string;
  const where = template.fields.map((f, i) => `${quoteIdent(f)} = $${i + 1}::${typeOf(f)}`).join(' AND ');
  const query = `SELECT ${quoteIdent(column)}::text AS v FROM ${qualifiedName(table)} WHERE ${where}`;
  // Batches: one typed array per field, numbered by unnest, joined on the key columns.
  const keyColumns = template.fields.map((_, i) => `k${i + 1}`);
  const join = template.fields.map((f, i) => `t.${quoteIdent(f)} = u.${keyColumns[i]}`).join(' AND ');
  const manyQuery =
    `SELECT u.n::int AS n, t.${quoteIdent(column)}::text AS v` +
    ` FROM unnest(${template.fields.map((f, i) => `$${i + 1}::${typeOf(f)}[]`).join(', ')}) WITH ORDINALITY AS u(${keyColumns.join(', ')}, n)` +
    ` JOIN ${qualifiedName(table)} AS t ON ${join}`;
  const versionOf = (raw: string | null | undefined) => ({
    version: raw === undefined || raw === null ? undefined : toVersion(raw),
  });
  const read = async (key: string): Promise<RowLookup | undefined> => {
    const fields = template.match(key);
    if (fields === undefined) return undefined;
    try {
      const { rows } = await db.query(
        query,
        template.fields.map((f) => fields[f]),
      );
      return versionOf((rows[0] as { v: string | null } | undefined)?.v);
    } catch (error) {
      if (isKeyTypeError(error)) return { mistyped: error.message };
      throw error;
    }
  };
  return {
    description: `${template.source} → ${query}`,
    read,
    async readMany(keys) {
      const matched = keys.map((key) => template.match(key));
      const sent = matched.filter((fields) => fields !== undefined);
      const found = new Map<number, string | null>();
      if (sent.length > 0) {
        try {
          const { rows } = await db.query(
            manyQuery,
            template.fields.map((f) => sent.map((fields) => fields[f])),
          );
          for (const row of rows as { n: number; v: string | null }[]) if (!found.has(row.n)) found.set(row.n, row.v);
        } catch (error) {
          // One key not of its column's type fails the whole array: this batch goes key by key.
          if (isKeyTypeError(error)) return Promise.all(keys.map(read));
          throw error;
        }
      }
      let n = 0;
      return matched.map((fields) => (fields === undefined ? undefined : versionOf(found.get(++n))));
    },
  };
}

function toVersion(raw: unknown): bigint {
  if (typeof raw === 'bigint') return raw;
  if (typeof raw === 'number' && Number.isSafeInteger(raw)) return BigInt(raw);
  if (typeof raw === 'string' && /^\d+$/.test(raw)) return BigInt(raw);
  throw new InvalidOptionsError(`the version column must hold a non-negative integer, got ${typeof raw}`);
}
