import { tcpExchange } from '../tcp-exchange.js';

/** True once `text` holds one whole RESP reply of the kinds admin commands return (+, -, :, $). */
function isWholeReply(text: string): boolean {
  const lineEnd = text.indexOf('\r\n');
  if (lineEnd < 0) return false;
  if (text[0] !== '$') return true;
  const length = Number(text.slice(1, lineEnd));
  return length < 0 || Buffer.byteLength(text.slice(lineEnd + 2)) >= length + 2;
}

/**
 * Sends one inline Redis command (`CLUSTER INFO`, `CLUSTER MEET 127.0.0.1 7001`) on a fresh
 * connection and resolves with the reply's text: a status line's text, or a bulk string's body.
 * For the harness's own admin commands only (no quoting: arguments must not contain spaces).
 * @throws ConnectionError when no whole reply arrives within `timeoutMs`; Error for a `-ERR` reply.
 */
export async function redisCommand(port: number, command: string, timeoutMs: number): Promise<string> {
  const reply = await tcpExchange('redis', '127.0.0.1', port, `${command}\r\n`, {
    timeoutMs,
    isComplete: isWholeReply,
  });
  const lineEnd = reply.indexOf('\r\n');
  const head = reply.slice(0, lineEnd < 0 ? undefined : lineEnd);
  if (head.startsWith('-')) throw new Error(`redis on port ${port} answered ${command}: ${head.slice(1)}`);
  if (head.startsWith('$')) return reply.slice(lineEnd + 2, -2);
  return head.slice(1);
}
