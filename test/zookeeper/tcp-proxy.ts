import net from 'node:net';

/**
 * A loopback TCP proxy in front of one server, so a test can cut the connection of just the
 * clients behind it (the server and every other client carry on). `sever()` resets every proxied
 * connection and refuses new ones (accepted, then dropped at once) until `heal()`; `mute()` makes
 * the current connections one-way (the server hears nothing more, the client still does).
 */
export class TcpProxy {
  private readonly sockets = new Set<net.Socket>();
  /** Client sockets whose bytes are dropped instead of forwarded. */
  private readonly muted = new Set<net.Socket>();
  private severed = false;

  private constructor(
    private readonly server: net.Server,
    readonly port: number,
  ) {}

  static async start(target: { host: string; port: number }): Promise<TcpProxy> {
    const server = net.createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const proxy = new TcpProxy(server, (server.address() as net.AddressInfo).port);
    server.on('connection', (client) => proxy.accept(client, target));
    return proxy;
  }

  /** The connect string that goes through this proxy. */
  get connectString(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** Drops every proxied connection now, and every new one until {@link heal}. */
  sever(): void {
    this.severed = true;
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
  }

  /**
   * From now on the server hears nothing from the current connections (their bytes are dropped:
   * requests and heartbeats vanish), while what it sends still reaches the clients. New connections
   * are not muted.
   */
  mute(): void {
    for (const socket of this.sockets) this.muted.add(socket);
  }

  /** Lets new connections through again. */
  heal(): void {
    this.severed = false;
  }

  async close(): Promise<void> {
    this.sever();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: net.Socket, target: { host: string; port: number }): void {
    if (this.severed) {
      client.destroy();
      return;
    }
    const upstream = net.connect(target);
    client.on('data', (chunk: Buffer) => {
      if (!this.muted.has(client)) upstream.write(chunk);
    });
    upstream.pipe(client);
    for (const [from, to] of [
      [client, upstream],
      [upstream, client],
    ] as const) {
      this.sockets.add(from);
      // either side going away takes the other with it, as a cut cable would
      from.on('close', () => {
        this.sockets.delete(from);
        this.muted.delete(from);
        to.destroy();
      });
      from.on('error', () => to.destroy());
    }
  }
}
