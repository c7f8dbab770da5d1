import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeLine, parseWorkerLine } from '../../src/testing/worker/line-protocol.js';
import { WorkerClient } from '../../src/testing/worker/worker-client.js';

const ENTRY = fileURLToPath(new URL('../fixtures/protocol-worker.mjs', import.meta.url));

class TestWorkerError extends Error {
  constructor(
    message: string,
    readonly failure?: { name: string; code?: string; message: string },
  ) {
    super(message);
  }
}

describe('the worker line protocol (one owner for race, cache and bench workers)', () => {
  const started: WorkerClient[] = [];
  const start = async (stallOp?: string): Promise<WorkerClient> => {
    const worker = await WorkerClient.start(ENTRY, [], {
      name: 'test worker',
      error: (message, failure) => new TestWorkerError(message, failure),
      ...(stallOp ? { stallOp } : {}),
    });
    started.push(worker);
    return worker;
  };
  afterEach(async () => {
    await Promise.all(started.splice(0).map((w) => w.stop()));
  });

  it('frames one JSON object per line, bigints as decimal strings, and ignores lines that are neither reply nor event', () => {
    expect(encodeLine({ id: 1, ok: true, result: { t: 2n ** 63n - 1n } })).toBe(
      '{"id":1,"ok":true,"result":{"t":"9223372036854775807"}}\n',
    );
    expect(parseWorkerLine('{"id":4,"ok":false,"error":{"name":"E","message":"m"}}')).toEqual({
      id: 4,
      ok: false,
      error: { name: 'E', message: 'm' },
    });
    expect(parseWorkerLine('{"event":"ready"}')).toEqual({ event: 'ready' });
    for (const stray of ['listening on 3000', '{"id":"4"}', '[]', 'null'])
      expect(parseWorkerLine(stray)).toBeUndefined();
  });

  it('matches replies to their commands by id when they arrive out of order', async () => {
    const worker = await start();
    const [slow, fast] = await Promise.all([
      worker.call('echo', { value: 'slow', delayMs: 200 }),
      worker.call('echo', { value: 'fast', delayMs: 0 }),
    ]);
    expect(slow).toEqual({ value: 'slow', big: '9223372036854775807' });
    expect(fast).toEqual({ value: 'fast', big: '9223372036854775807' });
    expect(worker.pendingCalls).toBe(0);
  });

  it("rejects a failed command with the caller's error type, carrying the worker's name, code and message", async () => {
    const worker = await start();
    const error = await worker.call('fail').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TestWorkerError);
    expect((error as TestWorkerError).message).toMatch(/^test worker \d+: fail failed: LoaderError: no such row$/);
    expect((error as TestWorkerError).failure).toEqual({
      name: 'LoaderError',
      code: 'E_LOADER',
      message: 'no such row',
    });
    await expect(worker.call('no-such-op')).rejects.toThrow(/no-such-op failed: TypeError/);
  });

  it('buffers an event until someone waits for it, and delivers each event once', async () => {
    const worker = await start();
    await worker.call('announce', { tag: 'a' });
    expect(await worker.nextEvent((e) => e.event === 'note' && e.tag === 'a')).toEqual({
      event: 'note',
      tag: 'a',
      data: { at: '1' },
    });
    await expect(worker.nextEvent((e) => e.event === 'note', 300)).rejects.toThrow(
      /test worker \d+: no matching event within 300 ms/,
    );
  });

  it("a call without a reply carries the worker's stall report when it has one", async () => {
    const worker = await start('stall');
    await expect(worker.call('hold', { tag: 'x' }, 200)).rejects.toThrow(
      /hold got no reply within 200 ms; in flight: \{"held":\["x"\]\}; stderr: $/,
    );
  });

  it('bounds a call without a reply, and rejects everything pending with the stderr tail when the worker dies', async () => {
    const worker = await start();
    await expect(worker.call('hold', { tag: 'x' }, 200)).rejects.toThrow(/hold got no reply within 200 ms/);
    const pending = worker.call('hold', { tag: 'y' });
    const waiting = worker.nextEvent((e) => e.event === 'never');
    await worker.call('die').catch(() => undefined);
    await expect(pending).rejects.toThrow(/test worker \d+ exited \(3\); stderr: dying on purpose/);
    await expect(waiting).rejects.toThrow(/exited \(3\)/);
    expect(worker.exited).toBe(true);
    await expect(worker.call('echo')).rejects.toThrow(/has exited/);
  });
});
