import { Command } from 'commander';
import { type CliEnvironment, defineAction } from '../action.js';
import { prefixOption } from '../arguments.js';
import { openLocks } from '../clients.js';
import { addConnectionOptions } from '../connection-options.js';
import { formatDuration } from '../render/duration.js';
import { describeHolder, lockNodeForJson } from '../render/lock-node.js';
import { renderTable } from '../render/table.js';

const MAX_WAITERS_SHOWN = 3;

/** `zkoc locks [--prefix P]`: every key with a holder or waiters. */
export function createLocksCommand(env: CliEnvironment): Command {
  const command = addConnectionOptions(
    new Command('locks')
      .description('every key whose lock is held or waited for: holder (host, pid, label, session), held for, waiters')
      .addOption(prefixOption()),
  ).addHelpText(
    'after',
    `
Example:
  $ zkoc locks -n products --prefix 'product:'
"held for" counts from the holder's znode creation (it includes any time the holder itself waited).`,
  );
  return defineAction(command, env, async ({ connection, options, out, open }) => {
    const prefix = String(options.prefix ?? '');
    await using opened = await open(openLocks(connection));
    const states = (await opened.locks.list({ timeoutMs: connection.timeoutMs }))
      .filter((s) => s.key.startsWith(prefix))
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    if (out.json) {
      out.document({
        namespace: connection.namespace,
        locks: states.map((s) => ({
          key: s.key,
          holder: s.holder ? lockNodeForJson(s.holder) : null,
          waiters: s.waiters.map(lockNodeForJson),
        })),
      });
      return;
    }
    if (states.length === 0) {
      out.line(
        `no locks held or waited for in namespace ${connection.namespace}${prefix ? ` with prefix ${JSON.stringify(prefix)}` : ''}`,
      );
      return;
    }
    const rows = states.map((s) => [
      s.key,
      describeHolder(s.holder),
      s.holder?.ephemeralOwner ?? '-',
      s.holder ? formatDuration(s.holder.ageMs) : '-',
      describeWaiters(s.waiters),
    ]);
    for (const line of renderTable(['key', 'holder', 'session', 'held for', 'waiters'], rows)) out.line(line);
  });
}

function describeWaiters(waiters: readonly Parameters<typeof describeHolder>[0][]): string {
  if (waiters.length === 0) return '0';
  const shown = waiters.slice(0, MAX_WAITERS_SHOWN).map((w) => describeHolder(w));
  const more = waiters.length > MAX_WAITERS_SHOWN ? `, +${waiters.length - MAX_WAITERS_SHOWN} more` : '';
  return `${waiters.length}: ${shown.join(', ')}${more}`;
}
