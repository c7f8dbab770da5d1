export type { Codec } from './codec.js';
export { jsonCodec } from './json-codec.js';
export { bufferCodec } from './buffer-codec.js';
