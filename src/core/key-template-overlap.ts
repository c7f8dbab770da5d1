/**
 * Whether two key templates can render the same key, each `{field}` standing for any non-empty
 * string (a column's text can hold anything, separators included). The follower uses it to find
 * tables that write one key: their versions must come from one sequence.
 */

const PLACEHOLDER = /\{[A-Za-z_][A-Za-z0-9_]*\}/g;

// A template as a pattern: literal code points, and per field one ANY (a character) then a STAR
// (any more), so a field never matches the empty string.
type Token = { kind: 'char'; char: string } | { kind: 'any' } | { kind: 'star' };

function tokens(source: string): Token[] {
  const out: Token[] = [];
  let last = 0;
  const literal = (text: string) => {
    for (const char of text) out.push({ kind: 'char', char });
  };
  for (const m of source.matchAll(PLACEHOLDER)) {
    literal(source.slice(last, m.index));
    out.push({ kind: 'any' }, { kind: 'star' });
    last = (m.index ?? 0) + m[0].length;
  }
  literal(source.slice(last));
  return out;
}

/**
 * A key both templates render (fields filled with `x` where either side leaves them free), or
 * `undefined` when no key fits both. `product:{id}` and `product:{product_id}` share
 * `product:x`; `p:{id}` and `p:{id}:v` share `p:x:v` (the first template's field takes `x:v`);
 * `product:{id}` and `variant:{id}` share none. Breadth-first over pairs of positions in the two
 * patterns (their product automaton): linear in the product of the lengths.
 */
export function commonKey(a: string, b: string): string | undefined {
  const p = tokens(a);
  const q = tokens(b);
  const seen = new Set<number>();
  const width = q.length + 1;
  const queue: { i: number; j: number; key: string }[] = [{ i: 0, j: 0, key: '' }];
  const push = (i: number, j: number, key: string) => {
    if (seen.has(i * width + j)) return;
    seen.add(i * width + j);
    queue.push({ i, j, key });
  };
  seen.add(0);
  for (let head = 0; head < queue.length; head++) {
    const { i, j, key } = queue[head]!;
    if (i === p.length && j === q.length) return key;
    const s = p[i];
    const t = q[j];
    // A STAR may match nothing more.
    if (s?.kind === 'star') push(i + 1, j, key);
    if (t?.kind === 'star') push(i, j + 1, key);
    if (!s || !t) continue;
    // Both consume one character: a STAR stays where it is, anything else moves on.
    const char = s.kind === 'char' ? s.char : t.kind === 'char' ? t.char : 'x';
    if (s.kind === 'char' && t.kind === 'char' && s.char !== t.char) continue;
    push(s.kind === 'star' ? i : i + 1, t.kind === 'star' ? j : j + 1, key + char);
  }
  return undefined;
}
