import { describe, expect, it } from 'vitest';
import type { RawClient } from '../../src/zookeeper/client-module.js';
import { splitReplyFrames } from '../../src/zookeeper/frame-splitter.js';

function frame(body: string): Buffer {
  const bytes = Buffer.from(body);
  const out = Buffer.alloc(4 + bytes.length);
  out.writeInt32BE(bytes.length, 0);
  bytes.copy(out, 4);
  return out;
}

// A stand-in for node-zookeeper-client's ConnectionManager: records what its parser is handed.
function fakeClient(destroyOn?: string) {
  const seen: string[] = [];
  const manager = {
    socket: { destroyed: false },
    onSocketData(chunk: Buffer) {
      seen.push(chunk.subarray(4).toString());
      expect(chunk.readInt32BE(0)).toBe(chunk.length - 4); // exactly one whole frame
      // the real parser destroys the socket on a reply it cannot match
      if (seen.at(-1) === destroyOn) manager.socket.destroyed = true;
    },
  };
  return { client: { connectionManager: manager } as unknown as RawClient, manager, seen };
}

describe('splitReplyFrames', () => {
  it('hands the parser one whole frame per call, however the reads split them', () => {
    const { client, manager, seen } = fakeClient();
    splitReplyFrames(client);
    const bodies = Array.from({ length: 50 }, (_, i) => `reply-${i}-${'x'.repeat(i % 7)}`);
    const stream = Buffer.concat(bodies.map(frame));
    // reads of 1, 2, 3, … bytes: every frame boundary and every length prefix gets split somewhere
    for (let offset = 0, size = 1; offset < stream.length; offset += size, size = (size % 13) + 1)
      manager.onSocketData(stream.subarray(offset, offset + size));
    expect(seen).toEqual(bodies);
  });

  it('drops a partial frame when the socket was replaced (a reconnect starts clean)', () => {
    const { client, manager, seen } = fakeClient();
    splitReplyFrames(client);
    manager.onSocketData(frame('lost').subarray(0, 6));
    manager.socket = { destroyed: false };
    manager.onSocketData(frame('fresh'));
    expect(seen).toEqual(['fresh']);
  });

  it('stops at a destroyed socket (the parser gave up on this read)', () => {
    const { client, manager, seen } = fakeClient('unmatched');
    splitReplyFrames(client);
    manager.onSocketData(Buffer.concat([frame('first'), frame('unmatched'), frame('after')]));
    expect(seen).toEqual(['first', 'unmatched']);
  });
});
