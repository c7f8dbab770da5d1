import { Command } from 'commander';
import { keyParentPath } from '../../zookeeper/lock-paths.js';
import { type CliEnvironment, defineAction } from '../action.js';
import { keyArgument } from '../arguments.js';
import { lockRoot, openLocks } from '../clients.js';
import { addConnectionOptions } from '../connection-options.js';
import { ExitCode } from '../exit-codes.js';
import { formatDuration } from '../render/duration.js';
import { lockNodeForJson } from '../render/lock-node.js';
import { renderFields, renderTable } from '../render/table.js';

/** `zkoc lock <key>`: the queue for one key, holder first. Exit 3 when nobody holds or waits. */
export function createLockCommand(env: CliEnvironment): Command {
  const command = addConnectionOptions(
    new Command('lock')
      .description("one key's lock queue: position, znode, sequence, session, holder info, age (exit 3 when empty)")
      .addArgument(keyArgument()),
  ).addHelpText(
    'after',
    `
Example:
  $ zkoc lock 'product:123' -n products`,
  );
  return defineAction(command, env, async ({ args, connection, out, open }) => {
    const key = String(args[0]);
    await using opened = await open(openLocks(connection));
    const state = await opened.locks.state(key, { timeoutMs: connection.timeoutMs });
    const queue = state.holder ? [state.holder, ...state.waiters] : state.waiters;
    const parentPath = keyParentPath(lockRoot(connection.namespace), key);
    if (out.json) {
      out.document({
        key,
        namespace: connection.namespace,
        path: parentPath,
        holder: state.holder ? lockNodeForJson(state.holder) : null,
        waiters: state.waiters.map(lockNodeForJson),
      });
    } else if (queue.length === 0) {
      out.line(`no lock held or waited for on key ${JSON.stringify(key)} in namespace ${connection.namespace}`);
    } else {
      for (const line of renderFields([
        ['key', key],
        ['lock path', parentPath],
        ['contenders', String(queue.length)],
      ])) {
        out.line(line);
      }
      out.line();
      const rows = queue.map((node, position) => [
        String(position),
        position === 0 && state.holder ? 'holder' : 'waiter',
        String(node.sequence),
        node.ephemeralOwner,
        node.holder?.host ?? '?',
        node.holder ? String(node.holder.pid) : '?',
        node.holder?.label ?? '',
        formatDuration(node.ageMs),
        node.name,
      ]);
      for (const line of renderTable(
        ['pos', 'role', 'sequence', 'session', 'host', 'pid', 'label', 'age', 'znode'],
        rows,
      ))
        out.line(line);
    }
    return queue.length === 0 ? ExitCode.notFound : ExitCode.ok;
  });
}
