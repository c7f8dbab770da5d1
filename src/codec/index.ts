export { bufferCodec } from './buffer-codec.js';
export type { Codec } from './codec.js';
export { jsonCodec } from './json-codec.js';
