import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import type { CliEnvironment } from './action.js';
import { createDoctorCommand } from './commands/doctor.js';
import { createFollowCommand } from './commands/follow.js';
import { createGetCommand } from './commands/get.js';
import { createLockCommand } from './commands/lock.js';
import { createLocksCommand } from './commands/locks.js';
import { createRaceCommand } from './commands/race.js';
import { createScanCommand } from './commands/scan.js';
import { createTopCommand } from './commands/top.js';
import { createTsCommand } from './commands/ts.js';
import { createVerifyCommand } from './commands/verify.js';
import { createWatchCommand } from './commands/watch.js';
import { createInvalidateCommand, createSetCommand } from './commands/write.js';

const ROOT_HELP = `
Examples:
  $ zkoc doctor                                  # are ZooKeeper, Redis (and PostgreSQL) healthy?
  $ zkoc locks --namespace products              # who holds which key, who waits
  $ zkoc get 'product:123' -n products           # the stored entry and its exact timestamp
  $ zkoc set 'product:123' '{"price":50}' --ts 42 -n products

Connection flags (every command, before or after its name: zkoc -n products locks):
  --zk (ZKOC_ZK), --redis (ZKOC_REDIS), -n/--namespace (ZKOC_NAMESPACE, default "default"),
  --timeout-ms (ZKOC_TIMEOUT_MS), --zk-auth <user:password> (ZKOC_ZK_AUTH), --json,
  --database-url (DATABASE_URL, doctor only). Passwords are masked in all output.

Exit status: 0 ok, 1 runtime error (names the server and the cause), 2 usage error,
3 not found, 130/143/129 stopped by SIGINT (Ctrl-C)/SIGTERM/SIGHUP (its ZooKeeper session is
closed first, so no lock or queued contender is left behind).`;

/** Command factories, one file each; `program.ts` only joins them. */
export type CommandFactory = (env: CliEnvironment) => Command;

const COMMANDS: CommandFactory[] = [
  createLocksCommand,
  createLockCommand,
  createGetCommand,
  createTsCommand,
  createSetCommand,
  createInvalidateCommand,
  createScanCommand,
  createWatchCommand,
  createDoctorCommand,
  createRaceCommand,
  createVerifyCommand,
  createTopCommand,
  createFollowCommand,
];

/**
 * Builds the `zkoc` program. Commander never exits the process: usage errors throw
 * `CommanderError` (mapped to exit 2 by `main`), and its help/error text is redacted.
 */
export function createProgram(env: CliEnvironment): Command {
  const program = new Command('zkoc')
    .description("operator's CLI for zk-ordered-cache: inspect ZooKeeper locks, Redis entries and their timestamps")
    .version(packageVersion(), '-V, --version')
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText('after', ROOT_HELP);
  const configure = (command: Command): Command =>
    command
      .exitOverride()
      .showHelpAfterError('(run with --help for usage)')
      .configureOutput({
        writeOut: (text) => env.streams.stdout.write(env.redactor.redact(text)),
        writeErr: (text) => env.streams.stderr.write(env.redactor.redact(text)),
      });
  configure(program);
  for (const factory of COMMANDS) program.addCommand(configure(factory(env)));
  return program;
}

/** True when commander threw only to say it printed help or the version (exit 0). */
export function isHelpOrVersion(error: unknown): boolean {
  return (
    error instanceof CommanderError &&
    (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help')
  );
}

/** The installed package's version: dist/cli/program.js sits two levels below package.json. */
function packageVersion(): string {
  const manifest = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return manifest.version;
}
