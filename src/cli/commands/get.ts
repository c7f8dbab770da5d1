import { Command, Option } from 'commander';
import { type CliEnvironment, defineAction } from '../action.js';
import { keyArgument } from '../arguments.js';
import { openStore } from '../clients.js';
import { addConnectionOptions } from '../connection-options.js';
import { ExitCode } from '../exit-codes.js';
import { entryFields, entryForJson } from '../render/entry.js';
import { renderFields } from '../render/table.js';

/** `zkoc get <key> [--raw]`: the stored entry. Exit 3 when nothing is stored. */
export function createGetCommand(env: CliEnvironment): Command {
  const command = addConnectionOptions(
    new Command('get')
      .description(
        'the stored entry: kind, exact timestamp, written at/by, TTL left, retention left, value preview (exit 3 when absent)',
      )
      .addArgument(keyArgument())
      .addOption(new Option('--raw', 'show the whole value instead of a preview').default(false)),
  ).addHelpText(
    'after',
    `
Example:
  $ zkoc get 'product:123' -n products
  $ zkoc get 'product:123' -n products --json | jq -r .timestamp`,
  );
  return defineAction(command, env, async ({ args, options, connection, out, open }) => {
    const key = String(args[0]);
    await using opened = await open(openStore(connection));
    const entry = await opened.store.read(key);
    const nowMs = Date.now();
    if (!entry) {
      if (out.json) out.document({ key, namespace: connection.namespace, entry: null });
      else out.diagnostic(`no entry for key ${JSON.stringify(key)} in namespace ${connection.namespace}`);
      return ExitCode.notFound;
    }
    if (out.json) out.document({ namespace: connection.namespace, entry: entryForJson(entry, nowMs) });
    else for (const line of renderFields(entryFields(entry, nowMs, options.raw === true))) out.line(line);
    return ExitCode.ok;
  });
}
