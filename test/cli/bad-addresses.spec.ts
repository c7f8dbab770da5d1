import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { ConnectionError, InvalidOptionsError } from '../../src/errors.js';
import { assertValidConnectString } from '../../src/zookeeper/connect-string.js';
import { ZooKeeperConnection } from '../../src/zookeeper/index.js';
import { runZkoc } from './run-zkoc.js';

/** A loopback port nobody listens on (bound, then closed). */
async function refusedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('bad ZooKeeper addresses', () => {
  it.each([
    ['zk://127.0.0.1:2181', /without a URL scheme \(drop "zk:\/\/"\)/],
    ['127.0.0.1:99999', /port "99999" is not 1…65535/],
    ['127.0.0.1:2181//app', /chroot must be an absolute path/],
    ['127.0.0.1:2181/app/', /chroot must be an absolute path/],
    ['h1:2181,,h2:2181', /bad host ""/],
    ['', /bad host ""/],
  ])('%j is an InvalidOptionsError naming connectString', (connectString, reason) => {
    const error = catchError(() => assertValidConnectString(connectString));
    expect(error).toBeInstanceOf(InvalidOptionsError);
    expect((error as Error).message).toMatch(/^connectString must look like "host:port\[,host:port…\]\[\/chroot\]"/);
    expect((error as Error).message).toMatch(reason);
  });

  it.each(['127.0.0.1:2181', 'zk-1.example.com:2181,zk-2:2182/app/cache', 'localhost'])('%j is accepted', (s) => {
    expect(() => assertValidConnectString(s)).not.toThrow();
  });

  it('ZooKeeperConnection.connect rejects zk:// with InvalidOptionsError, not an assertion', async () => {
    await expect(ZooKeeperConnection.connect({ connectString: 'zk://127.0.0.1:2181' })).rejects.toBeInstanceOf(
      InvalidOptionsError,
    );
  });

  it('a refused port fails at once with a ConnectionError saying ECONNREFUSED', async () => {
    const port = await refusedPort();
    const started = performance.now();
    const error = await ZooKeeperConnection.connect({
      connectString: `127.0.0.1:${port}`,
      connectTimeoutMs: 5_000,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectionError);
    expect((error as ConnectionError).message).toContain('ECONNREFUSED');
    expect(performance.now() - started).toBeLessThan(1_000);
  });

  it('an unknown host fails at once with a ConnectionError saying ENOTFOUND', async () => {
    const started = performance.now();
    const error = await ZooKeeperConnection.connect({
      connectString: 'no-such-host.invalid:2181',
      connectTimeoutMs: 5_000,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectionError);
    expect((error as ConnectionError).message).toContain('ENOTFOUND');
    expect(performance.now() - started).toBeLessThan(2_500);
  });

  for (const command of ['locks', 'watch', 'doctor']) {
    it(`zkoc ${command} --zk zk://… is a usage error (exit 2) naming --zk`, async () => {
      const run = await runZkoc([command, '--zk', 'zk://127.0.0.1:2181', '--timeout-ms', '1000']);
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(
        new RegExp(`^zkoc ${command}: --zk must look like .* without a URL scheme \\(drop "zk://"\\)`),
      );
    });
  }

  it('zkoc against a refused ZooKeeper port exits 1 saying ECONNREFUSED, long before --timeout-ms', async () => {
    const port = await refusedPort();
    const run = await runZkoc(['locks', '--zk', `127.0.0.1:${port}`, '--timeout-ms', '20000']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('ECONNREFUSED');
    expect(run.durationMs).toBeLessThan(5_000);
  });
});

function catchError(run: () => void): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  return undefined;
}
