import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StartedStack } from '../../src/testing/index.js';
import { startTestStack } from '../support/stack.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const run = promisify(execFile);
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

/** The README's usage example and the output it promises (the same markers the README test reads). */
async function readmeExample(): Promise<{ code: string; prints: string }> {
  const readme = await readFile(join(root, 'README.md'), 'utf8');
  const section = readme.split('<!-- readme-example:start -->')[1]?.split('<!-- readme-example:end -->')[0];
  const code = section && /```\w*\n([\s\S]*?)```/.exec(section)?.[1];
  const prints = /prints\s*```text\n([\s\S]*?)```/.exec(readme.split('<!-- readme-example:end -->')[1] ?? '')?.[1];
  if (!code || !prints) throw new Error('README has no usage example with its output');
  return { code, prints };
}

// What a user gets from `npm pack` / `npm install git+…`: a fresh checkout (tracked and new files,
// nothing ignored, so no dist/) packed with its own `prepare`, installed into a new app with npm.
describe('the packed package, installed into a fresh app', () => {
  let stack: StartedStack;
  let work: string;
  let tarball: string;
  let files: string[];
  let app: string;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'zkoc-pack-'));
    const [started] = await Promise.all([startTestStack(), packFreshCheckout()]);
    stack = started;
  }, 300_000);
  afterAll(async () => {
    await stack?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  async function packFreshCheckout(): Promise<void> {
    const tree = join(work, 'checkout');
    const { stdout: listed } = await run('git', ['ls-files', '-co', '--exclude-standard', '-z'], { cwd: root });
    for (const file of listed.split('\0').filter(Boolean)) {
      await mkdir(dirname(join(tree, file)), { recursive: true });
      await cp(join(root, file), join(tree, file)).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== 'ENOENT') throw error; // deleted in the work tree, not yet in git
      });
    }
    // the build tools; the checkout must build itself through `prepare`
    await symlink(join(root, 'node_modules'), join(tree, 'node_modules'), 'dir');
    const { stdout } = await run(npm, ['pack', '--json', '--pack-destination', work], {
      cwd: tree,
      maxBuffer: 64 * 1024 * 1024,
    });
    const [packed] = JSON.parse(stdout) as { filename: string; files: { path: string }[] }[];
    tarball = join(work, packed!.filename);
    files = packed!.files.map((f) => f.path);
  }

  it('contains the built code with its types, LICENSE and README; no maps, sources or repo scripts', () => {
    for (const file of [
      'package.json',
      'LICENSE',
      'README.md',
      'dist/index.js',
      'dist/index.d.ts',
      'dist/postgres/index.d.ts',
      'dist/testing/index.d.ts',
      'dist/cli/main.js',
    ])
      expect(files).toContain(file);
    expect(files.filter((f) => f.endsWith('.map'))).toEqual([]);
    expect(files.filter((f) => /^(src|scripts|test|bench)\//.test(f))).toEqual([]);
  });

  it('arethetypeswrong finds no problem beyond the documented ESM-only choice', async () => {
    const attw = join(root, 'node_modules/@arethetypeswrong/cli/dist/index.js');
    const { stdout } = await run(process.execPath, [attw, tarball, '--profile', 'esm-only', '--format', 'json'], {
      maxBuffer: 64 * 1024 * 1024,
    });
    const { problems } = JSON.parse(stdout) as { problems: Record<string, { resolutionKind: string }[]> };
    const beyondEsmOnly = Object.entries(problems).flatMap(([kind, list]) =>
      list.filter((p) => !['node10', 'node16-cjs'].includes(p.resolutionKind)).map((p) => ({ kind, ...p })),
    );
    expect(beyondEsmOnly).toEqual([]);
  }, 120_000);

  it('installs with npm; the README example runs twice and prints the right price both times', async () => {
    app = join(work, 'app');
    await mkdir(app);
    await writeFile(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
    // --prefer-offline: from npm's cache when it has the dependencies, else the registry
    await run(npm, ['install', '--prefer-offline', '--no-audit', '--no-fund', tarball, 'pg'], {
      cwd: app,
      maxBuffer: 64 * 1024 * 1024,
    });
    const { code, prints } = await readmeExample();
    await writeFile(join(app, 'example.mjs'), code);
    const env = {
      ...process.env,
      ZKOC_ZK: stack.zookeeper.connectString,
      ZKOC_REDIS: stack.redis.url,
      DATABASE_URL: stack.postgres.url,
    };
    for (const round of [1, 2]) {
      const { stdout } = await run(process.execPath, ['example.mjs'], { cwd: app, env, timeout: 60_000 });
      expect({ round, stdout }).toEqual({ round, stdout: prints });
    }
  }, 300_000);

  it('npx zkoc --help and --version run from the app', async () => {
    const help = await run('npx', ['--no-install', 'zkoc', '--help'], { cwd: app });
    expect(help.stdout).toMatch(/^Usage: zkoc /);
    const version = await run('npx', ['--no-install', 'zkoc', '--version'], { cwd: app });
    const manifest = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as { version: string };
    expect(version.stdout).toBe(`${manifest.version}\n`);
  }, 60_000);

  it('type-checks against the installed declarations with skipLibCheck off (pg types included)', async () => {
    await writeFile(
      join(app, 'check.ts'),
      `import pg from 'pg';
import { closeOnSignals, OrderedCache, type CacheEvents } from 'zk-ordered-cache';
import { loadVersioned } from 'zk-ordered-cache/postgres';
import type { StartedStack } from 'zk-ordered-cache/testing';
export async function main(pool: pg.Pool): Promise<string | undefined> {
  const cache = await OrderedCache.connect({ zookeeper: { connectString: 'h:2181' }, redis: 'redis://h', namespace: 'n' });
  closeOnSignals(cache);
  const refused: CacheEvents['fill-refused'][] = [];
  cache.events.on('fill-refused', (e) => refused.push(e));
  const row = await loadVersioned<{ name: string }>(pool, 'SELECT 1', []);
  return row?.value.name;
}
export type Stack = StartedStack;
`,
    );
    await writeFile(
      join(app, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          module: 'nodenext',
          moduleResolution: 'nodenext',
          target: 'es2022',
          lib: ['es2023', 'esnext.disposable'],
          strict: true,
          noEmit: true,
          skipLibCheck: false,
          // Node's own types, as any Node app has them; everything else from the app's node_modules
          types: ['node'],
          typeRoots: [join(root, 'node_modules/@types')],
        },
        files: ['check.ts'],
      }),
    );
    const tsc = join(root, 'node_modules/typescript/bin/tsc');
    const result = await run(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: app }).catch(
      (error: { stdout: string }) => ({ stdout: error.stdout }),
    );
    expect(result.stdout).toBe('');
  }, 120_000);
});
