import type { ServerKind } from '../../errors.js';
import type { ServerControl } from '../stack/server-handle.js';

type Testcontainers = typeof import('testcontainers');
type StartedTestContainer = import('testcontainers').StartedTestContainer;

/** One container with fault injection through the Docker API (pause = `docker pause`). */
export class ContainerServer implements ServerControl {
  readonly kind: ServerKind;
  private paused = false;
  private running = true;

  constructor(
    kind: ServerKind,
    private readonly container: StartedTestContainer,
    private readonly internalPort: number,
    private readonly tc: Testcontainers,
  ) {
    this.kind = kind;
  }

  get host(): string {
    return this.container.getHost();
  }
  /** The mapped host port (Docker may map a new one after a restart). */
  get port(): number {
    return this.container.getMappedPort(this.internalPort);
  }
  get pid(): undefined {
    return undefined;
  }
  get isPaused(): boolean {
    return this.paused;
  }
  get isRunning(): boolean {
    return this.running;
  }
  private async docker() {
    return (await this.tc.getContainerRuntimeClient()).container.getById(this.container.getId());
  }
  async start(): Promise<void> {
    if (this.running) return;
    await this.container.restart();
    this.running = true;
  }
  async stop(): Promise<void> {
    if (!this.running) return;
    if (this.paused) await this.resume();
    await (await this.docker()).stop({ t: 3 });
    this.running = false;
  }
  async restart(): Promise<void> {
    if (this.paused) await this.resume();
    await this.container.restart();
    this.running = true;
  }
  async kill(): Promise<void> {
    if (!this.running) return;
    if (this.paused) await this.resume();
    await (await this.docker()).kill();
    this.running = false;
  }
  async pause(): Promise<void> {
    await (await this.docker()).pause();
    this.paused = true;
  }
  async resume(): Promise<void> {
    if (!this.paused) return;
    await (await this.docker()).unpause();
    this.paused = false;
  }
  async logTail(lines = 30): Promise<string> {
    const chunks: string[] = [];
    const stream = await this.container.logs({ tail: lines });
    await new Promise<void>((resolve) => {
      stream.on('data', (c: Buffer | string) => chunks.push(String(c)));
      stream.on('end', resolve);
      stream.on('error', () => resolve());
      setTimeout(resolve, 2_000);
    });
    return chunks.join('').trimEnd();
  }
  /** Removes the container for good. */
  async remove(): Promise<void> {
    if (this.paused) await this.resume().catch(() => {});
    await this.container.stop({ remove: true, timeout: 3_000 }).catch(() => {});
  }
}
