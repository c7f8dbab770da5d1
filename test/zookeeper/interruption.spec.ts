import { afterEach, describe, expect, it } from 'vitest';
import { AbortError, LockTimeoutError } from '../../src/errors.js';
import { type EndingSession, Interruption, SESSION_ENDED } from '../../src/zookeeper/interruption.js';

// Pure logic: how an acquire's current step is cut short (no server is involved).
const never = (): Promise<never> => new Promise<never>(() => undefined);
const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A stand-in session that ends when told to, with ZkSession's whenEnded contract. */
function standInSession(): EndingSession & { end(): void; watchers: number } {
  const watchers = new Set<() => void>();
  const session = {
    ended: undefined as string | undefined,
    get watchers() {
      return watchers.size;
    },
    whenEnded(onEnded: () => void) {
      if (session.ended !== undefined) {
        onEnded();
        return () => undefined;
      }
      watchers.add(onEnded);
      return () => watchers.delete(onEnded);
    },
    end() {
      session.ended = 'session-expired';
      for (const onEnded of [...watchers]) onEnded();
      watchers.clear();
    },
  };
  return session;
}

const made: Interruption[] = [];
const interruption = (timeoutMs: number, signal?: AbortSignal): Interruption => {
  const created = new Interruption('product:1', timeoutMs, signal);
  made.push(created);
  return created;
};
afterEach(() => {
  for (const each of made.splice(0)) each.dispose();
});

describe('Interruption', () => {
  it('settles like the step when nothing interrupts it', async () => {
    await expect(interruption(1_000).race(Promise.resolve(42))).resolves.toBe(42);
    await expect(interruption(1_000).race(Promise.reject(new Error('boom')))).rejects.toThrow('boom');
  });

  it('rejects the step in progress with LockTimeoutError when timeoutMs passes, and every later step at once', async () => {
    const cut = interruption(10);
    await expect(cut.race(never())).rejects.toBeInstanceOf(LockTimeoutError);
    await expect(cut.race(Promise.resolve(1))).rejects.toBeInstanceOf(LockTimeoutError);
  });

  it.each([2 ** 31, 1e10, Infinity])(
    'a timeoutMs of %d never fires (Node would fire an overlong timer after 1 ms)',
    async (timeoutMs) => {
      const long = interruption(timeoutMs);
      let settled = false;
      void long.race(never()).catch(() => (settled = true));
      await pause(30);
      expect(settled).toBe(false);
      expect(long.error).toBeUndefined();
    },
  );

  it("rejects with AbortError when the caller's signal aborts, before or during a step", async () => {
    const early = new AbortController();
    early.abort();
    await expect(interruption(1_000, early.signal).race(Promise.resolve(1))).rejects.toBeInstanceOf(AbortError);
    const late = new AbortController();
    const step = interruption(1_000, late.signal).race(never());
    late.abort();
    await expect(step).rejects.toBeInstanceOf(AbortError);
  });

  it('rejects with SESSION_ENDED when the bound session ends, and not once unbound; one subscription per session', async () => {
    const session = standInSession();
    const cut = interruption(1_000);
    cut.bindSession(session);
    const first = cut.race(never());
    const second = cut.race(never()); // only one step is ever in progress; the newest one is cut
    expect(session.watchers).toBe(1);
    session.end();
    await expect(second).rejects.toBe(SESSION_ENDED);
    await expect(cut.race(Promise.resolve(1))).rejects.toBe(SESSION_ENDED);
    cut.bindSession(undefined); // waiting for the next session is not cut by the old one
    await expect(cut.race(Promise.resolve(2))).resolves.toBe(2);
    void first.catch(() => undefined);
  });

  it('dispose() drops the session subscription and the abort listener', async () => {
    const session = standInSession();
    const controller = new AbortController();
    const cut = interruption(1_000, controller.signal);
    cut.bindSession(session);
    expect(session.watchers).toBe(1);
    cut.dispose();
    expect(session.watchers).toBe(0);
    controller.abort();
    expect(cut.error).toBeUndefined();
  });
});
