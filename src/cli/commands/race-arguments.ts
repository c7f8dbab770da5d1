import { InvalidArgumentError } from 'commander';
import { ALL_CHAOS_FAULTS, type ChaosFault } from '../../testing/chaos.js';
import { parseDurationMs } from '../../testing/race/parse-duration.js';
import { RACE_SCENARIOS, RACE_STRATEGIES, type RaceScenarioName, type RaceStrategy } from '../../testing/race/types.js';

/** `<scenario>`: a name, a comma-separated list, or `all`. */
export function parseScenarios(text: string): RaceScenarioName[] {
  if (text === 'all') return [...RACE_SCENARIOS];
  const names = text.split(',').map((s) => s.trim());
  for (const name of names) {
    if (!(RACE_SCENARIOS as readonly string[]).includes(name))
      throw new InvalidArgumentError(
        `unknown scenario ${JSON.stringify(name)}; expected ${RACE_SCENARIOS.join(', ')} or all`,
      );
  }
  return names as RaceScenarioName[];
}

/** `--strategy`: a comma-separated list, or `all` (every strategy, remedies included). */
export function parseStrategies(text: string): RaceStrategy[] {
  if (text.trim() === 'all') return [...RACE_STRATEGIES];
  const names = text.split(',').map((s) => s.trim());
  for (const name of names) {
    if (!(RACE_STRATEGIES as readonly string[]).includes(name))
      throw new InvalidArgumentError(
        `--strategy: unknown strategy ${JSON.stringify(name)}; expected all or a comma-separated list of ${RACE_STRATEGIES.join(', ')}`,
      );
  }
  return names as RaceStrategy[];
}

/** `--iterations`: `200`, or `200,paused-holder=10` (a default and per-scenario counts). */
export function parseIterations(text: string): { all?: number; byScenario: Partial<Record<RaceScenarioName, number>> } {
  const result: { all?: number; byScenario: Partial<Record<RaceScenarioName, number>> } = { byScenario: {} };
  const count = (s: string) => {
    if (!/^[0-9]+$/.test(s) || Number(s) < 1 || !Number.isSafeInteger(Number(s)))
      throw new InvalidArgumentError(
        `--iterations must be a whole number ≥ 1 or a list like 200,paused-holder=10, got ${JSON.stringify(text)}`,
      );
    return Number(s);
  };
  for (const item of text.split(',').map((s) => s.trim())) {
    const at = item.indexOf('=');
    if (at < 0) {
      result.all = count(item);
      continue;
    }
    const [name] = parseScenarios(item.slice(0, at)) as [RaceScenarioName];
    result.byScenario[name] = count(item.slice(at + 1));
  }
  return result;
}

export function parseFaults(text: string): ChaosFault[] {
  const names = text.split(',').map((s) => s.trim());
  for (const name of names) {
    if (!(ALL_CHAOS_FAULTS as readonly string[]).includes(name))
      throw new InvalidArgumentError(
        `--chaos-faults: unknown fault ${JSON.stringify(name)}; expected a comma-separated list of ${ALL_CHAOS_FAULTS.join(', ')}`,
      );
  }
  return names as ChaosFault[];
}

/** `--redlock-redis`: exactly three comma-separated Redis URLs. */
export function parseRedlockUrls(text: string): string[] {
  const urls = text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (urls.length !== 3 || urls.some((u) => !/^rediss?:\/\//.test(u)))
    throw new InvalidArgumentError(`--redlock-redis needs three comma-separated redis:// URLs, got ${urls.length}`);
  return urls;
}

export function wholeNumber(flag: string, min: number): (text: string) => number {
  return (text) => {
    const n = Number(text);
    if (!/^[0-9]+$/.test(text) || !Number.isSafeInteger(n) || n < min)
      throw new InvalidArgumentError(`${flag} must be a whole number ≥ ${min}, got ${JSON.stringify(text)}`);
    return n;
  };
}

export function durationOption(text: string): number {
  try {
    return parseDurationMs(text, '--duration');
  } catch (error) {
    throw new InvalidArgumentError(error instanceof Error ? error.message : String(error));
  }
}
