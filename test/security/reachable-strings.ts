import { inspect } from 'node:util';

/** Every string reachable from `root`: own properties (enumerable or not, symbols too), getters, prototypes' own data. */
export function reachableStrings(root: unknown): string[] {
  const out: string[] = [];
  const seen = new Set<unknown>();
  const visit = (value: unknown, depth: number): void => {
    if (typeof value === 'string') {
      out.push(value);
      return;
    }
    if ((typeof value !== 'object' && typeof value !== 'function') || value === null) return;
    if (seen.has(value) || depth > 12) return;
    seen.add(value);
    for (const name of Reflect.ownKeys(value)) {
      let child: unknown;
      try {
        child = (value as Record<string | symbol, unknown>)[name];
      } catch {
        continue;
      }
      visit(child, depth + 1);
    }
  };
  visit(root, 0);
  out.push(inspect(root, { depth: 12, showHidden: true }), String(root));
  return out;
}
