import { Command, InvalidArgumentError, Option } from 'commander';
import { sleep } from '../../core/deadline.js';
import { parseDurationMs } from '../../testing/race/parse-duration.js';
import { type CliEnvironment, defineAction } from '../action.js';
import { ServerError } from '../exit-codes.js';
import { parsePrometheusText, type Sample } from '../top/prometheus-text.js';
import { renderTop, topFrame } from '../top/top-view.js';

const CLEAR = '\u001b[H\u001b[2J';

/**
 * `zkoc top --metrics-url URL`: a live view of one process's metrics (hit ratio, writes by status,
 * lock waits, follower lag) for the operator without a dashboard at hand. Scrapes the endpoint that
 * `registerMetrics` feeds, every `--interval`; redraws in place on a terminal, prints frames otherwise.
 */
export function createTopCommand(env: CliEnvironment): Command {
  const command = new Command('top')
    .description("live view of a process's zkoc metrics: hit ratio, writes by status, lock waits, follower lag")
    .addOption(new Option('--metrics-url <url>', 'the Prometheus endpoint of the process').makeOptionMandatory())
    .addOption(new Option('--interval <duration>', 'time between scrapes').default('2s'))
    .addOption(new Option('--frames <n>', 'stop after this many frames (default: until Ctrl-C)').argParser(parseCount))
    .addOption(new Option('--prefix <prefix>', 'metric name prefix given to registerMetrics').default('zkoc_'))
    .addOption(new Option('--json', 'one JSON document per frame').default(false))
    .addHelpText(
      'after',
      `
Example (the process serves registerMetrics' registry on /metrics):
  $ zkoc top --metrics-url http://127.0.0.1:9464/metrics`,
    );
  return defineAction(
    command,
    env,
    async ({ options, out }) => {
      const url = String(options.metricsUrl);
      const intervalMs = parseDurationMs(String(options.interval), '--interval');
      const frames = options.frames === undefined ? Number.POSITIVE_INFINITY : Number(options.frames);
      const stop = new AbortController();
      const unregister = env.onInterrupt(() => stop.abort());
      const redraw = !out.json && (process.stdout as { isTTY?: boolean }).isTTY === true;
      try {
        let before = await scrape(url, intervalMs);
        for (let shown = 0; shown < frames && !stop.signal.aborted; shown++) {
          const aborted = await sleep(intervalMs, stop.signal).then(
            () => false,
            () => true,
          );
          if (aborted) break;
          const after = await scrape(url, intervalMs);
          const frame = topFrame(before, after, intervalMs / 1000, String(options.prefix));
          if (out.json) out.document(frame);
          else {
            if (redraw) out.write(CLEAR);
            for (const line of renderTop(frame, url, new Date())) out.line(line);
            if (!redraw) out.line('');
          }
          before = after;
        }
      } finally {
        unregister();
      }
    },
    { connection: false },
  );
}

async function scrape(url: string, timeoutMs: number): Promise<Sample[]> {
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(Math.max(1000, timeoutMs)) });
  } catch (error) {
    throw new ServerError(
      'metrics endpoint',
      url,
      error instanceof Error && error.cause instanceof Error ? error.cause : error,
    );
  }
  if (!response.ok) throw new ServerError('metrics endpoint', url, new Error(`HTTP ${response.status}`));
  return parsePrometheusText(await response.text());
}

function parseCount(text: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || n <= 0)
    throw new InvalidArgumentError(`must be a positive whole number, got ${JSON.stringify(text)}`);
  return n;
}
