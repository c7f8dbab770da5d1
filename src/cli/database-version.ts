import pg from 'pg';
import { ServerError } from './exit-codes.js';

/** A PostgreSQL connection, for the lifetime (SIGINT closes it) and `await using`. */
export interface OpenedDatabase extends AsyncDisposable {
  client: pg.Client;
}

/**
 * Connects to PostgreSQL with connect and statement deadlines of `timeoutMs`.
 * @throws ServerError naming the server when it refuses or does not answer in time.
 */
export async function openDatabase(url: string, timeoutMs: number): Promise<OpenedDatabase> {
  const client = new pg.Client({
    connectionString: url,
    connectionTimeoutMillis: timeoutMs,
    query_timeout: timeoutMs,
    statement_timeout: timeoutMs,
  });
  client.on('error', () => undefined); // a server gone after the query: the query already reported it
  await client.connect().catch((error: unknown) => {
    throw new ServerError('postgres', url, error);
  });
  return { client, [Symbol.asyncDispose]: () => client.end().catch(() => undefined) };
}

/**
 * The highest value any sequence in the database has issued, or `undefined` when none has (or the
 * role may not read them). Versions from `ensureVersionColumn` come from a sequence, so no row can
 * hold a version above it: a tombstone above it would refuse every fill of its key.
 */
export async function highestIssuedVersion(client: pg.Client): Promise<bigint | undefined> {
  const { rows } = await client.query<{ highest: string | null }>(
    'SELECT max(last_value)::text AS highest FROM pg_sequences',
  );
  const highest = rows[0]?.highest;
  return highest ? BigInt(highest) : undefined;
}
