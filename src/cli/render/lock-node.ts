import type { LockNode } from '../../zookeeper/index.js';

/** `host pid 123 "label"` — who a contender is, or why we cannot tell. */
export function describeHolder(node: LockNode | undefined): string {
  if (!node) return '(none)';
  const h = node.holder;
  if (!h) return '(unknown: not written by zk-ordered-cache)';
  return `${h.host} pid ${h.pid}${h.label ? ` ${JSON.stringify(h.label)}` : ''}`;
}

/** A lock node for the JSON document: dates as ISO strings, everything else as read. */
export function lockNodeForJson(node: LockNode): Record<string, unknown> {
  return {
    path: node.path,
    name: node.name,
    sequence: node.sequence,
    sessionId: node.ephemeralOwner,
    createdAt: node.createdAt.toISOString(),
    ageMs: node.ageMs,
    holder: node.holder ?? null,
  };
}
