// redlock 5.0.0-beta.2 ships index.d.ts but its package.json `exports` does not point at it, so
// NodeNext resolution cannot find it: the part of its API the race worker uses, declared here.
declare module 'redlock' {
  import type { Redis } from 'ioredis';

  export type RedlockAbortSignal = AbortSignal & { error?: Error };
  export interface Settings {
    readonly driftFactor: number;
    readonly retryCount: number;
    readonly retryDelay: number;
    readonly retryJitter: number;
    readonly automaticExtensionThreshold: number;
  }
  export default class Redlock {
    constructor(clients: Iterable<Redis>, settings?: Partial<Settings>);
    using<T>(
      resources: string[],
      duration: number,
      settings: Partial<Settings>,
      routine: (signal: RedlockAbortSignal) => Promise<T>,
    ): Promise<T>;
    using<T>(resources: string[], duration: number, routine: (signal: RedlockAbortSignal) => Promise<T>): Promise<T>;
  }
}
