import { type KeyTemplate, parseKeyTemplate } from '../../core/key-template.js';
import { assertValidNamespace } from '../../core/namespace.js';
import { InvalidOptionsError } from '../../errors.js';
import { assertIdentifier, type ParsedRelation, parseRelation } from '../identifiers.js';

/** A changed row as decoded from the stream: column name → value (pg's text parsers: int8 and numeric are strings). */
export type ChangedRow = Record<string, unknown>;

/** Maps a row to the cache key(s) it fills. */
export type KeyMapping = (row: ChangedRow) => string | readonly string[];

/**
 * Key template(s) such as `product:{id}` (the fields are column names). Unlike a function, a template
 * can be read backwards: a TRUNCATE of the table tombstones every cached key it matches.
 */
export type KeyTemplateMapping = string | readonly string[];

/** One table's mapping: its keys and, optionally, the value to write instead of invalidating. */
export interface TableMapping {
  key: KeyMapping | KeyTemplateMapping;
  /** When given, INSERT/UPDATE write this value at the row's version (refresh instead of invalidate). */
  value?: (row: ChangedRow) => unknown;
  /** The version column. @default 'cache_version' */
  column?: string;
}

/** Options of {@link startFollower}. */
export interface FollowerOptions {
  /** A connection string or pg client config for a role with REPLICATION (or a superuser). Required. */
  database: string | FollowerDatabaseConfig;
  /** `"table"` / `"schema.table"` → key template(s), a key mapping function or a {@link TableMapping}. Required, at least one. */
  tables: Record<string, KeyMapping | KeyTemplateMapping | TableMapping>;
  /** The durable replication slot (created if missing). @default `zkoc_<namespace>` with non-word characters as `_` */
  slot?: string;
  /** The publication on the mapped tables (created if missing, tables added). @default the slot name */
  publication?: string;
  /** Changes applied per Redis batch, at most (a larger transaction is confirmed after all its batches). @default 5_000 */
  maxBatchChanges?: number;
  /** Longest pause between retries of a batch that Redis or ZooKeeper refused. @default 5_000 */
  maxRetryDelayMs?: number;
  /** Shown as the election node's label. @default `follower:<pid>` */
  label?: string;
}

/** The subset of `pg.ClientConfig` the follower passes on (replication connections need one host). */
export interface FollowerDatabaseConfig {
  connectionString?: string;
  host?: string;
  port?: number;
  user?: string;
  password?: string;
  database?: string;
  ssl?: unknown;
  connectionTimeoutMillis?: number;
}

/** A mapped table, resolved. */
export interface ResolvedTable {
  relation: ParsedRelation & { schema: string };
  /** `schema.name`, unquoted: how the stream names it. */
  id: string;
  key: KeyMapping;
  /** The key templates when the mapping is made of them: a TRUNCATE can then find the table's keys. */
  templates: readonly KeyTemplate[] | undefined;
  value: ((row: ChangedRow) => unknown) | undefined;
  column: string;
  /** Primary key columns (read by the preflight check): named in a skipped row's report. */
  primaryKey: string[];
}

export interface ResolvedFollowerOptions {
  database: FollowerDatabaseConfig;
  tables: ResolvedTable[];
  slot: string;
  publication: string;
  maxBatchChanges: number;
  maxRetryDelayMs: number;
  label: string;
}

const SLOT = /^[a-z0-9_]{1,63}$/;

/** Validates and resolves {@link FollowerOptions}. @throws InvalidOptionsError naming the option. */
export function parseFollowerOptions(options: FollowerOptions, namespace: string): ResolvedFollowerOptions {
  if (options === null || typeof options !== 'object') throw new InvalidOptionsError('options must be an object');
  assertValidNamespace(namespace, 'cache.namespace');
  const database = typeof options.database === 'string' ? { connectionString: options.database } : options.database;
  if (database === null || typeof database !== 'object')
    throw new InvalidOptionsError('options.database must be a connection string or a pg client config');
  if (options.tables === null || typeof options.tables !== 'object' || Object.keys(options.tables).length === 0)
    throw new InvalidOptionsError('options.tables must map at least one table to its cache key(s)');
  const tables = Object.entries(options.tables).map(([name, mapping]) => resolveTable(name, mapping));
  const slot = options.slot ?? `zkoc_${namespace.toLowerCase().replace(/[^a-z0-9_]/g, '_')}`.slice(0, 63);
  if (typeof slot !== 'string' || !SLOT.test(slot))
    throw new InvalidOptionsError(
      `options.slot must be 1-63 characters of [a-z0-9_] (PostgreSQL's rule for slot names), got ${JSON.stringify(slot)}`,
    );
  const publication = options.publication ?? slot;
  assertIdentifier(publication, 'options.publication');
  return {
    database,
    tables,
    slot,
    publication,
    maxBatchChanges: positiveInteger(options.maxBatchChanges ?? 5_000, 'options.maxBatchChanges'),
    maxRetryDelayMs: positiveInteger(options.maxRetryDelayMs ?? 5_000, 'options.maxRetryDelayMs'),
    label: options.label ?? `follower:${process.pid}`,
  };
}

function resolveTable(name: string, mapping: KeyMapping | KeyTemplateMapping | TableMapping): ResolvedTable {
  const what = `options.tables[${JSON.stringify(name)}]`;
  const parsed = parseRelation(name, what);
  const relation = { schema: parsed.schema ?? 'public', name: parsed.name };
  const spec: TableMapping =
    typeof mapping === 'function' || typeof mapping === 'string' || Array.isArray(mapping)
      ? { key: mapping as KeyMapping | KeyTemplateMapping }
      : (mapping as TableMapping);
  const templates = templatesOf(spec?.key, what);
  if (spec === null || typeof spec !== 'object' || (typeof spec.key !== 'function' && !templates))
    throw new InvalidOptionsError(
      `${what} must be a key template such as "product:{id}" (or several), a function (row) => key, or { key, value?, column? }`,
    );
  if (spec.value !== undefined && typeof spec.value !== 'function')
    throw new InvalidOptionsError(`options.tables[${JSON.stringify(name)}].value must be a function (row) => value`);
  const column = spec.column ?? 'cache_version';
  assertIdentifier(column, `options.tables[${JSON.stringify(name)}].column`);
  return {
    relation,
    id: `${relation.schema}.${relation.name}`,
    key: templates ? (row) => templates.map((t) => t.render(row)) : (spec.key as KeyMapping),
    templates,
    value: spec.value,
    column,
    primaryKey: [],
  };
}

function templatesOf(key: unknown, what: string): KeyTemplate[] | undefined {
  if (typeof key === 'string') return [parseKeyTemplate(key, what)];
  if (!Array.isArray(key)) return undefined;
  if (key.length === 0) throw new InvalidOptionsError(`${what} must name at least one key template`);
  return key.map((t: unknown, i) => parseKeyTemplate(t as string, `${what}[${i}]`));
}

function positiveInteger(value: unknown, argName: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1)
    throw new InvalidOptionsError(`${argName} must be a positive integer, got ${String(value)}`);
  return value;
}
