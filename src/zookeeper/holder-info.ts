import { createRequire } from 'node:module';
import { hostname } from 'node:os';

/** Who holds or waits for a lock, as stored in the contender znode's data. */
export interface HolderInfo {
  host: string;
  pid: number;
  /** The `label` given to the LockManager, if any. */
  label?: string;
  /** When acquire() was called (epoch ms). */
  requestedAt: number;
  /** `zk-ordered-cache@<version>` that wrote the node. */
  library: string;
}

const LIBRARY = (() => {
  try {
    const pkg = createRequire(import.meta.url)('../../package.json') as { name?: string; version?: string };
    return `${pkg.name ?? 'zk-ordered-cache'}@${pkg.version ?? '0.0.0'}`;
  } catch {
    return 'zk-ordered-cache@unknown';
  }
})();

const HOST = hostname();

/** The serialized holder info around `requestedAt`, for the last label asked for (a manager has one). */
let cached: { label: string | undefined; head: string; tail: string } | undefined;

/**
 * The holder info of this process, serialized for a znode's data: the same text as
 * `JSON.stringify({ host, pid, requestedAt, library, label })`, built from a cached head and tail
 * around the one field that changes (it runs on every acquire).
 */
export function encodeHolderInfo(label: string | undefined, requestedAt: number): Buffer {
  let parts = cached;
  if (parts === undefined || parts.label !== label) {
    const text = JSON.stringify({ host: HOST, pid: process.pid, requestedAt: 0, library: LIBRARY, label });
    const at = text.indexOf('"requestedAt":0') + '"requestedAt":'.length;
    parts = { label, head: text.slice(0, at), tail: text.slice(at + 1) };
    cached = parts;
  }
  return Buffer.from(`${parts.head}${requestedAt}${parts.tail}`, 'utf8');
}

/** Parses a contender znode's data; `undefined` when it is not our JSON (another client's node). */
export function decodeHolderInfo(data: Buffer | null): HolderInfo | undefined {
  if (!data || data.length === 0) return undefined;
  try {
    const value = JSON.parse(data.toString('utf8')) as Partial<HolderInfo>;
    if (typeof value !== 'object' || value === null || typeof value.host !== 'string' || typeof value.pid !== 'number')
      return undefined;
    const info: HolderInfo = {
      host: value.host,
      pid: value.pid,
      requestedAt: typeof value.requestedAt === 'number' ? value.requestedAt : 0,
      library: typeof value.library === 'string' ? value.library : 'unknown',
    };
    if (typeof value.label === 'string') info.label = value.label;
    return info;
  } catch {
    return undefined;
  }
}
