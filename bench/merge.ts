// Merging one run's sections into docs/performance.md and bench/results.json: a section that ran
// replaces its own sub-block and entry, every other section keeps its figures, its date and its
// place. Pure string/JSON logic (no servers), so a run of one section cannot erase the others.
import type { BenchSection } from './types.js';

const START = '<!-- bench:start -->';
const END = '<!-- bench:end -->';
const HEADER =
  'Each section below is from its own run. Reproduce with `npm run bench`, or one section with `npm run bench -- --only=<name>` (several: `--only=a,b`).';
const SUB_BLOCK = /<!-- bench:section=([\w-]+) -->\n([\s\S]*?)<!-- bench:section-end=\1 -->/g;
const OLD_LAST_RUN = /^Last run: (.+?) on (.+?)( \(quick\))?\. Reproduce with .*$/m;

/** How the bench knows its sections: their names in run order, and how each one's title starts. */
export interface SectionCatalog {
  order: readonly string[];
  /** Title prefix per name, to recognise sections written before each had its own sub-block. */
  titlePrefix: Readonly<Record<string, string>>;
}

/** When and where one section last ran. */
export interface RunInfo {
  when: string;
  machine: string;
  quick: boolean;
}

/** One section's entry in bench/results.json. */
export type SectionResult = RunInfo & BenchSection;

/** bench/results.json: one entry per section name, in document order. */
export interface ResultsFile {
  sections: Record<string, SectionResult>;
}

/** `--only=a,b` → the names, or undefined for every section; an unknown name throws with the list. */
export function parseOnly(arg: string | undefined, catalog: SectionCatalog): string[] | undefined {
  if (arg === undefined) return undefined;
  const names = arg.split(',').map((n) => n.trim());
  const unknown = names.filter((n) => !catalog.order.includes(n));
  if (unknown.length > 0 || names.length === 0)
    throw new Error(
      `unknown bench section ${unknown.map((n) => `'${n}'`).join(', ') || "''"}; sections: ${catalog.order.join(', ')}`,
    );
  return [...new Set(names)];
}

/** The section name a title belongs to, from the catalog's prefixes. */
export function sectionOfTitle(title: string, catalog: SectionCatalog): string {
  const name = catalog.order.find((n) => title.startsWith(catalog.titlePrefix[n] ?? '\0'));
  if (name === undefined) throw new Error(`bench: no section's title starts like '${title}'`);
  return name;
}

/**
 * Replaces the sub-blocks of the sections in `fresh` (name → rendered Markdown, its "Last run"
 * line included) inside the generated block of `doc`, keeping the others. A block in the old
 * single-run layout is first split into sub-blocks, each keeping the old "Last run" line.
 */
export function mergeDoc(doc: string, fresh: ReadonlyMap<string, string>, catalog: SectionCatalog): string {
  const start = doc.indexOf(START);
  const end = doc.indexOf(END);
  const found = start >= 0 && end > start;
  const inner = found ? doc.slice(start + START.length, end) : '';
  const merged = inner.includes('<!-- bench:section=') ? subBlocks(inner) : convertOldBlock(inner, catalog);
  for (const name of catalog.order) {
    const body = fresh.get(name);
    if (body !== undefined) insertInOrder(merged, name, body, catalog);
  }
  const block = renderBlock(merged);
  if (found) return doc.slice(0, start) + block + doc.slice(end + END.length);
  return doc.trim() === '' ? `# Performance\n\n${block}\n` : `${doc.trimEnd()}\n\n${block}\n`;
}

/** Replaces the entries of the sections that ran in `previous` (either layout), keeping the others. */
export function mergeResults(
  previous: unknown,
  fresh: ReadonlyMap<string, SectionResult>,
  catalog: SectionCatalog,
): ResultsFile {
  const merged = new Map(Object.entries(resultsOf(previous, catalog)));
  for (const [name, entry] of fresh) insertInOrder(merged, name, entry, catalog);
  return { sections: Object.fromEntries(merged) };
}

function resultsOf(previous: unknown, catalog: SectionCatalog): Record<string, SectionResult> {
  if (previous === undefined || previous === null) return {};
  const file = previous as { sections?: unknown } & Partial<RunInfo>;
  if (!Array.isArray(file.sections)) return (file.sections ?? {}) as Record<string, SectionResult>;
  // Old layout: one when/machine/quick for an array of sections.
  const run: RunInfo = { when: String(file.when), machine: String(file.machine), quick: file.quick === true };
  const out: Record<string, SectionResult> = {};
  for (const section of file.sections as BenchSection[])
    out[sectionOfTitle(section.title, catalog)] = { ...run, ...section };
  return out;
}

function subBlocks(inner: string): Map<string, string> {
  return new Map([...inner.matchAll(SUB_BLOCK)].map((m) => [m[1]!, m[2]!]));
}

function convertOldBlock(inner: string, catalog: SectionCatalog): Map<string, string> {
  const out = new Map<string, string>();
  if (inner.trim() === '') return out;
  const lastRun = OLD_LAST_RUN.exec(inner);
  if (!lastRun) throw new Error(`bench: the generated block of docs/performance.md has no "Last run" line`);
  const line = `Last run: ${lastRun[1]} on ${lastRun[2]}${lastRun[3] ?? ''}.\n\n`;
  const rest = inner.slice(lastRun.index + lastRun[0].length).replace(/^\n+/, '');
  const [preamble = '', ...chunks] = rest.split(/^(?=### )/m);
  // The old layout put the lock chart above every section; it belongs to the section it preceded.
  chunks.forEach((chunk, i) => {
    const title = chunk.slice('### '.length, chunk.indexOf('\n'));
    out.set(sectionOfTitle(title, catalog), line + (i === 0 ? preamble : '') + chunk.replace(/\n*$/, '\n'));
  });
  return out;
}

/** Sets `name` in place when present, else before the first later section in catalog order. */
function insertInOrder<T>(entries: Map<string, T>, name: string, value: T, catalog: SectionCatalog): void {
  if (entries.has(name)) {
    entries.set(name, value);
    return;
  }
  const rank = catalog.order.indexOf(name);
  const list = [...entries];
  const at = list.findIndex(([other]) => catalog.order.indexOf(other) > rank);
  list.splice(at < 0 ? list.length : at, 0, [name, value]);
  entries.clear();
  for (const [k, v] of list) entries.set(k, v);
}

function renderBlock(sections: ReadonlyMap<string, string>): string {
  const parts = [...sections].map(
    ([name, body]) =>
      `<!-- bench:section=${name} -->\n${body.replace(/\n*$/, '\n')}<!-- bench:section-end=${name} -->\n`,
  );
  return `${START}\n${HEADER}\n\n${parts.join('\n')}${END}`;
}
