/**
 * Returns `url` with any password replaced by `***`, for every message, log line and CLI output.
 * Works on single URLs, comma-separated lists, and text that embeds URLs.
 */
export function redactUrl(text: string): string {
  // scheme://user:password@host → scheme://user:***@host ; also scheme://:password@host
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/[^\s:@/]*):([^\s@/]*)@/gi, '$1:***@');
}

/** Replaces every occurrence of each secret in `text` with `***` (for secrets that are not in URL form). */
export function redactSecrets(text: string, secrets: readonly (string | undefined)[]): string {
  let out = text;
  for (const secret of secrets) {
    if (secret && secret.length > 0) out = out.split(secret).join('***');
  }
  return out;
}
