import type { Command } from 'commander';
import { type ConnectionOptions, connectionOptionsOf } from './connection-options.js';
import { describeError, ExitCode } from './exit-codes.js';
import { Output, type OutputStreams } from './output.js';
import type { Redactor } from './redactor.js';

/** What every command is built with: where to print, and what to mask. */
export interface CliEnvironment {
  streams: OutputStreams;
  redactor: Redactor;
  /** Registers cleanup for Ctrl-C (used by `watch`); returns an unregister function. */
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
    try {
      // A command with no server flags (top) gets no connection settings: it must not read them.
      const connection = needsConnection ? connectionOptionsOf(command) : (undefined as unknown as ConnectionOptions);
      const code = await run({ args: command.processedArgs, options: command.opts(), connection, out, env });
      process.exitCode = code ?? ExitCode.ok;
    } catch (error) {
      const described = describeError(error);
      out.diagnostic(`zkoc ${command.name()}: ${described.message}`);
      if (json) out.document({ error: { code: described.code, message: described.message, server: described.server } });
      process.exitCode = described.exitCode;
    }
  });
}
