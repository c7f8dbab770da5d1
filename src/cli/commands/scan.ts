import { Command, InvalidArgumentError, Option } from 'commander';
import { type CliEnvironment, defineAction } from '../action.js';
import { prefixOption } from '../arguments.js';
import { openStore } from '../clients.js';
import { addConnectionOptions } from '../connection-options.js';
import { entryForJson, retentionLeft, ttlLeft } from '../render/entry.js';
import { renderTable } from '../render/table.js';
import { readEntries } from '../watch/entry-reader.js';

// Entries read concurrently (one HMGET each) after SCAN has listed them.
const READ_BATCH = 64;

/** `zkoc scan [--prefix P] [--limit N]`: the namespace's entries via SCAN (never KEYS), on every cluster master. */
export function createScanCommand(env: CliEnvironment): Command {
  const command = addConnectionOptions(
    new Command('scan')
      .description("the namespace's entries with their timestamps, via SCAN (never KEYS), on every master of a cluster")
      .addOption(prefixOption())
      .addOption(new Option('--limit <n>', 'stop after this many keys').default(1000).argParser(parseLimit)),
  ).addHelpText(
    'after',
    `
Example:
  $ zkoc scan -n products --prefix 'product:' --limit 50`,
  );
  return defineAction(command, env, async ({ connection, options, out, open }) => {
    const limit = Number(options.limit);
    await using opened = await open(openStore(connection));
    const keys = new Set<string>(); // SCAN may return a key twice
    let truncated = false;
    for await (const key of opened.store.scan(String(options.prefix ?? ''))) {
      if (keys.size >= limit) {
        truncated = true;
        break;
      }
      keys.add(key);
    }
    const sorted = [...keys].sort();
    const { entries, foreign } = await readEntries(sorted, (key) => opened.store.read(key), READ_BATCH);
    const nowMs = Date.now();
    if (out.json) {
      out.document({
        namespace: connection.namespace,
        truncated,
        entries: entries.map((e) => entryForJson(e, nowMs)),
        foreign,
      });
      return;
    }
    for (const f of foreign) out.diagnostic(`foreign key ${JSON.stringify(f.key)}: ${f.detail}`);
    if (entries.length === 0) {
      out.line(
        `no entries in namespace ${connection.namespace}${options.prefix ? ` with prefix ${JSON.stringify(options.prefix)}` : ''}`,
      );
      return;
    }
    const rows = entries.map((e) => [
      e.key,
      e.kind,
      e.timestamp.toString(),
      ttlLeft(e, nowMs),
      retentionLeft(e, nowMs),
      e.writer,
    ]);
    for (const line of renderTable(['key', 'kind', 'timestamp', 'ttl left', 'retention left', 'written by'], rows))
      out.line(line);
    if (truncated) out.diagnostic(`stopped after --limit ${limit} keys; there are more`);
  });
}

function parseLimit(text: string): number {
  const n = Number(text);
  if (!/^[0-9]+$/.test(text) || !Number.isSafeInteger(n) || n < 1)
    throw new InvalidArgumentError(`--limit must be a positive integer, got ${JSON.stringify(text)}`);
  return n;
}
