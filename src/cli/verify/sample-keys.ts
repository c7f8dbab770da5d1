/** Something that lists a namespace's keys (an `OrderedStore`'s SCAN). */
export interface KeyScanner {
  scan(prefix?: string): AsyncIterable<string>;
}

/**
 * Lists up to `limit` distinct keys by SCAN and keeps `sample` of them picked uniformly at random
 * (reservoir sampling, so memory stays at `sample` keys), or all of them when `sample` is undefined.
 */
export async function sampleKeys(
  store: KeyScanner,
  options: { prefix: string; limit: number; sample: number | undefined; random?: () => number },
): Promise<string[]> {
  const random = options.random ?? Math.random;
  const seen = new Set<string>(); // SCAN may return a key twice
  const kept: string[] = [];
  for await (const key of store.scan(options.prefix)) {
    if (seen.has(key)) continue;
    if (seen.size >= options.limit) break;
    seen.add(key);
    if (options.sample === undefined || kept.length < options.sample) kept.push(key);
    else {
      const slot = Math.floor(random() * seen.size);
      if (slot < options.sample) kept[slot] = key;
    }
  }
  return kept;
}
