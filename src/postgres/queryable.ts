import type pg from 'pg';

/** Anything that runs a query: a `pg.Pool`, a `pg.Client` or a checked-out `pg.PoolClient`. */
export type PgQueryable = pg.Pool | pg.ClientBase;

/** True for a pool (which hands out a connection per query) rather than one connection. */
export function isPool(db: PgQueryable): db is pg.Pool {
  return 'totalCount' in db && typeof (db as pg.Pool).connect === 'function';
}
