import type { Command } from 'commander';
import { assertValidConnectString } from '../zookeeper/connect-string.js';
import { type ConnectionOptions, connectionOptionsOf } from './connection-options.js';
import { describeError, ExitCode } from './exit-codes.js';
import type { CliLifetime } from './lifetime.js';
import { Output, type OutputStreams } from './output.js';
import type { Redactor } from './redactor.js';

/** What every command is built with: where to print, what to mask, and the process's lifetime. */
export interface CliEnvironment {
  streams: OutputStreams;
  redactor: Redactor;
  /** Closes what commands open when a signal stops the process. */
  lifetime: CliLifetime;
  /** Registers cleanup for Ctrl-C (used by `watch`, `race`); returns an unregister function. */
  onInterrupt(handler: () => void): () => void;
}

/** What a command's body receives. */
export interface ActionContext {
  /** Positional arguments as commander parsed them. */
  args: readonly unknown[];
  /** The command's own options (beyond the connection flags). */
  options: Record<string, unknown>;
  connection: ConnectionOptions;
  out: Output;
  env: CliEnvironment;
  /**
   * Awaits `opening` and hands the resource to the process lifetime, so SIGINT/SIGTERM/SIGHUP close
   * it (a ZooKeeper session deletes its contender at once). Every server connection a command makes
   * goes through here; whatever the command did not dispose itself is disposed when it returns.
   */
  open<T extends AsyncDisposable>(opening: Promise<T>): Promise<T>;
}

/**
 * Installs `run` as `command`'s action: resolves connection flags, renders any thrown error as
 * one line naming the server and the cause (and, under `--json`, an `{ "error": … }` document),
 * and sets `process.exitCode` from `run`'s return value. Never calls `process.exit()`.
 */
export function defineAction(
  command: Command,
  env: CliEnvironment,
  // biome-ignore lint/suspicious/noConfusingVoidType: most actions return nothing; those that set an exit code return it
  run: (context: ActionContext) => Promise<number | void>,
  { connection: needsConnection = true }: { connection?: boolean } = {},
): Command {
  return command.action(async () => {
    const json = command.opts<{ json?: boolean }>().json === true;
    const out = new Output(env.streams, env.redactor, json);
    const opened = new Set<AsyncDisposable>();
    const open = async <T extends AsyncDisposable>(opening: Promise<T>): Promise<T> => {
      const resource = env.lifetime.adopt(await opening);
      opened.add(resource);
      return resource;
    };
    try {
      // A command with no server flags (top) gets no connection settings: it must not read them.
      const connection = needsConnection ? connectionOptionsOf(command) : (undefined as unknown as ConnectionOptions);
      // every command, also those with their own ZooKeeper client (doctor, watch): exit 2, not a driver assertion
      if (needsConnection) assertValidConnectString(connection.zk, '--zk');
      const code = await run({ args: command.processedArgs, options: command.opts(), connection, out, env, open });
      process.exitCode = code ?? ExitCode.ok;
    } catch (error) {
      if (env.lifetime.ending) return; // a signal stopped the command: its exit status says so
      const described = describeError(error);
      out.diagnostic(`zkoc ${command.name()}: ${described.message}`);
      if (json) out.document({ error: { code: described.code, message: described.message, server: described.server } });
      process.exitCode = described.exitCode;
    } finally {
      await Promise.allSettled([...opened].map((resource) => resource[Symbol.asyncDispose]()));
      for (const resource of opened) env.lifetime.release(resource);
    }
  });
}
