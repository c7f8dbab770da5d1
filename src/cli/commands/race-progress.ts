import type { RaceProgress } from '../../testing/race/types.js';
import type { CliEnvironment } from '../action.js';

/** `zkoc race`'s progress line. */
export interface ProgressBar {
  update(progress: RaceProgress): void;
  clear(): void;
}

/** A one-line progress bar on stderr, only when stderr is a terminal; at most 10 redraws a second. */
export function progressBar(env: CliEnvironment): ProgressBar | undefined {
  const stderr = env.streams.stderr as { isTTY?: boolean; columns?: number; write(text: string): unknown };
  if (stderr.isTTY !== true) return undefined;
  let lastDraw = 0;
  let drawn = false;
  return {
    update(p) {
      const now = Date.now();
      if (now - lastDraw < 100 && p.fraction < 1) return;
      lastDraw = now;
      const width = 24;
      const filled = Math.round(Math.min(1, p.fraction) * width);
      const text = `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${Math.floor(p.fraction * 100)
        .toString()
        .padStart(3)}%  ${p.scenario}/${p.strategy}  ${p.iterationsDone} iterations, ${p.forbidden} FORBIDDEN`;
      stderr.write(`\r${text.slice(0, (stderr.columns ?? 100) - 1)}\x1b[K`);
      drawn = true;
    },
    clear() {
      if (drawn) stderr.write('\r\x1b[K');
      drawn = false;
    },
  };
}
