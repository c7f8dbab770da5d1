import { tcpExchange } from './tcp-exchange.js';

/**
 * Sends a ZooKeeper four-letter word (`srvr`, `mntr`, `wchp`, `cons`, …) and resolves with the
 * raw reply; the server closes the connection after answering. The server must whitelist the
 * word (`4lw.commands.whitelist=*`, which the `local` provider sets).
 * @throws ConnectionError when no reply arrives within `timeoutMs` (default 2000).
 */
export function fourLetterWord(
  host: string,
  port: number,
  word: string,
  options: { timeoutMs?: number } = {},
): Promise<string> {
  return tcpExchange('zookeeper', host, port, word, { timeoutMs: options.timeoutMs ?? 2_000 });
}
