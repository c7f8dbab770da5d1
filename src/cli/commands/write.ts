import { Command, Option } from 'commander';
import { OrderedCache } from '../../cache/ordered-cache.js';
import { parseJsonExactly } from '../../codec/exact-json.js';
import type { WriteResult } from '../../redis/index.js';
import { type CliEnvironment, defineAction } from '../action.js';
import { keyArgument, timestampOption } from '../arguments.js';
import { CLI_LABEL } from '../clients.js';
import { addConnectionOptions, type ConnectionOptions, zookeeperAccess } from '../connection-options.js';

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
  return defineAction(command, env, async ({ args, options, connection, out }) => {
    const [key, text] = [String(args[0]), String(args[1])];
    const value = options.string === true ? text : parseJsonOrText(text);
    const ts = String(options.ts);
    await using cache = await connectCache(connection);
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
      .addOption(timestampOption()),
  ).addHelpText(
    'after',
    `
Example:
  $ zkoc invalidate 'product:123' --ts 43 -n products`,
  );
  return defineAction(command, env, async ({ args, options, connection, out }) => {
    const key = String(args[0]);
    const ts = String(options.ts);
    await using cache = await connectCache(connection);
    report(out, key, ts, 'tombstone', await cache.invalidate(key, ts));
  });
}

function connectCache(connection: ConnectionOptions): Promise<OrderedCache> {
  const seeds = connection.redis
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  return OrderedCache.connect({
    zookeeper: {
      connectString: connection.zk,
      connectTimeoutMs: connection.timeoutMs,
      sessionTimeoutMs: Math.max(4_000, connection.timeoutMs * 2),
      ...zookeeperAccess(connection),
    },
    redis: seeds.length > 1 ? seeds : connection.redis,
    namespace: connection.namespace,
    lockTimeoutMs: connection.timeoutMs,
    redisConnectTimeoutMs: connection.timeoutMs,
    redisCommandTimeoutMs: connection.timeoutMs,
    label: CLI_LABEL,
  });
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
  const current = result.current.toString();
  if (out.json) {
    out.document({ key, kind, status: result.status, timestamp: ts, current });
    return;
  }
  const what = kind === 'tombstone' ? 'tombstone' : 'value';
  if (result.status === 'written') out.line(`written: ${what} for ${JSON.stringify(key)} at timestamp ${ts}`);
  else if (result.status === 'duplicate')
    out.line(`duplicate: timestamp ${ts} is already stored for ${JSON.stringify(key)}; nothing changed`);
  else out.line(`stale: ${JSON.stringify(key)} already holds timestamp ${current}, newer than ${ts}; nothing changed`);
}
