/**
 * The one secret-scrubbing rule: credentials are masked as `***`, nothing else is touched.
 *
 * A credential is (a) the password part of a URL's userinfo, (b) an argument of a command that
 * carries one (Redis `AUTH`, `HELLO … AUTH`, `ACL SETUSER`, `CONFIG SET requirepass`, `MIGRATE`),
 * or (c) a secret the caller names (a bare password, a ZooKeeper digest credential).
 * Keys and values are data, not credentials: callers apply (a) to their own messages and error
 * chains, never to data they print.
 */

// scheme://user:password@host. The password runs to the LAST '@' before the host part, so an
// unencoded '@' (which ioredis accepts) is masked whole; the host part holds no '@', '/', '?', '#'.
const URL_USERINFO = /([a-z][a-z0-9+.-]*:\/\/[^\s:@/?#]*):([^\s/?#]*)@(?=[^\s@/?#]*(?:[\s/?#]|$))/gi;

/**
 * Returns `text` with every URL password replaced by `***` (or only those `isSecret` accepts).
 * Works on single URLs, comma-separated lists, and text that embeds URLs.
 */
export function redactUrl(text: string, isSecret?: (password: string) => boolean): string {
  if (!isSecret) return text.replace(URL_USERINFO, '$1:***@');
  return text.replace(URL_USERINFO, (whole, head: string, password: string) =>
    isSecret(password) ? `${head}:***@` : whole,
  );
}

/** The passwords (raw and percent-decoded) of every URL in `text`, for masking where they appear bare. */
export function urlPasswords(text: string): string[] {
  const out: string[] = [];
  for (const match of text.matchAll(URL_USERINFO)) {
    const raw = match[2] ?? '';
    if (raw.length === 0) continue;
    out.push(raw);
    try {
      const decoded = decodeURIComponent(raw);
      if (decoded !== raw) out.push(decoded);
    } catch {
      // A malformed %-escape is still masked in its raw form.
    }
  }
  return out;
}

/** Replaces every occurrence of each secret in `text` with `***` (longest first, so no secret is masked in part). */
export function redactSecrets(text: string, secrets: readonly (string | undefined)[]): string {
  let out = text;
  const sorted = secrets.filter((s): s is string => typeof s === 'string' && s.length > 0);
  sorted.sort((a, b) => b.length - a.length);
  for (const secret of sorted) out = out.split(secret).join('***');
  return out;
}

/** `user:password` → `user:***` (a ZooKeeper digest credential); anything without a user part → `***`. */
export function maskCredential(credential: string): string {
  const colon = credential.indexOf(':');
  return colon > 0 ? `${credential.slice(0, colon)}:***` : '***';
}

/** Masks URL passwords and the named secrets in one string. */
export function redactText(text: string, secrets: readonly (string | undefined)[] = []): string {
  return redactSecrets(redactUrl(text), secrets);
}

// Commands whose arguments are (or may be) credentials; ioredis keeps them on `err.command.args`.
const CREDENTIAL_COMMANDS = new Set(['auth', 'hello', 'acl', 'config', 'migrate']);
const MAX_DEPTH = 16;

/**
 * Scrubs an error in place and returns it: message, stack, every `cause` (and `errors` of an
 * AggregateError), and every own property (enumerable or not) of errors, plain objects and arrays
 * it reaches: strings through {@link redactText}, the arguments of credential-carrying commands
 * replaced by `***`. Other class instances (a client, a socket) are left alone: they are not ours
 * to change, and walking them could alter live state.
 */
export function scrubError<E>(error: E, secrets: readonly (string | undefined)[] = []): E {
  scrub(error, secrets, new WeakSet(), 0);
  return error;
}

function scrub(value: unknown, secrets: readonly (string | undefined)[], seen: WeakSet<object>, depth: number): void {
  if (typeof value !== 'object' || value === null || depth > MAX_DEPTH || seen.has(value) || !walkable(value)) return;
  seen.add(value);
  const record = value as Record<string, unknown>;
  for (const name of Object.getOwnPropertyNames(value)) {
    const descriptor = Object.getOwnPropertyDescriptor(value, name);
    if (!descriptor || !('value' in descriptor)) continue; // accessors are not read: a getter may throw
    const current = descriptor.value as unknown;
    let next = current;
    if (typeof current === 'string') next = redactText(current, secrets);
    else if (name === 'command' && isCredentialCommand(current)) next = maskedCommand(current);
    else scrub(current, secrets, seen, depth + 1);
    if (next !== current) replace(record, name, descriptor, next);
  }
}

function walkable(value: object): boolean {
  if (value instanceof Error || Array.isArray(value)) return true;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

function isCredentialCommand(value: unknown): value is { name: string; args?: unknown } {
  const name = (value as { name?: unknown } | null)?.name;
  return typeof name === 'string' && CREDENTIAL_COMMANDS.has(name.toLowerCase());
}

function maskedCommand(command: { name: string; args?: unknown }): { name: string; args: string[] } {
  return { name: command.name, args: Array.isArray(command.args) ? command.args.map(() => '***') : [] };
}

function replace(record: Record<string, unknown>, name: string, descriptor: PropertyDescriptor, next: unknown): void {
  if (descriptor.writable) {
    record[name] = next;
  } else if (descriptor.configurable) {
    Object.defineProperty(record, name, { ...descriptor, value: next });
  }
  // A frozen property cannot be changed; nothing we create is frozen.
}
