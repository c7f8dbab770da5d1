import { describe, expect, it } from 'vitest';
import type { ServerKind } from '../../src/errors.js';
import { assembleStack } from '../../src/testing/stack/assemble-stack.js';
import type { ServerControl } from '../../src/testing/stack/server-handle.js';

/** An in-memory control that records the calls a handle forwards (pure logic: no server behind it). */
function control(kind: ServerKind, port: number, calls: string[]): ServerControl {
  let running = true;
  const record = (what: string) => async (): Promise<void> => {
    calls.push(`${what} ${kind}:${port}`);
    running = what !== 'stop' && what !== 'kill';
  };
  return {
    kind,
    host: '127.0.0.9',
    get port() {
      return port;
    },
    pid: undefined,
    isPaused: false,
    get isRunning() {
      return running;
    },
    start: record('start'),
    stop: record('stop'),
    restart: record('restart'),
    kill: record('kill'),
    pause: record('pause'),
    resume: record('resume'),
    logTail: async () => `log of ${port}`,
  };
}

describe('assembleStack: one Stack shape over any provider’s servers', () => {
  it('derives addresses from the controls and forwards lifecycle calls to every member', async () => {
    const calls: string[] = [];
    let stops = 0;
    const stack = assembleStack({
      provider: 'local',
      startedAt: Date.now(),
      zookeeper: {
        servers: [control('zookeeper', 1, calls), control('zookeeper', 2, calls), control('zookeeper', 3, calls)],
      },
      redis: { nodes: [control('redis', 11, calls)], cluster: false },
      postgres: { server: control('postgres', 21, calls), database: 'db' },
      stop: async () => {
        stops += 1;
      },
    });
    expect(stack.zookeeper.connectString).toBe('127.0.0.9:1,127.0.0.9:2,127.0.0.9:3');
    expect(stack.zookeeper.servers.map((s) => [s.id, s.connectString])).toEqual([
      [1, '127.0.0.9:1'],
      [2, '127.0.0.9:2'],
      [3, '127.0.0.9:3'],
    ]);
    expect(stack.redis.url).toBe('redis://127.0.0.9:11');
    expect(stack.redis.nodes).toEqual([stack.redis]);
    expect(stack.postgres.url).toBe('postgres://postgres@127.0.0.9:21/db');
    await stack.zookeeper.pause();
    await stack.zookeeper.servers[1]!.kill();
    expect(calls).toEqual(['pause zookeeper:1', 'pause zookeeper:2', 'pause zookeeper:3', 'kill zookeeper:2']);
    expect(stack.zookeeper.servers[1]!.isRunning).toBe(false);
    expect(stack.zookeeper.isRunning).toBe(true);
    expect(await stack.zookeeper.logTail()).toContain('==> port 2 <==\nlog of 2');
    await Promise.all([stack.stop(), stack[Symbol.asyncDispose](), stack.stop()]);
    expect(stops).toBe(1);
  });

  it('keeps the addresses a provider gives (credentials, a chroot) instead of deriving them', () => {
    const calls: string[] = [];
    const stack = assembleStack({
      provider: 'external',
      startedAt: Date.now(),
      zookeeper: { servers: [control('zookeeper', 1, calls)], connectString: '127.0.0.9:1/chroot' },
      redis: {
        nodes: [control('redis', 11, calls), control('redis', 12, calls)],
        cluster: true,
        urls: ['redis://u:p@127.0.0.9:11', 'redis://u:p@127.0.0.9:12'],
      },
      postgres: { server: control('postgres', 21, calls), database: 'app', url: 'postgres://me:pw@127.0.0.9:21/app' },
      stop: async () => {},
    });
    expect(stack.zookeeper.connectString).toBe('127.0.0.9:1/chroot');
    expect(stack.redis.isCluster).toBe(true);
    expect(stack.redis.url).toBe('redis://u:p@127.0.0.9:11');
    expect(stack.redis.nodes.map((n) => n.url)).toEqual(['redis://u:p@127.0.0.9:11', 'redis://u:p@127.0.0.9:12']);
    expect(stack.postgres.url).toBe('postgres://me:pw@127.0.0.9:21/app');
    expect(stack.postgres.database).toBe('app');
  });
});
