import type { ZooKeeperError } from '../errors.js';
import type { RawAcl, RawClient, RawException } from './client-module.js';
import { toTypedError } from './request-pipeline.js';

/** One op of a ZooKeeper multi: a create (with `data` and `mode`) or a delete (any version). */
export type MultiOp = { path: string; data: Buffer | null; mode: number } | { path: string; data?: undefined };

/** A multi's answer: every op applied (created paths, `''` for deletes), or none and which op refused. */
export type MultiOutcome =
  | { applied: true; paths: string[] }
  | { applied: false; failedIndex: number; error: ZooKeeperError };

/** node-zookeeper-client's per-op results of a multi (`err` set on a refused one). */
export type MultiResults = readonly { path?: string; err?: number }[];

/** What a multi's callback carries besides a connection-level error: the refusal (if any) and per-op results. */
export type MultiAnswer = [refused: RawException | null, results: MultiResults];

/**
 * Sends `ops` as one multi. `cb` gets a connection-level error as its error; a refused op as a
 * success carrying the refusal and the per-op results (read by {@link multiOutcome}).
 */
export function commitMulti(
  client: RawClient,
  acl: RawAcl[],
  ops: readonly MultiOp[],
  cb: (error: RawException | null, ...answer: MultiAnswer) => void,
): void {
  const tx = client.transaction();
  for (const op of ops) op.data === undefined ? tx.remove(op.path, -1) : tx.create(op.path, op.data, acl, op.mode);
  tx.commit((error, results) => (error && results ? cb(null, error, results) : cb(error, null, results ?? [])));
}

/** Reads node-zookeeper-client's per-op results: the first non-zero `err` is the op that refused. */
export function multiOutcome(
  refused: RawException | null,
  results: MultiResults,
  ops: readonly MultiOp[],
  displayAddress: string,
): MultiOutcome {
  if (refused === null) return { applied: true, paths: results.map((r) => r.path ?? '') };
  const found = results.findIndex((r) => r.err !== undefined && r.err !== 0);
  const failedIndex = Math.max(found, 0);
  const error = toTypedError(refused, ops[failedIndex]?.path ?? '/', displayAddress) as ZooKeeperError;
  return { applied: false, failedIndex, error };
}
