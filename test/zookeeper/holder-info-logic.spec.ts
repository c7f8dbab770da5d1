import { hostname } from 'node:os';
import { describe, expect, it } from 'vitest';
import { decodeHolderInfo, encodeHolderInfo } from '../../src/zookeeper/holder-info.js';

describe('holder info (pure logic)', () => {
  it('is the JSON of { host, pid, requestedAt, library, label }, whatever label came before', () => {
    for (const label of [undefined, 'billing', 'billing', 'quote " and \\ and ünïcode', undefined, '']) {
      const requestedAt = Date.now();
      const text = encodeHolderInfo(label, requestedAt).toString('utf8');
      const library = JSON.parse(text).library as string;
      expect(text).toBe(JSON.stringify({ host: hostname(), pid: process.pid, requestedAt, library, label }));
      expect(library).toMatch(/^zk-ordered-cache@/);
      expect(decodeHolderInfo(Buffer.from(text))).toEqual({
        host: hostname(),
        pid: process.pid,
        requestedAt,
        library,
        ...(label === undefined ? {} : { label }),
      });
    }
  });
});
