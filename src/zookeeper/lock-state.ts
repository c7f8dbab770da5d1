import { decodeKeyFromZnodeName } from '../core/key.js';
import type { RawStat } from './client-module.js';
import { decodeHolderInfo, type HolderInfo } from './holder-info.js';
import { sortLockNames } from './lock-node-name.js';
import { isZkError, type ZkSession } from './zk-session.js';

/** One contender znode as seen on the server. */
export interface LockNode {
  /** Full znode path. */
  path: string;
  /** Znode name, `_c_<uuid>-lock-<sequence>`. */
  name: string;
  /** The ZooKeeper sequence number: the lock order. */
  sequence: number;
  /** Owning session (the stat's ephemeralOwner) as 16 hex digits, like `ZooKeeperConnection.sessionId`. */
  sessionId: string;
  /** The same owner as ZooKeeper tools print it: `0x` + hex. */
  ephemeralOwner: string;
  /** When the znode was created (server clock). */
  createdAt: Date;
  /** Milliseconds since `createdAt`, by this machine's clock. */
  ageMs: number;
  /** Who created it; `undefined` when the data is not ours (another client's node). */
  holder: HolderInfo | undefined;
}

/** Who holds a key's lock and who waits, in lock order. */
export interface LockState {
  key: string;
  holder?: LockNode;
  waiters: LockNode[];
}

/** True for a node no session owns: it outlives every session, so it can never be a contender. */
export function isPersistent(stat: RawStat): boolean {
  return Buffer.from(stat.ephemeralOwner).every((byte) => byte === 0);
}

/**
 * Reads the contenders of one key's parent znode. Nodes that vanish meanwhile are skipped, and so
 * are persistent ones (not contenders, whatever their name).
 */
export async function readLockState(session: ZkSession, key: string, parentPath: string): Promise<LockState> {
  let children: string[];
  try {
    children = await session.getChildren(parentPath);
  } catch (error) {
    if (isZkError(error, 'NO_NODE')) return { key, waiters: [] };
    throw error;
  }
  const sorted = sortLockNames(children);
  const nodes = await Promise.all(
    sorted.map(async ({ name, sequence }) => {
      const path = `${parentPath}/${name}`;
      try {
        const { data, stat } = await session.getData(path);
        return isPersistent(stat) ? undefined : toLockNode(path, name, sequence, data, stat);
      } catch (error) {
        if (isZkError(error, 'NO_NODE')) return undefined;
        throw error;
      }
    }),
  );
  const present = nodes.filter((node): node is LockNode => node !== undefined);
  const [holder, ...waiters] = present;
  return holder ? { key, holder, waiters } : { key, waiters };
}

/** Every key under `root` with a holder or waiters; names that are not encoded keys are skipped. */
export async function readAllLockStates(session: ZkSession, root: string): Promise<LockState[]> {
  let children: string[];
  try {
    children = await session.getChildren(root);
  } catch (error) {
    if (isZkError(error, 'NO_NODE')) return [];
    throw error;
  }
  const keyed: { key: string; name: string }[] = [];
  for (const name of children.sort()) {
    try {
      keyed.push({ key: decodeKeyFromZnodeName(name), name });
    } catch {
      // not a node this library created
    }
  }
  const states = await Promise.all(keyed.map(({ key, name }) => readLockState(session, key, `${root}/${name}`)));
  return states.filter((state) => state.holder !== undefined || state.waiters.length > 0);
}

function toLockNode(path: string, name: string, sequence: number, data: Buffer | null, stat: RawStat): LockNode {
  const owner = Buffer.from(stat.ephemeralOwner).toString('hex');
  const createdAt = new Date(Number(Buffer.from(stat.ctime).readBigInt64BE(0)));
  return {
    path,
    name,
    sequence,
    sessionId: owner,
    ephemeralOwner: `0x${owner.replace(/^0+(?=.)/, '')}`,
    createdAt,
    ageMs: Math.max(0, Date.now() - createdAt.getTime()),
    holder: decodeHolderInfo(data),
  };
}
