import { redactSecrets, redactUrl } from '../core/redact.js';

// Bare secrets shorter than this are masked only in URL form: replacing every "1" of a timestamp
// because someone's password is "1" would corrupt the output operators rely on.
const MIN_BARE_SECRET_LENGTH = 4;

const URL_PASSWORD = /[a-z][a-z0-9+.-]*:\/\/[^\s:@/]*:([^\s@/]*)@/gi;

/**
 * Masks passwords in everything the CLI prints: URL passwords by pattern (`redis://:***@host`),
 * plus every password seen in argv or the connection env vars wherever it appears bare,
 * e.g. inside a driver's error message, in raw and percent-decoded form.
 */
export class Redactor {
  readonly #secrets: string[];

  /**
   * @param sources argv items and env values to harvest URL passwords from.
   * @param bareSecrets secrets with no URL form (e.g. `--zk-auth user:password`), masked wherever they appear.
   */
  constructor(sources: readonly (string | undefined)[], bareSecrets: readonly string[] = []) {
    const secrets = new Set<string>(bareSecrets);
    for (const source of sources) {
      if (!source) continue;
      for (const match of source.matchAll(URL_PASSWORD)) {
        const raw = match[1] ?? '';
        secrets.add(raw);
        try {
          secrets.add(decodeURIComponent(raw));
        } catch {
          // A malformed %-escape is still masked in its raw form.
        }
      }
    }
    // Longest first, so a secret containing another is masked whole.
    this.#secrets = [...secrets].filter((s) => s.length >= MIN_BARE_SECRET_LENGTH).sort((a, b) => b.length - a.length);
  }

  /** Returns `text` with URL passwords and known secrets replaced by `***`. */
  redact(text: string): string {
    return redactSecrets(redactUrl(text), this.#secrets);
  }
}
