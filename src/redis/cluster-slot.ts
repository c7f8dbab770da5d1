/**
 * Redis Cluster's key-to-slot mapping (CRC16-XMODEM of the key, or of its first non-empty `{…}`
 * hash tag, mod 16384), as the Cluster specification defines it. Ours so that a store can name a
 * key in a given entry's slot without a dependency; a test checks it against `CLUSTER KEYSLOT`.
 */

export const CLUSTER_SLOTS = 16_384;

const TABLE = new Uint16Array(256);
for (let i = 0; i < 256; i++) {
  let crc = i << 8;
  for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  TABLE[i] = crc;
}

function crc16(bytes: Uint8Array, start: number, end: number): number {
  let crc = 0;
  for (let i = start; i < end; i++) crc = ((crc << 8) & 0xffff) ^ TABLE[((crc >> 8) ^ bytes[i]!) & 0xff]!;
  return crc;
}

/** The Cluster slot of `key` (its UTF-8 bytes), honouring a hash tag. */
export function clusterSlot(key: string): number {
  const bytes = Buffer.from(key, 'utf8');
  const open = bytes.indexOf(0x7b); // '{'
  if (open >= 0) {
    const close = bytes.indexOf(0x7d, open + 1); // '}'
    if (close > open + 1) return crc16(bytes, open + 1, close) % CLUSTER_SLOTS;
  }
  return crc16(bytes, 0, bytes.length) % CLUSTER_SLOTS;
}

let tags: string[] | undefined;

/**
 * A short string that hashes to `slot`: `{tag}` in a key puts the key in that slot. The table is
 * built once, on first use (about 160 000 CRCs of 1–4 bytes, a few ms).
 */
export function hashTagForSlot(slot: number): string {
  if (!tags) {
    const table: string[] = new Array(CLUSTER_SLOTS);
    let filled = 0;
    for (let i = 0; filled < CLUSTER_SLOTS; i++) {
      const tag = i.toString(36);
      const bytes = Buffer.from(tag, 'latin1');
      const s = crc16(bytes, 0, bytes.length) % CLUSTER_SLOTS;
      if (table[s] === undefined) {
        table[s] = tag;
        filled++;
      }
    }
    tags = table;
  }
  return tags[slot]!;
}
