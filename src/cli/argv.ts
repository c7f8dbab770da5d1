import { CommanderError } from 'commander';
import { ExitCode } from './exit-codes.js';

/** `CommanderError.code` of {@link normalizeArgv}'s "did you mean" (main prints it; commander did not). */
export const LIKELY_MEANT_CODE = 'zkoc.likelyMeant';

// The flags every command takes (see connection-options.ts): accepted before the command name too,
// as the help promises ("zkoc -n products locks"). true = takes a value.
const GLOBAL_FLAGS: ReadonlyMap<string, boolean> = new Map([
  ['--zk', true],
  ['--redis', true],
  ['-n', true],
  ['--namespace', true],
  ['--timeout-ms', true],
  ['--zk-auth', true],
  ['--database-url', true],
  ['--json', false],
]);

// Flags people type from habit or other tools, and the one zkoc means. Commander only suggests
// near spellings; `--timestamp` is too far from `--ts` for it.
const LIKELY_MEANT: ReadonlyMap<string, string> = new Map([
  ['--timestamp', '--ts'],
  ['--time-stamp', '--ts'],
  ['--version-ts', '--ts'],
  ['--timeout', '--timeout-ms'],
  ['--zookeeper', '--zk'],
  ['--redis-url', '--redis'],
  ['--ns', '--namespace'],
  ['--database', '--database-url'],
  ['--db', '--database-url'],
]);

/**
 * Rewrites `zkoc [global flags] <command> …` to `zkoc <command> [global flags] …`, the only form
 * commander parses (its global flags are defined on each command). `argv` is `process.argv`.
 * @throws CommanderError (a usage error, exit 2) for a flag zkoc does not have but clearly means,
 *   e.g. `--timestamp` → "did you mean --ts?". Only the flag's name is shown, never its value.
 */
export function normalizeArgv(argv: readonly string[]): string[] {
  const [node = '', script = '', ...args] = argv;
  for (const arg of args) {
    if (arg === '--') break;
    const name = arg.split('=')[0] ?? arg;
    const meant = LIKELY_MEANT.get(name);
    if (meant !== undefined) {
      throw new CommanderError(
        ExitCode.usage,
        LIKELY_MEANT_CODE,
        `error: unknown option '${name}' (did you mean ${meant}?)`,
      );
    }
  }
  const hoisted: string[] = [];
  let i = 0;
  while (i < args.length) {
    const arg = args[i]!;
    const name = arg.split('=')[0] ?? arg;
    const takesValue = GLOBAL_FLAGS.get(name);
    if (takesValue === undefined) break; // the command name, --help, --version, or a usage error for commander
    const width = takesValue && !arg.includes('=') ? 2 : 1;
    hoisted.push(...args.slice(i, i + width));
    i += width;
  }
  if (hoisted.length === 0 || i >= args.length) return [...argv];
  const command = args[i]!;
  return [node, script, command, ...hoisted, ...args.slice(i + 1)];
}
