import type { StartedPostgres } from '../types.js';
import { type ServerControl, ServerHandle } from './server-handle.js';

/** A stack's PostgreSQL and the database tests use on it. */
export class PostgresHandle extends ServerHandle<'postgres'> implements StartedPostgres {
  /** @param url given for an external server (its credentials); else `postgres://postgres@host:port/database`. */
  constructor(
    control: ServerControl,
    readonly database: string,
    private readonly givenUrl?: string,
  ) {
    super('postgres', control);
  }
  get url(): string {
    return this.givenUrl ?? `postgres://postgres@${this.host}:${this.port}/${this.database}`;
  }
}
