import { Command, InvalidArgumentError, Option } from 'commander';
import type { Entry } from '../../redis/index.js';
import type { HolderInfo } from '../../zookeeper/index.js';
import { type CliEnvironment, defineAction } from '../action.js';
import { prefixOption } from '../arguments.js';
import { lockRoot, openStore } from '../clients.js';
import { addConnectionOptions, zookeeperAccess } from '../connection-options.js';
import { formatDuration } from '../render/duration.js';
import type { StoredValue } from '../render/stored-value.js';
import { readEntries } from '../watch/entry-reader.js';
import { type LockChange, LockTreeWatcher } from '../watch/lock-tree-watcher.js';

/**
 * `zkoc watch [--prefix P]`: a live view until Ctrl-C (exit 130). Lock changes come from ZooKeeper
 * child watches (never a ZooKeeper poll); entry changes from a light Redis poll (SCAN + HMGET every
 * `--poll-ms`), which needs no server config change. `--json` prints one JSON object per event line.
 */
export function createWatchCommand(env: CliEnvironment): Command {
  const command = addConnectionOptions(
    new Command('watch')
      .description(
        'live view of locks taken/released (ZooKeeper watches) and entries changing (light Redis poll), until Ctrl-C',
      )
      .addOption(prefixOption())
      .addOption(
        new Option('--poll-ms <ms>', 'how often Redis entries are re-read').default(1000).argParser(parsePollMs),
      ),
  ).addHelpText(
    'after',
    `
Example:
  $ zkoc watch -n products --prefix 'product:'
With --json, each event is one JSON object on its own line (NDJSON), since the stream has no end.`,
  );
  return defineAction(command, env, async ({ connection, options, out, open }) => {
    const prefix = String(options.prefix ?? '');
    const pollMs = Number(options.pollMs);
    const print = (event: Record<string, unknown>, text: string): void => {
      if (out.json) out.record({ at: new Date().toISOString(), ...event });
      else out.line(`${clock()}  ${text}`);
    };
    const { watcher, initial } = await LockTreeWatcher.start(
      connection.zk,
      lockRoot(connection.namespace),
      prefix,
      connection.timeoutMs,
      zookeeperAccess(connection).auth,
    );
    const opened = await open(openStore(connection)).catch((error: unknown) => {
      watcher.close();
      throw error;
    });
    for (const change of initial) print({ ...change, initial: true }, describeChange(change, true));
    watcher.on('change', (change) => print({ ...change }, describeChange(change, false)));

    // a foreign key is reported once, then the view goes on (issue 18, item 6)
    const reported = new Set<string>();
    const reportForeign = (key: string, detail: string): void => {
      if (reported.has(key)) return;
      reported.add(key);
      print({ type: 'foreign', key, detail }, `foreign   ${JSON.stringify(key)}: ${detail}`);
    };
    let entries = await snapshot(opened.store.scan(prefix), (key) => opened.store.read(key), reportForeign);
    out.diagnostic(
      `watching namespace ${connection.namespace}${prefix ? ` prefix ${JSON.stringify(prefix)}` : ''}: ${entries.size} entries; Ctrl-C to stop`,
    );

    await new Promise<void>((_, reject) => {
      let polling = false;
      const timer = setInterval(() => {
        if (polling) return;
        polling = true;
        snapshot(opened.store.scan(prefix), (key) => opened.store.read(key), reportForeign)
          .then((next) => {
            for (const change of diffEntries(entries, next)) print(change.event, change.text);
            entries = next;
          })
          .catch((error: unknown) =>
            out.diagnostic(`redis poll failed: ${error instanceof Error ? error.message : String(error)}`),
          )
          .finally(() => (polling = false));
      }, pollMs);
      const stop = (): void => {
        clearInterval(timer);
        watcher.close();
        opened.redis.disconnect();
      };
      env.onInterrupt(() => {
        stop();
        out.diagnostic('stopped');
      });
      watcher.on('error', (error) => {
        stop();
        reject(error);
      });
    });
  });
}

function describeChange(change: LockChange, initial: boolean): string {
  const who = describeHolder(change.holder);
  const key = JSON.stringify(change.key);
  switch (change.type) {
    case 'acquired':
      return initial
        ? `held      ${key} by ${who}`
        : `acquired  ${key} by ${who} after waiting ${formatDuration(change.waitedMs)}`;
    case 'waiting':
      return `waiting   ${key} ${who} at position ${change.position}`;
    case 'released':
      return `released  ${key} by ${who}, held for ${formatDuration(change.heldMs)}`;
    case 'gave-up':
      return `gave up   ${key} ${who} after waiting ${formatDuration(change.waitedMs)}`;
  }
}

function describeHolder(holder: HolderInfo | undefined): string {
  if (!holder) return '(unknown holder)';
  return `${holder.host} pid ${holder.pid}${holder.label ? ` ${JSON.stringify(holder.label)}` : ''}`;
}

type Snapshot = Map<string, { kind: string; timestamp: string }>;

async function snapshot(
  keys: AsyncIterable<string>,
  read: (key: string) => Promise<Entry<StoredValue> | undefined>,
  reportForeign: (key: string, detail: string) => void,
): Promise<Snapshot> {
  const out: Snapshot = new Map();
  const list = new Set<string>();
  for await (const key of keys) list.add(key);
  const { entries, foreign } = await readEntries([...list], read);
  for (const entry of entries) out.set(entry.key, { kind: entry.kind, timestamp: entry.timestamp.toString() });
  for (const f of foreign) reportForeign(f.key, f.detail);
  return out;
}

function diffEntries(before: Snapshot, after: Snapshot): { event: Record<string, unknown>; text: string }[] {
  const changes: { event: Record<string, unknown>; text: string }[] = [];
  for (const [key, now] of after) {
    const was = before.get(key);
    if (was && was.kind === now.kind && was.timestamp === now.timestamp) continue;
    changes.push({
      event: { type: 'entry-written', key, kind: now.kind, timestamp: now.timestamp, previous: was?.timestamp ?? null },
      text: `written   ${JSON.stringify(key)} ${now.kind} at timestamp ${now.timestamp}${was ? ` (was ${was.kind} at ${was.timestamp})` : ''}`,
    });
  }
  for (const [key, was] of before) {
    if (!after.has(key))
      changes.push({
        event: { type: 'entry-gone', key, timestamp: was.timestamp },
        text: `gone      ${JSON.stringify(key)} (${was.kind} at ${was.timestamp} expired or deleted)`,
      });
  }
  return changes;
}

function clock(): string {
  return new Date().toISOString().slice(11, 23);
}

function parsePollMs(text: string): number {
  const n = Number(text);
  if (!/^[0-9]+$/.test(text) || n < 50)
    throw new InvalidArgumentError(`--poll-ms must be an integer of at least 50, got ${JSON.stringify(text)}`);
  return n;
}
