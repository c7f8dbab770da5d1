import type { Cluster, Redis } from 'ioredis';
import { ForeignEntryError } from '../errors.js';
import type { WriteResult } from './entry.js';

/** Version of the entry hash layout, stored in the `zkoc` marker field. */
export const ENTRY_FORMAT = '1';

/** What an entry's `k` field holds: value, tombstone, missing (negative cache). */
export type StoredKind = 'v' | 't' | 'm';

/**
 * The compare-timestamp write, atomically on one key (docs/design.md "Ordering rules").
 *
 * KEYS[1] entry key, KEYS[2] the epoch key of its slot (src/redis/epoch-key.ts). ARGV: kind
 * (v|t|m), canonical timestamp, value bytes, ttlMs, retentionMs, writer label, entry format, value
 * check (`json`: a stored value must parse as JSON; else none), epoch token (32 hex digits, or
 * empty for an unfenced write; KEYS[2] is then not read).
 * Returns {status, storedTs} with status written|duplicate|stale, {'stale', storedTs or '',
 * 'epoch'} when the epoch key no longer holds the token (docs/design.md "The epoch fence": the
 * load began before Redis lost its data), or {'foreign', detail} when the
 * key holds anything that is not exactly our entry: every field is checked (marker, kind, a
 * canonical ts ≤ 2^63−1, exp/at/ret of 1–15 digits, by and v present, v decoding as JSON for
 * the JSON codec; the epoch key, when read, a string of 32 hex digits) before anything is
 * written, and nothing is touched then.
 *
 * Timestamps are compared as canonical decimal strings: by length, then, at equal length, in two
 * pieces of at most 10 digits each. Lua numbers are doubles and would round a whole timestamp
 * above 2^53; a piece of 10 digits is exact.
 *
 * Same-version refresh: a value/missing write at t = s over a value/missing whose logical expiry
 * has passed is 'written' (a loader that re-read the same row version must be able to make it
 * fresh again); over a fresh one it is 'duplicate' and changes nothing. t < s stays 'stale'
 * whether or not the stored entry is fresh: its timestamp is remembered for the retention margin.
 */
export const COMPARE_WRITE_LUA = `
local key = KEYS[1]
local kind, ts, value = ARGV[1], ARGV[2], ARGV[3]
local ttl, retention = tonumber(ARGV[4]), tonumber(ARGV[5])
local writer, format, valueCheck, epoch = ARGV[6], ARGV[7], ARGV[8], ARGV[9]

-- 0, or 1-19 digits without a leading zero, at most 2^63-1 (equal lengths compare as strings).
local function canonical(s)
  return s and #s >= 1 and #s <= 19 and string.find(s, '^%d+$') ~= nil and (s == '0' or string.byte(s, 1) ~= 48)
    and (#s < 19 or s <= '9223372036854775807')
end

-- A time field as we write it: 1-15 digits (exact as a double).
local function millis(s)
  return s and #s >= 1 and #s <= 15 and string.find(s, '^%d+$') ~= nil
end

local function cmp(a, b)
  if a == b then return 0 end
  local n = #a
  if n ~= #b then
    if n < #b then return -1 else return 1 end
  end
  -- Equal lengths, at most 19 digits: compare the leading digits, then the last 9, as numbers.
  -- Each piece has at most 10 digits, so it is exact as a double (unlike the whole timestamp),
  -- and this is measurably cheaper than a byte-by-byte loop on the path every write takes.
  if n > 9 then
    local x, y = tonumber(string.sub(a, 1, n - 9)), tonumber(string.sub(b, 1, n - 9))
    if x ~= y then
      if x < y then return -1 else return 1 end
    end
    a, b = string.sub(a, n - 8), string.sub(b, n - 8)
  end
  if tonumber(a) < tonumber(b) then return -1 else return 1 end
end

-- The stored value must decode with the codec the caller names (only 'json' can be checked here).
-- cjson refuses nesting deeper than 1000 that JSON.parse accepts: that is still ours. Cost, measured
-- on a loaded 2-core box: nothing visible for small values, +0.6 ms at 100 KB, +14 ms at 900 KB.
local function decodes(v)
  if valueCheck ~= 'json' then return true end
  local ok, err = pcall(cjson.decode, v)
  return ok or string.find(tostring(err), 'nested', 1, true) ~= nil
end

if not canonical(ts) then
  return redis.error_reply('zkoc: non-canonical timestamp argument')
end
if not epoch or (epoch ~= '' and (#epoch ~= 32 or string.find(epoch, '^[0-9a-f]+$') == nil)) then
  return redis.error_reply('zkoc: malformed epoch argument')
end

local stored = redis.pcall('HMGET', key, 'zkoc', 'k', 'ts', 'exp', 'v', 'at', 'by', 'ret')
if stored.err then
  return {'foreign', 'a Redis ' .. redis.call('TYPE', key).ok .. ', not a hash'}
end
local marker, sk, sts, sexp, sv, sat, sby, sret =
  stored[1], stored[2], stored[3], stored[4], stored[5], stored[6], stored[7], stored[8]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)

if not marker then
  if redis.call('EXISTS', key) == 1 then
    return {'foreign', 'a hash without the zkoc marker field'}
  end
elseif marker ~= format then
  return {'foreign', 'entry format ' .. string.sub(marker, 1, 16) .. ', expected ' .. format}
elseif sk ~= 'v' and sk ~= 't' and sk ~= 'm' then
  return {'foreign', 'malformed kind field k'}
elseif not canonical(sts) then
  return {'foreign', 'malformed timestamp field ts'}
elseif not millis(sexp) then
  return {'foreign', 'malformed expiry field exp'}
elseif not (millis(sat) and millis(sret)) then
  return {'foreign', 'malformed time fields at/ret'}
elseif not sby then
  return {'foreign', 'no writer field by'}
elseif not sv then
  return {'foreign', 'no value field v'}
elseif sk == 'v' and not decodes(sv) then
  return {'foreign', 'value does not decode with codec json'}
end

-- The fence: a token that is gone or replaced means Redis lost its data since this load began.
if epoch ~= '' then
  local se = redis.pcall('GET', KEYS[2])
  if type(se) == 'table' and se.err then
    return {'foreign', 'the epoch key is a Redis ' .. redis.call('TYPE', KEYS[2]).ok .. ', not a string'}
  end
  if se and (#se ~= 32 or string.find(se, '^[0-9a-f]+$') == nil) then
    return {'foreign', 'the epoch key does not hold an epoch token'}
  end
  if se ~= epoch then return {'stale', sts or '', 'epoch'} end
end

if marker then
  local c = cmp(ts, sts)
  if c < 0 then return {'stale', sts} end
  if kind == 't' then
    if c == 0 then
      if sk == 't' then return {'duplicate', sts} end
      return {'stale', sts}
    end
  elseif c == 0 and sk ~= 't' and now < tonumber(sexp) then
    return {'duplicate', sts}
  end
end

local exp, pttl
if kind == 't' then
  exp, pttl = now, retention
else
  exp, pttl = now + ttl, ttl + retention
end
-- Redis prints number arguments with %.17g: exact for these integers (< 2^53 by the option limits).
redis.call('HSET', key, 'zkoc', format, 'k', kind, 'ts', ts, 'v', value,
  'exp', exp, 'at', now, 'by', writer, 'ret', now + pttl)
redis.call('PEXPIRE', key, pttl)
return {'written', ts}
`;

// Versioned so that a connection shared with an older/newer copy of this library never runs the wrong script.
// `e`: the revision that takes the epoch key and token.
const COMMAND_NAME = `zkocCompareWrite${ENTRY_FORMAT}e`;

/** The script's reply, decoded. `foreign` carries a description of what the key holds. */
export type CompareWriteReply =
  | { status: 'written' | 'duplicate' | 'stale'; storedTimestamp: string }
  | { status: 'fenced'; storedTimestamp: string | undefined }
  | { status: 'foreign'; detail: string };

/** Arguments of one compare write; `value` is ignored (stored empty) for tombstones and missing entries. */
export interface CompareWriteArgs {
  kind: StoredKind;
  timestamp: string;
  value: Buffer | string;
  ttlMs: number;
  retentionMs: number;
  writer: string;
  /** `json` to refuse a stored value that does not parse as JSON; empty for codecs the script cannot check. */
  valueCheck: string;
  /** The epoch token read before the load, with its key; `undefined` for an unfenced write. */
  epoch?: { key: string; token: string } | undefined;
}

type ScriptHost = Record<string, (key: string, ...args: (string | Buffer)[]) => Promise<unknown>>;

/**
 * Registers the script on `client` once (ioredis `defineCommand`: SHA computed once, EVALSHA
 * first, EVAL on NOSCRIPT — so it survives a Redis restart or SCRIPT FLUSH) and returns a typed
 * caller. Works with `Redis` and `Cluster`. Does not block; the returned function sends one
 * EVALSHA (plus one EVAL after NOSCRIPT).
 */
export function compareWriteCommand(
  client: Redis | Cluster,
): (redisKey: string, args: CompareWriteArgs) => Promise<CompareWriteReply> {
  const host = client as unknown as ScriptHost;
  if (typeof host[COMMAND_NAME] !== 'function') {
    client.defineCommand(COMMAND_NAME, { numberOfKeys: 2, lua: COMPARE_WRITE_LUA });
  }
  return (redisKey, args) =>
    host[COMMAND_NAME]!(
      redisKey,
      // unfenced: the entry key again, so a Cluster sees one slot and the script reads nothing more
      args.epoch?.key ?? redisKey,
      args.kind,
      args.timestamp,
      args.value,
      String(args.ttlMs),
      String(args.retentionMs),
      args.writer,
      ENTRY_FORMAT,
      args.valueCheck,
      args.epoch?.token ?? '',
    ).then(decodeReply);
}

function decodeReply(reply: unknown): CompareWriteReply {
  if (Array.isArray(reply) && reply.length === 3 && reply[0] === 'stale' && reply[2] === 'epoch')
    return {
      status: 'fenced',
      storedTimestamp: typeof reply[1] === 'string' && reply[1] !== '' ? reply[1] : undefined,
    };
  if (Array.isArray(reply) && reply.length === 2 && typeof reply[1] === 'string') {
    const [status, detail] = reply as [unknown, string];
    if (status === 'written' || status === 'duplicate' || status === 'stale')
      return { status, storedTimestamp: detail };
    if (status === 'foreign') return { status, detail };
  }
  // Only reachable if someone else defined a command under our name.
  throw new TypeError(`unexpected reply from the compare-write script: ${JSON.stringify(reply)}`);
}

/** A reply as the store returns it: ForeignEntryError for `foreign`; `fenced` is `stale` with reason `epoch`. */
export function writeResultOf(redisKey: string, reply: CompareWriteReply): WriteResult {
  if (reply.status === 'foreign') throw new ForeignEntryError(redisKey, reply.detail);
  if (reply.status === 'fenced') {
    const stored = reply.storedTimestamp;
    return { status: 'stale', current: stored === undefined ? undefined : BigInt(stored), reason: 'epoch' };
  }
  return { status: reply.status, current: BigInt(reply.storedTimestamp) };
}
