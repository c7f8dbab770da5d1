import { Command } from 'commander';
import { type CliEnvironment, defineAction } from '../action.js';
import { keyArgument } from '../arguments.js';
import { openStore } from '../clients.js';
import { addConnectionOptions } from '../connection-options.js';
import { ExitCode } from '../exit-codes.js';

/** `zkoc ts <key>`: only the stored timestamp, for scripts. Exit 3 when nothing is stored. */
export function createTsCommand(env: CliEnvironment): Command {
  const command = addConnectionOptions(
    new Command('ts')
      .description("just the stored timestamp (a value's or a tombstone's), for scripts; exit 3 when absent")
      .addArgument(keyArgument()),
  ).addHelpText(
    'after',
    `
Example:
  $ zkoc ts 'product:123' -n products
  9223372036854775807
  $ if ts=$(zkoc ts 'product:123' -n products); then echo "cached at $ts"; fi`,
  );
  return defineAction(command, env, async ({ args, connection, out, open }) => {
    const key = String(args[0]);
    await using opened = await open(openStore(connection));
    const entry = await opened.store.read(key);
    if (out.json)
      out.document({ key, timestamp: entry ? entry.timestamp.toString() : null, kind: entry?.kind ?? null });
    else if (entry) out.line(entry.timestamp.toString());
    else out.diagnostic(`no entry for key ${JSON.stringify(key)} in namespace ${connection.namespace}`);
    return entry ? ExitCode.ok : ExitCode.notFound;
  });
}
