import { once } from 'node:events';
import { type AddressInfo, createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { OrderedCacheOptions } from '../../src/cache/options.js';
import { OrderedCache } from '../../src/cache/ordered-cache.js';
import { ConnectionError } from '../../src/errors.js';

// No TLS-enabled Redis here: a plain TCP listener records the first bytes the client sends. A TLS
// ClientHello (record type 0x16, version 0x03 0x0X) carrying our SNI name proves that the TLS options
// reached ioredis; a RESP command (`*…`) would mean they were dropped.
describe('Redis TLS options pass through to ioredis', () => {
  let server: Server | undefined;

  afterEach(async () => {
    server?.close();
    server = undefined;
  });

  /** Listens on loopback; resolves with the port and the first chunk a client sends. */
  async function recorder(): Promise<{ port: number; firstBytes: Promise<Buffer> }> {
    let resolveBytes!: (bytes: Buffer) => void;
    const firstBytes = new Promise<Buffer>((resolve) => (resolveBytes = resolve));
    server = createServer((socket) => {
      socket.once('data', (chunk) => {
        resolveBytes(chunk);
        socket.destroy();
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    return { port: (server.address() as AddressInfo).port, firstBytes };
  }

  /** Connects a cache (which must fail: the listener is not Redis) and returns the client's first bytes and the error. */
  async function firstBytesOf(
    redis: (port: number) => OrderedCacheOptions['redis'],
  ): Promise<{ bytes: Buffer; error: unknown }> {
    const { port, firstBytes } = await recorder();
    const error = await OrderedCache.connect({
      // never reached: Redis is opened first and fails
      zookeeper: { connectString: '127.0.0.1:1' },
      redis: redis(port),
      namespace: 'tls',
      redisConnectTimeoutMs: 1_000,
    }).then(
      () => new Error('connected to a listener that is not Redis'),
      (e: unknown) => e,
    );
    return { bytes: await firstBytes, error };
  }

  const isClientHello = (bytes: Buffer): boolean => bytes[0] === 0x16 && bytes[1] === 0x03 && bytes[5] === 0x01;

  it('a rediss:// URL speaks TLS, and the error names the server without the password', async () => {
    const { bytes, error } = await firstBytesOf((port) => `rediss://zkoc:tls-pass-4b1@127.0.0.1:${port}`);
    expect(isClientHello(bytes)).toBe(true);
    expect(error).toBeInstanceOf(ConnectionError);
    expect((error as Error).message).toContain('rediss://zkoc:***@127.0.0.1');
    expect((error as Error).message).not.toContain('tls-pass-4b1');
  });

  it('an options object with tls: { servername } speaks TLS with that SNI name', async () => {
    const { bytes, error } = await firstBytesOf((port) => ({
      host: '127.0.0.1',
      port,
      username: 'zkoc',
      password: 'tls-pass-4b1',
      tls: { servername: 'cache.zkoc.test' },
    }));
    expect(isClientHello(bytes)).toBe(true);
    expect(bytes.includes(Buffer.from('cache.zkoc.test'))).toBe(true);
    expect(error).toBeInstanceOf(ConnectionError);
    expect((error as Error).message).not.toContain('tls-pass-4b1');
  });

  it('without tls the same options speak plain RESP (the check above can fail)', async () => {
    const { bytes } = await firstBytesOf((port) => ({
      host: '127.0.0.1',
      port,
      username: 'zkoc',
      password: 'tls-pass-4b1',
    }));
    expect(isClientHello(bytes)).toBe(false);
    expect(bytes.toString('latin1')).toMatch(/^\*\d+\r\n\$\d+\r\n(auth|AUTH)\r\n/);
  });
});
