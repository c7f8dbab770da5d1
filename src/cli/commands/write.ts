import { Command, Option } from 'commander';
import { parseJsonExactly } from '../../codec/exact-json.js';
import { InvalidTimestampError } from '../../errors.js';
import type { WriteResult } from '../../redis/index.js';
import { type ActionContext, type CliEnvironment, defineAction } from '../action.js';
import { keyArgument, timestampOption } from '../arguments.js';
import { openCache } from '../clients.js';
import { addConnectionOptions, type ConnectionOptions, timeoutLimits } from '../connection-options.js';
import { highestIssuedVersion, openDatabase } from '../database-version.js';

/**
 * `zkoc set <key> <value> --ts T`: an ordered write through the key's lock and the compare script.
 * The value is parsed as JSON when it parses (`42`, `"42"`, `{"a":1}`), else stored as the string;
 * `--string` always stores the string.
 */
export function createSetCommand(env: CliEnvironment): Command {
  const command = addConnectionOptions(
    new Command('set')
      .description('ordered write through the lock and the compare script; prints written, stale or duplicate')
      .addArgument(keyArgument())
      .argument('<value>', 'JSON if it parses as JSON (42, true, {"a":1}, "quoted"), otherwise the text itself')
      .addOption(timestampOption())
      .addOption(new Option('--string', 'store <value> as a string even if it parses as JSON').default(false)),
  ).addHelpText(
    'after',
    `
Example:
  $ zkoc set 'product:123' '{"price":50}' --ts 42 -n products     # written
  $ zkoc set 'product:123' '{"price":100}' --ts 41 -n products    # stale: 42 is kept
Exit status 0 for written, stale and duplicate alike (they are outcomes, not errors); --json carries "status".`,
  );
  return defineAction(command, env, async ({ args, options, connection, out, open }) => {
    const [key, text] = [String(args[0]), String(args[1])];
    const value = options.string === true ? text : parseJsonOrText(text);
    const ts = String(options.ts);
    await using cache = await open(openCache(connection, timeoutLimits(connection.timeoutMs)));
    report(out, key, ts, 'value', await cache.set(key, value, ts));
  });
}

/** `zkoc invalidate <key> --ts T`: writes a tombstone at T through the lock and the compare script. */
export function createInvalidateCommand(env: CliEnvironment): Command {
  const command = addConnectionOptions(
    new Command('invalidate')
      .description(
        'write a tombstone at --ts through the lock and the compare script: rejects every write older than it',
      )
      .addArgument(keyArgument())
      .addOption(timestampOption())
      .addOption(new Option('--force', 'write even a tombstone above every version the database has issued')),
    { database: true },
  ).addHelpText(
    'after',
    `
Example:
  $ zkoc invalidate 'product:123' --ts 43 -n products --database-url postgres://app@db/shop
A tombstone refuses every fill older than --ts: above the database's version, the key is read from
the database on every call until the tombstone expires. With --database-url, a --ts above every
version the database has issued is refused (exit 2) unless --force.`,
  );
  return defineAction(command, env, async ({ args, options, connection, out, open }) => {
    const key = String(args[0]);
    const ts = String(options.ts);
    const checked = await checkAgainstDatabase(ts, connection, options.force === true, open);
    await using cache = await open(openCache(connection, timeoutLimits(connection.timeoutMs)));
    const result = await cache.invalidate(key, ts);
    report(out, key, ts, 'tombstone', result);
    if (result.status === 'written' && !checked)
      out.diagnostic(
        `warning: every fill of ${JSON.stringify(key)} older than ${ts} is refused until this tombstone expires; if the database holds an older version, the key is not cached until then${connection.databaseUrl ? '' : ' (pass --database-url to check --ts against the database)'}`,
      );
  });
}

/**
 * True when the database confirms `ts` is not above every version it has issued. Above it: an
 * InvalidTimestampError (exit 2, nothing written) unless `force`, then false (the caller warns);
 * false too when no sequence can be read to compare with.
 */
async function checkAgainstDatabase(
  ts: string,
  connection: ConnectionOptions,
  force: boolean,
  open: ActionContext['open'],
): Promise<boolean> {
  if (!connection.databaseUrl) return false;
  await using db = await open(openDatabase(connection.databaseUrl, connection.timeoutMs));
  const highest = await highestIssuedVersion(db.client);
  // no sequence readable by this role (or versions from timestamptz columns): nothing to compare with
  if (highest === undefined) return false;
  if (BigInt(ts) <= highest) return true;
  if (force) return false;
  throw new InvalidTimestampError(
    `--ts ${ts} is above every version the database has issued (highest: ${highest}): the tombstone would refuse every fill of this key until it expires; nothing written (pass --force if you mean it)`,
  );
}

/**
 * JSON when `text` is JSON, else the text: `42` → 42, `"42"` → "42", `hello` → "hello".
 * JSON with a number a double cannot hold exactly (`12345678901234567890`) is refused
 * (InvalidValueError), never stored rounded: quote it or pass `--string`.
 */
export function parseJsonOrText(text: string): unknown {
  let value: unknown;
  try {
    value = JSON.parse(text) as unknown;
  } catch {
    return text;
  }
  parseJsonExactly(text);
  return value;
}

function report(
  out: import('../output.js').Output,
  key: string,
  ts: string,
  kind: 'value' | 'tombstone',
  result: WriteResult,
): void {
  const current = result.current?.toString();
  if (out.json) {
    out.document({ key, kind, status: result.status, timestamp: ts, current, reason: result.reason });
    return;
  }
  const what = kind === 'tombstone' ? 'tombstone' : 'value';
  if (result.status === 'written') out.line(`written: ${what} for ${JSON.stringify(key)} at timestamp ${ts}`);
  else if (result.status === 'duplicate')
    out.line(`duplicate: timestamp ${ts} is already stored for ${JSON.stringify(key)}; nothing changed`);
  else if (result.reason === 'epoch')
    out.line(
      `stale: Redis lost its data after this write's epoch was taken; nothing changed for ${JSON.stringify(key)}`,
    );
  else if (current === ts)
    // only a tombstone over a value at the same timestamp: the value is what that version committed
    out.line(
      `stale: ${JSON.stringify(key)} already holds a value at timestamp ${ts}, which a tombstone at the same timestamp does not replace; nothing changed`,
    );
  else out.line(`stale: ${JSON.stringify(key)} already holds timestamp ${current}, newer than ${ts}; nothing changed`);
}
