import { InvalidOptionsError } from '../errors.js';

/** A relation name: `"table"`, `"schema.table"`, or `{ schema, name }` for names that contain a dot. */
export type RelationName = string | { schema?: string; name: string };

/** A parsed relation name; identifiers are taken verbatim (case-sensitive), never case-folded. */
export interface ParsedRelation {
  schema: string | undefined;
  name: string;
}

/** PostgreSQL's identifier limit (NAMEDATALEN − 1), in bytes; longer names are silently truncated by the server. */
export const MAX_IDENTIFIER_BYTES = 63;

/** Quotes an identifier the way `quote_ident` does, always (so case and any character survive). */
export function quoteIdent(identifier: string): string {
  return `"${identifier.replace(/"/g, '""')}"`;
}

/**
 * Parses a relation name. A string splits on its first '.': `"sales.orders"` is schema `sales`,
 * table `orders`. Throws {@link InvalidOptionsError} naming `argName` for empty parts, NUL bytes
 * and names over 63 bytes.
 */
export function parseRelation(relation: RelationName, argName: string): ParsedRelation {
  let parsed: ParsedRelation;
  if (typeof relation === 'string') {
    const dot = relation.indexOf('.');
    parsed =
      dot < 0
        ? { schema: undefined, name: relation }
        : { schema: relation.slice(0, dot), name: relation.slice(dot + 1) };
  } else if (relation !== null && typeof relation === 'object' && typeof relation.name === 'string') {
    parsed = { schema: relation.schema, name: relation.name };
  } else {
    throw new InvalidOptionsError(`${argName} must be a string "table" / "schema.table" or { schema?, name }`);
  }
  if (parsed.schema !== undefined) assertIdentifier(parsed.schema, `${argName} (schema)`);
  assertIdentifier(parsed.name, argName);
  return parsed;
}

/** `"schema"."name"` or `"name"`. */
export function qualifiedName(relation: ParsedRelation): string {
  return relation.schema === undefined
    ? quoteIdent(relation.name)
    : `${quoteIdent(relation.schema)}.${quoteIdent(relation.name)}`;
}

/** Throws {@link InvalidOptionsError} unless `identifier` is 1–63 bytes without NUL. */
export function assertIdentifier(identifier: unknown, argName: string): asserts identifier is string {
  if (typeof identifier !== 'string' || identifier.length === 0 || identifier.includes('\0')) {
    throw new InvalidOptionsError(
      `${argName} must be a non-empty identifier without NUL bytes, got ${JSON.stringify(identifier)}`,
    );
  }
  const bytes = Buffer.byteLength(identifier, 'utf8');
  if (bytes > MAX_IDENTIFIER_BYTES) {
    throw new InvalidOptionsError(
      `${argName} ${JSON.stringify(identifier)} is ${bytes} bytes; PostgreSQL identifiers are at most ${MAX_IDENTIFIER_BYTES}`,
    );
  }
}

/**
 * The version sequence used when none is given: `<table>_<column>_seq`, in the table's schema.
 * Throws {@link InvalidOptionsError} (asking for `options.sequence`) when that is over 63 bytes.
 */
export function defaultSequenceFor(table: ParsedRelation, column: string): ParsedRelation {
  const name = `${table.name}_${column}_seq`;
  if (Buffer.byteLength(name, 'utf8') > MAX_IDENTIFIER_BYTES) {
    throw new InvalidOptionsError(
      `the default sequence name ${JSON.stringify(name)} is over ${MAX_IDENTIFIER_BYTES} bytes; pass options.sequence`,
    );
  }
  return { schema: table.schema, name };
}
