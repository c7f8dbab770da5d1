// What can drive a terminal or hide text from the operator: C0 controls (ESC starts every escape
// sequence), DEL, C1 controls (U+009B is a one-character CSI), the Unicode line/paragraph
// separators and the bidirectional overrides/isolates (they reorder what is shown).
// Everything else — '/', spaces, any other Unicode — is printed exactly as given.
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
const UNSAFE_BUT_NEWLINE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
// In JSON text, C0 is already escaped by JSON.stringify; these are not (and appear only inside strings).
const UNSAFE_IN_JSON = /[\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/**
 * Makes `text` safe for one terminal cell: unsafe characters become `\n`, `\t`, `\x1b`, `\u202e`-style
 * escapes; every other character, including `/`, spaces and Unicode, is kept as given.
 */
export function printable(text: string): string {
  return text.replace(UNSAFE, escapeChar);
}

/**
 * The terminal-safe form of text that may span lines (what the CLI writes): {@link printable}
 * for every character except the newline, which keeps separating lines. Idempotent.
 */
export function terminalSafe(text: string): string {
  return text.replace(UNSAFE_BUT_NEWLINE, escapeChar);
}

/**
 * JSON text made terminal-safe without changing what it means: DEL, C1 and the separators and
 * bidi controls become `\u00XX` escapes (JSON.stringify leaves them raw; it already escapes C0).
 */
export function terminalSafeJson(json: string): string {
  return json.replace(UNSAFE_IN_JSON, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function escapeChar(ch: string): string {
  if (ch === '\n') return '\\n';
  if (ch === '\t') return '\\t';
  if (ch === '\r') return '\\r';
  const code = ch.charCodeAt(0);
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/** Shortens `text` to at most `max` characters (code points), marking the cut with `…`. */
export function preview(text: string, max: number): string {
  const chars = [...text];
  return chars.length <= max ? text : `${chars.slice(0, Math.max(0, max - 1)).join('')}…`;
}

/** Display width in terminal columns: code points, with East Asian wide and emoji counted as 2. */
export function displayWidth(text: string): number {
  let width = 0;
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    if (cp >= 0x300 && cp <= 0x36f) continue; // combining marks take no column
    width += isWide(cp) ? 2 : 1;
  }
  return width;
}

function isWide(cp: number): boolean {
  return (
    (cp >= 0x1100 && cp <= 0x115f) ||
    (cp >= 0x2e80 && cp <= 0xa4cf) ||
    (cp >= 0xac00 && cp <= 0xd7a3) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0xfe30 && cp <= 0xfe4f) ||
    (cp >= 0xff00 && cp <= 0xff60) ||
    (cp >= 0xffe0 && cp <= 0xffe6) ||
    (cp >= 0x1f300 && cp <= 0x1faff) ||
    (cp >= 0x20000 && cp <= 0x3fffd)
  );
}
