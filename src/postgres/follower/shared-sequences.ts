import { commonKey } from '../../core/key-template-overlap.js';
import { FollowerTableError } from '../../errors.js';
import type { ResolvedTable } from './follower-options.js';

/** Where a table's versions come from: its version trigger's sequence. */
export interface TableSequence {
  /** As the trigger names it, `"schema"."name"`. */
  sql: string;
  /** Schema and name, for the fix's `ensureVersionColumn` call. */
  relation: { schema: string; name: string };
  oid: number;
}

/** Two mapped tables whose key templates can render one key. */
export interface SharedKey {
  first: ResolvedTable;
  second: ResolvedTable;
  templates: [string, string];
  /** A key both can write. */
  key: string;
}

/**
 * Every pair of template-mapped tables (in option order) that can write a common key, each
 * `{field}` taken as any non-empty string. Function mappings cannot be compared and are left out.
 * One table named twice is a pair too: with another version column it may have another sequence.
 */
export function sharedKeys(tables: readonly ResolvedTable[]): SharedKey[] {
  const found: SharedKey[] = [];
  tables.forEach((first, i) => {
    for (const second of tables.slice(i + 1)) {
      pairs: for (const a of first.templates ?? [])
        for (const b of second.templates ?? []) {
          const key = commonKey(a.source, b.source);
          if (key === undefined) continue;
          found.push({ first, second, templates: [a.source, b.source], key });
          break pairs;
        }
    }
  });
  return found;
}

/**
 * Refuses tables that can write one key but draw versions from different sequences: a version from
 * one sequence says nothing about the other's, so a write at 9,000 from one table (or its
 * tombstone) would refuse every newer write of the other, still at 500, until it expired.
 * @throws FollowerTableError naming both tables, the templates, the sequences and the fix.
 */
export function assertSharedSequences(
  tables: readonly ResolvedTable[],
  sequenceOf: (table: ResolvedTable) => TableSequence,
): void {
  for (const { first, second, templates, key } of sharedKeys(tables)) {
    const a = sequenceOf(first);
    const b = sequenceOf(second);
    if (a.oid === b.oid) continue;
    const call = `ensureVersionColumn(db, { table: ${JSON.stringify(second.id)}, column: ${JSON.stringify(second.column)}, sequence: ${relationArgument(a.relation)}, replicaIdentityFull: true })`;
    throw new FollowerTableError(
      second.id,
      `tables ${first.id} and ${second.id} can write the same cache key (templates ${JSON.stringify(templates[0])} ` +
        `and ${JSON.stringify(templates[1])} both render e.g. ${JSON.stringify(key)}) but take their versions from ` +
        `different sequences (${a.sql} and ${b.sql}), so a write of one would refuse the newer writes of the other ` +
        `until it expires. Give them one sequence: ${call} moves ${second.id} onto ${a.sql} (it first raises ` +
        `${a.sql} above every version ${b.sql} and the table gave out, so nothing cached orders wrongly); ` +
        'or map the tables to keys that cannot collide',
    );
  }
}

// "schema.name" as ensureVersionColumn parses it; { schema, name } when a part holds a dot.
function relationArgument(relation: { schema: string; name: string }): string {
  if (relation.schema.includes('.'))
    return `{ schema: ${JSON.stringify(relation.schema)}, name: ${JSON.stringify(relation.name)} }`;
  return JSON.stringify(`${relation.schema}.${relation.name}`);
}
