import { spawn } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeOnSignals, InvalidOptionsError, OrderedCache } from '../../src/index.js';
import type { StartedStack } from '../../src/testing/index.js';
import { startTestStack } from '../support/stack.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const NAMESPACE = 'close-on-signals';

// An application holding a lock, as the README shows it: closeOnSignals(cache). Imports the built
// package by name, like a user's plain .mjs on Node 20.
const APP = `
import { OrderedCache, closeOnSignals } from 'zk-ordered-cache';
const cache = await OrderedCache.connect({
  zookeeper: { connectString: process.env.ZKOC_ZK, sessionTimeoutMs: 20000 },
  redis: process.env.ZKOC_REDIS,
  namespace: '${NAMESPACE}',
});
closeOnSignals(cache);
await cache.locks.acquire(process.argv[2]);
console.log('held');
setInterval(() => {}, 1000); // a worker's main loop
`;

describe('closeOnSignals', () => {
  let stack: StartedStack;
  let other: OrderedCache;
  let app: string;

  beforeAll(async () => {
    stack = await startTestStack();
    other = await OrderedCache.connect({
      zookeeper: { connectString: stack.zookeeper.connectString },
      redis: stack.redis.url,
      namespace: NAMESPACE,
    });
    await mkdir(`${root}.zkoc`, { recursive: true });
    app = `${root}.zkoc/close-on-signals-app.mjs`;
    await writeFile(app, APP);
  });
  afterAll(async () => {
    await other?.close();
    await stack?.stop();
  });

  for (const [signal, status] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const) {
    it(`${signal}: the held lock is released at once (not after the 20 s session) and the app exits ${status}`, async () => {
      const key = `order:${signal}`;
      const child = spawn(process.execPath, [app, key], {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, ZKOC_ZK: stack.zookeeper.connectString, ZKOC_REDIS: stack.redis.url },
      });
      let stderr = '';
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      await new Promise<void>((resolve, reject) => {
        child.stdout.setEncoding('utf8').on('data', (chunk: string) => chunk.includes('held') && resolve());
        void exited.then(() => reject(new Error(`app exited early: ${stderr}`)));
      });
      const waiting = other.locks.acquire(key, { timeoutMs: 10_000 });
      const sentAt = performance.now();
      child.kill(signal);
      const lock = await waiting;
      const waitedMs = performance.now() - sentAt;
      await lock.release();
      expect({ status: await exited, stderr }).toEqual({ status, stderr: '' });
      expect(waitedMs).toBeLessThan(1_500);
    });
  }

  it('rejects what it cannot close, and its remover takes the handlers off', () => {
    expect(() => closeOnSignals({} as never)).toThrow(InvalidOptionsError);
    const before = process.listenerCount('SIGTERM');
    const remove = closeOnSignals(other, { exit: false });
    expect(process.listenerCount('SIGTERM')).toBe(before + 1);
    remove();
    expect(process.listenerCount('SIGTERM')).toBe(before);
  });
});
