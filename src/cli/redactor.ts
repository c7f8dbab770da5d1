import { redactSecrets, redactUrl, urlPasswords } from '../core/redact.js';

// Bare secrets shorter than this are masked only in URL form: replacing every "1" of a timestamp
// because someone's password is "1" would corrupt the output operators rely on.
const MIN_BARE_SECRET_LENGTH = 4;

const CONNECTION_FLAGS = new Set(['--redis', '--zk', '--database-url']);

// commander echoes a mistyped flag with its value: `unknown option '--zk-auht=app:S3cret'`.
const UNKNOWN_OPTION_VALUE = /(unknown option '--?[^'=\s]+)=[^']*'/g;

/**
 * Masks the credentials the CLI was given, and only those: every password seen in argv or the
 * connection env vars (URL passwords raw and percent-decoded, `--zk-auth user:password`), wherever
 * it appears, and the value of a mistyped `--flag=value` that commander echoes. Keys, values and
 * holder data are printed as they are, even when they look like a URL with a password
 * (`x://u:p@h`): masking data would hide the real key from the operator.
 */
export class Redactor {
  readonly #secrets: string[];

  /**
   * The Redactor of a zkoc process: the passwords of its connection flags (`--redis`, `--zk`,
   * `--database-url`, both `--flag value` and `--flag=value`), of the connection env vars, and its
   * `--zk-auth` credentials. Other arguments (keys, values) are data, never harvested: a key
   * `x://u:p@h` must not make every "p" in the output a secret.
   */
  static forProcess(argv: readonly string[], env: NodeJS.ProcessEnv, bareSecrets: readonly string[]): Redactor {
    const sources: (string | undefined)[] = [env.ZKOC_REDIS, env.DATABASE_URL, env.ZKOC_ZK];
    argv.forEach((arg, i) => {
      if (CONNECTION_FLAGS.has(arg)) sources.push(argv[i + 1]);
      const eq = arg.indexOf('=');
      if (eq > 0 && CONNECTION_FLAGS.has(arg.slice(0, eq))) sources.push(arg.slice(eq + 1));
    });
    return new Redactor(sources, bareSecrets);
  }

  /**
   * @param sources argv items and env values to harvest URL passwords from.
   * @param bareSecrets secrets with no URL form (e.g. `--zk-auth user:password`), masked wherever they appear.
   */
  constructor(sources: readonly (string | undefined)[], bareSecrets: readonly string[] = []) {
    const secrets = new Set<string>(bareSecrets);
    for (const source of sources) if (source) for (const secret of urlPasswords(source)) secrets.add(secret);
    this.#secrets = [...secrets].filter((s) => s.length > 0);
  }

  /** Returns `text` with the known secrets replaced by `***`. */
  redact(text: string): string {
    // a known password in a URL is masked whatever its length
    const masked = redactUrl(text.replace(UNKNOWN_OPTION_VALUE, "$1=***'"), (password) =>
      this.#secrets.includes(password),
    );
    return redactSecrets(
      masked,
      this.#secrets.filter((s) => s.length >= MIN_BARE_SECRET_LENGTH),
    );
  }
}
