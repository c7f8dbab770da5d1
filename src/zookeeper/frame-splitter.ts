import type { RawClient } from './client-module.js';

interface SplittableManager {
  socket?: { readonly destroyed: boolean };
  onSocketData(this: SplittableManager, chunk: Buffer): void;
}

/**
 * Hands node-zookeeper-client's reply parser one whole frame at a time. Its own parser handles one
 * frame per call and re-parses the rest by `Buffer.concat`-ing it again, so a socket read holding
 * n replies costs O(n²) bytes copied: with thousands of pipelined requests (a batch of lock
 * acquisitions) that copying and its garbage were most of the client's CPU. Frames are split here
 * once (length prefix, 4 bytes big-endian); a partial frame waits for the next read of the same
 * socket (a reconnect starts clean). The library parses a whole frame exactly as before.
 */
export function splitReplyFrames(client: RawClient): void {
  const manager = (client as { connectionManager?: SplittableManager }).connectionManager;
  if (!manager || typeof manager.onSocketData !== 'function') return; // another client version: leave it
  const parseOne = manager.onSocketData;
  let partial: Buffer | undefined;
  let partialSocket: SplittableManager['socket'];
  // an own property: the library binds `this.onSocketData` when it opens each socket
  manager.onSocketData = function (this: SplittableManager, chunk: Buffer): void {
    let buffer = chunk;
    if (partial !== undefined && partialSocket === this.socket) buffer = Buffer.concat([partial, chunk]);
    partial = undefined;
    let offset = 0;
    // the parser destroys the socket on a reply it cannot match: the rest of this read is dead too
    while (buffer.length - offset >= 4 && this.socket?.destroyed !== true) {
      const end = offset + 4 + buffer.readInt32BE(offset);
      if (end > buffer.length) break;
      parseOne.call(this, buffer.subarray(offset, end));
      offset = end;
    }
    if (offset < buffer.length) {
      partial = buffer.subarray(offset);
      partialSocket = this.socket;
    }
  };
}
