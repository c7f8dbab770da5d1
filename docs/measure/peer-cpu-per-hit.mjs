// CPU per hit, side by side in one process: two builds of this library (BEFORE, AFTER: paths to a
// dist/index.js) and cache-manager over Keyv + @keyv/redis, alternating rounds. Prints the median
// ops/s, client CPU per get (process.cpuUsage), Redis CPU per get (INFO cpu: use a private
// redis-server), and gets per socket write and per 'data' event. Run from a copy of
// ../shared/peerbench (for its node_modules), e.g.:
//   cp docs/measure/peer-cpu-per-hit.mjs /tmp/peerbench/ && \
//   BEFORE=$PWD/old-dist/index.js AFTER=$PWD/dist/index.js node /tmp/peerbench/peer-cpu-per-hit.mjs 127.0.0.1:2181 redis://127.0.0.1:6399
// Knobs: KEYS (1000; 1 = one hot key), INFLIGHT (64), N (5000 per round), ROUNDS (12),
// SPLIT=1 (each get first awaits a setImmediate: calls from callbacks of their own), ONLY=before,after.
// Used for docs/performance.md, "Adaptive write batching".
import { createCache } from 'cache-manager';
import { Keyv } from 'keyv';
import KeyvRedis from '@keyv/redis';
import Redis from 'ioredis';
import net from 'node:net';
let sysWrites = 0, dataEvents = 0;
for (const m of ['_write', '_writev']) { const o = net.Socket.prototype[m]; net.Socket.prototype[m] = function (...a) { sysWrites++; return o.apply(this, a); }; }
const oe = net.Socket.prototype.emit; net.Socket.prototype.emit = function (ev, ...a) { if (ev === 'data') dataEvents++; return oe.call(this, ev, ...a); };
const [zk, redisUrl] = process.argv.slice(2);
const before = await import('file://' + process.env.BEFORE);
const after = await import('file://' + process.env.AFTER);
const KEYS = +(process.env.KEYS || 1000), INFLIGHT = +(process.env.INFLIGHT || 64), N = +(process.env.N || 5000), ROUNDS = +(process.env.ROUNDS || 12);
const SPLIT = process.env.SPLIT === '1';
const ONLY = process.env.ONLY ? process.env.ONLY.split(',') : null;
const tag = Math.random().toString(36).slice(2, 8);
const value = { id: 123, name: 'grinder', price: '50.00', tags: ['coffee', 'kitchen'] };
const mk = async (lib, ns) => { const oc = await lib.OrderedCache.connect({ zookeeper: { connectString: zk, sessionTimeoutMs: 10000 }, redis: redisUrl, namespace: ns }); return { get: (k, load) => oc.get(k, async () => ({ value: await load(), timestamp: 1n })), close: () => oc.close() }; };
const cm = createCache({ stores: [new Keyv({ store: new KeyvRedis(redisUrl), namespace: 'cpu-cm-' + tag })] });
let libs = {
  before: await mk(before, 'cpu-b-' + tag),
  after: await mk(after, 'cpu-a-' + tag),
  'cache-manager': { get: (k, load) => cm.wrap(k, load, 3_600_000), close: () => cm.disconnect() },
};
if (ONLY) libs = Object.fromEntries(Object.entries(libs).filter(([k]) => ONLY.includes(k)));
const info = new Redis(redisUrl);
const redisCpu = async () => { const s = await info.info('cpu'); const g = (n) => +s.match(new RegExp(n + ':([0-9.]+)'))[1]; return (g('used_cpu_user') + g('used_cpu_sys')) * 1e6; };
const keyOf = (i) => (KEYS === 1 ? 'hot' : 'k' + (i % KEYS));
for (const l of Object.values(libs)) for (let i = 0; i < KEYS; i++) await l.get(keyOf(i), async () => value);
const names = Object.keys(libs);
const per = Object.fromEntries(names.map((n) => [n, { ops: [], cli: [], red: [], w: [], d: [] }]));
for (let r = 0; r < ROUNDS; r++) {
  const order = r % 2 ? [...names].reverse() : names;
  for (const nm of order) {
    const get = libs[nm].get; let i = 0;
    const rc0 = await redisCpu(); const w0 = sysWrites, d0 = dataEvents; const c0 = process.cpuUsage(); const t0 = performance.now();
    await Promise.all(Array.from({ length: INFLIGHT }, async () => { while (i < N) { const k = keyOf(i++); if (SPLIT) await new Promise(setImmediate); await get(k, async () => { throw new Error('loader on a hit'); }); } }));
    const ms = performance.now() - t0; const c = process.cpuUsage(c0); per[nm].w.push((sysWrites - w0) / N); per[nm].d.push((dataEvents - d0) / N); const rc1 = await redisCpu();
    per[nm].ops.push(N / ms * 1000); per[nm].cli.push((c.user + c.system) / N); per[nm].red.push((rc1 - rc0) / N);
  }
}
const med = (a) => [...a].sort((x, y) => x - y)[a.length >> 1];
for (const nm of names) console.log(`CPU impl=${nm} keys=${KEYS} inflight=${INFLIGHT} ops_s=${med(per[nm].ops).toFixed(0)} client_us=${med(per[nm].cli).toFixed(2)} redis_us=${med(per[nm].red).toFixed(2)} total_us=${(med(per[nm].cli) + med(per[nm].red)).toFixed(2)} gets_per_write=${(1 / med(per[nm].w)).toFixed(1)} gets_per_read=${(1 / med(per[nm].d)).toFixed(1)}`);
if (per.before && per.after) {
  const ratios = per.after.ops.map((o, i) => o / per.before.ops[i]);
  console.log(`RATIO after/before ops median-of-rounds=${med(ratios).toFixed(3)} medians=${(med(per.after.ops) / med(per.before.ops)).toFixed(3)} cpu(before/after client)=${(med(per.before.cli) / med(per.after.cli)).toFixed(3)}`);
}
if (per.after && per['cache-manager']) console.log(`RATIO after/cache-manager ops=${(med(per.after.ops) / med(per['cache-manager'].ops)).toFixed(2)}`);
for (const l of Object.values(libs)) await l.close();
info.disconnect();
process.exit(0);
