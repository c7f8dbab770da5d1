import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { afterAll, describe, expect, it } from 'vitest';
import { descendantPids } from '../../src/testing/local/process-tree.js';
import { needs } from '../support/stack.js';

const processes = needs('processes', 'SIGKILLs a process that owns a local stack');

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Transpiles all of src/ (type-free, per file) into `outDir`, inside the repo so node_modules resolve. */
async function transpileSources(outDir: string): Promise<void> {
  const walk = async (dir: string): Promise<string[]> =>
    (await readdir(dir, { withFileTypes: true }))
      .flatMap((e) => (e.isDirectory() ? [] : [join(dir, e.name)]))
      .concat(
        ...(await Promise.all(
          (
            await readdir(dir, { withFileTypes: true })
          )
            .filter((e) => e.isDirectory())
            .map((e) => walk(join(dir, e.name))),
        )),
      );
  // All of src/: the harness's exports reach into the library (race scenarios use the cache and postgres helpers).
  const sources = (await walk(join(repoRoot, 'src')))
    .map((file) => (file.startsWith('/') ? relative(repoRoot, file) : file))
    .filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts')); // declaration files emit nothing
  for (const file of sources) {
    const { outputText } = ts.transpileModule(readFileSync(join(repoRoot, file), 'utf8'), {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
      fileName: file,
    });
    const target = join(outDir, file.replace(/\.ts$/, '.js'));
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, outputText);
  }
  await writeFile(join(outDir, 'package.json'), '{"type":"module"}\n');
}

/** Gone, or a zombie nobody has reaped yet (it holds no resources and runs no code). */
function isGone(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return true;
  }
}

async function waitUntil(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return true;
}

describe('reaping', processes, () => {
  let workDir: string | undefined;
  afterAll(async () => {
    if (workDir) await rm(workDir, { recursive: true, force: true });
  });

  it('kills every server and removes the data directory when the owning process is SIGKILLed', async () => {
    await mkdir(join(repoRoot, '.zkoc'), { recursive: true });
    workDir = await mkdtemp(join(repoRoot, '.zkoc', 'reaping-test-'));
    await transpileSources(workDir);
    const script = join(workDir, 'owner.mjs');
    await writeFile(
      script,
      `import { startStack } from './src/testing/index.js';
const stack = await startStack({ provider: 'local' });
console.log(JSON.stringify({ zookeeper: stack.zookeeper.pid, redis: stack.redis.pid, postgres: stack.postgres.pid }));
setInterval(() => {}, 1000); // stay alive until killed
`,
    );
    const owner = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = new Promise((resolve) => owner.once('exit', resolve));
    try {
      const firstLine = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error('the owner process did not report its stack within 30 s')),
          30_000,
        );
        createInterface({ input: owner.stdout! }).once('line', (line) => {
          clearTimeout(timer);
          resolve(line);
        });
        owner.once('exit', (code) =>
          reject(new Error(`the owner process exited with ${code} before reporting its stack`)),
        );
      });
      const pids = JSON.parse(firstLine) as { zookeeper: number; redis: number; postgres: number };
      const zkConfig = readFileSync(`/proc/${pids.zookeeper}/cmdline`, 'utf8').split('\0').filter(Boolean).at(-1)!;
      const stackDir = dirname(dirname(zkConfig));
      expect([pids.zookeeper, pids.redis, pids.postgres].filter(isGone)).toEqual([]);
      expect(existsSync(stackDir)).toBe(true);
      // PostgreSQL's auxiliary processes (checkpointer, walwriter, …) leave the postmaster's process group.
      const everyPid = [
        pids.zookeeper,
        pids.redis,
        pids.postgres,
        ...descendantPids(pids.postgres).filter((pid) => !isGone(pid)),
      ];
      expect(everyPid.length).toBeGreaterThan(3);

      owner.kill('SIGKILL');
      await exited;

      expect(
        await waitUntil(() => everyPid.every(isGone), 5_000),
        `still running: ${everyPid.filter((p) => !isGone(p))}`,
      ).toBe(true);
      expect(await waitUntil(() => !existsSync(stackDir), 5_000), `${stackDir} still exists`).toBe(true);
    } finally {
      owner.kill('SIGKILL');
    }
  });
});
