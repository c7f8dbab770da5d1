import { parseKeyTemplate } from '../core/key-template.js';
import { InvalidOptionsError } from '../errors.js';
import { assertIdentifier, parseRelation, qualifiedName, quoteIdent } from '../postgres/identifiers.js';
import type { PgQueryable } from '../postgres/queryable.js';
import type { DatabaseVersion } from './classify.js';

/**
 * How a sampled key leads to its row's version: a key template that reads the parameters out of the
 * key, and a statement that selects the version column for them. `undefined` from `read` means
 * the key does not have the template's shape (not this mapping's key).
 */
export interface RowVersionSource {
  /** For messages: the template and the statement. */
  readonly description: string;
  read(key: string): Promise<{ version: DatabaseVersion } | undefined>;
  /**
   * Optional: the same for many keys in one statement, answers in the order of `keys`. A sampler
   * that finds it compares keys in batches (one SELECT per batch instead of one per key).
   */
  readMany?(keys: readonly string[]): Promise<({ version: DatabaseVersion } | undefined)[]>;
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
      const { rows } = await db.query(
        options.query,
        template.fields.map((f) => fields[f]),
      );
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
 * template's fields as the table's columns.
 */
export function rowVersionFromTable(
  db: PgQueryable,
  mapping: string,
  options: { versionColumn?: string } = {},
): RowVersionSource {
  const eq = mapping.indexOf('=');
  if (eq <= 0 || eq === mapping.length - 1) {
    throw new InvalidOptionsError(`--table must be "table=key template", e.g. "products=product:{id}"`);
  }
  const table = parseRelation(mapping.slice(0, eq).trim(), '--table');
  const template = parseKeyTemplate(mapping.slice(eq + 1).trim(), '--table');
  const column = options.versionColumn ?? 'cache_version';
  assertIdentifier(column, '--version-column');
  // Compared as text: the key holds text, and a cast of the parameter could fail on a foreign key.
  const where = template.fields.map((f, i) => `${quoteIdent(f)}::text = $${i + 1}`).join(' AND ');
  const query = `SELECT ${quoteIdent(column)}::text AS v FROM ${qualifiedName(table)} WHERE ${where}`;
  // Batches: one text array per field, numbered by unnest; rows join on the same text comparison.
  const keyColumns = template.fields.map((_, i) => `k${i + 1}`);
  const join = template.fields.map((f, i) => `t.${quoteIdent(f)}::text = u.${keyColumns[i]}`).join(' AND ');
  const manyQuery =
    `SELECT u.n::int AS n, t.${quoteIdent(column)}::text AS v` +
    ` FROM unnest(${keyColumns.map((_, i) => `$${i + 1}::text[]`).join(', ')}) WITH ORDINALITY AS u(${keyColumns.join(', ')}, n)` +
    ` JOIN ${qualifiedName(table)} AS t ON ${join}`;
  const versionOf = (raw: string | null | undefined) => ({
    version: raw === undefined || raw === null ? undefined : toVersion(raw),
  });
  return {
    description: `${template.source} → ${query}`,
    async read(key) {
      const fields = template.match(key);
      if (fields === undefined) return undefined;
      const { rows } = await db.query(
        query,
        template.fields.map((f) => fields[f]),
      );
      return versionOf((rows[0] as { v: string | null } | undefined)?.v);
    },
    async readMany(keys) {
      const matched = keys.map((key) => template.match(key));
      const sent = matched.filter((fields) => fields !== undefined);
      const found = new Map<number, string | null>();
      if (sent.length > 0) {
        const { rows } = await db.query(
          manyQuery,
          template.fields.map((f) => sent.map((fields) => fields[f])),
        );
        for (const row of rows as { n: number; v: string | null }[]) if (!found.has(row.n)) found.set(row.n, row.v);
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
