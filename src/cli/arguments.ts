import { Argument, InvalidArgumentError, Option } from 'commander';
import { assertValidKey } from '../core/key.js';
import { canonicalTimestamp } from '../core/timestamp.js';
import { ZkocError } from '../errors.js';

/** `<key>`: any non-empty well-formed string up to 1024 UTF-8 bytes; a bad one is a usage error (exit 2). */
export function keyArgument(): Argument {
  return new Argument('<key>', 'cache key, exactly as the application uses it (quote it in the shell)').argParser(
    (text: string) => {
      rethrowAsUsage(() => assertValidKey(text, 'key'));
      return text;
    },
  );
}

/** `--ts <T>`: a decimal timestamp 0…2^63−1, kept as its canonical string so it stays exact. */
export function timestampOption(): Option {
  return new Option('--ts <timestamp>', 'DB-sourced timestamp (decimal integer 0…9223372036854775807)')
    .makeOptionMandatory()
    .argParser((text: string) => rethrowAsUsage(() => canonicalTimestamp(text, '--ts')));
}

/** `--prefix <P>`: only keys starting with P. */
export function prefixOption(): Option {
  return new Option('--prefix <prefix>', 'only keys that start with this text').default('');
}

function rethrowAsUsage<T>(run: () => T): T {
  try {
    return run();
  } catch (error) {
    if (error instanceof ZkocError) throw new InvalidArgumentError(error.message);
    throw error;
  }
}
