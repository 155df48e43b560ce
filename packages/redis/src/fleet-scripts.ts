/**
 * The fleet's Lua scripts: which circuits Redis knows and which instances hold a breaker for
 * each. Every one takes the same three keys, all in the hash slot `{~fleet}` (one node of a
 * cluster; `~fleet` is never a breaker id): KEYS[1] `P{~fleet}:c` circuits zset (recorded name ->
 * last registration or release), KEYS[2] `P{~fleet}:i` instances zset (instance id -> last heartbeat),
 * KEYS[3] `P{~fleet}:n:<instance>` set of the names one instance holds. ARGV[1] is the test-only
 * time offset, as in the breaker scripts: times are Redis `TIME`, so hosts whose clocks disagree
 * agree on who is alive. ARGV[2] is the lifetime of the two zsets (`stateTtl`), renewed by every
 * write: they outlive the breaker states they list. Each script does bounded work (a page, or a
 * chunk of names); their own arguments start at ARGV[3].
 */

const NOW = `
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) + (tonumber(ARGV[1]) or 0)
end
local now = now_ms()
local function renew()
  redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]))
  redis.call('PEXPIRE', KEYS[2], tonumber(ARGV[2]))
end
`

/**
 * JOIN: ARGV[3] instance id, ARGV[4] set TTL ms, ARGV[5] `1` to add the names to the instance's
 * set, `2` to replace its set with them, `0` to record the names only (a circuit moved by a store
 * that holds no breaker of it); ARGV[6..] recorded names. Heartbeats too unless `0`. Reply: the time.
 */
export const FLEET_JOIN: string = `${NOW}
local mine = ARGV[5] ~= '0'
if ARGV[5] == '2' then redis.call('DEL', KEYS[3]) end
for i = 6, #ARGV do
  redis.call('ZADD', KEYS[1], now, ARGV[i])
  if mine then redis.call('SADD', KEYS[3], ARGV[i]) end
end
if mine then
  redis.call('ZADD', KEYS[2], now, ARGV[3])
  redis.call('PEXPIRE', KEYS[3], tonumber(ARGV[4]))
end
renew()
return now
`

/**
 * BEAT: ARGV[3] instance id, ARGV[4] set TTL ms, ARGV[5..] a slice of the names the instance
 * holds, whose registration it renews (each in turn). Then forgets up to 100 circuits nobody
 * registered, renewed or released for `stateTtl`: their state has expired with them (a state is
 * written only while held, or by a store recording the name as it moves it). One still held is
 * listed from its holders' sets. Reply: 1, or 0 when the set is gone (re-join).
 */
export const FLEET_BEAT: string = `${NOW}
redis.call('ZADD', KEYS[2], now, ARGV[3])
for i = 5, #ARGV do redis.call('ZADD', KEYS[1], 'XX', now, ARGV[i]) end
local old = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. (now - tonumber(ARGV[2])), 'LIMIT', 0, 100)
for i = 1, #old do redis.call('ZREM', KEYS[1], old[i]) end
renew()
return redis.call('PEXPIRE', KEYS[3], tonumber(ARGV[4]))
`

/** LEAVE: ARGV[3] instance id, ARGV[4] `1` for the whole instance (close), ARGV[5..] names. */
export const FLEET_LEAVE: string = `${NOW}
if ARGV[4] == '1' then
  redis.call('ZREM', KEYS[2], ARGV[3])
  redis.call('DEL', KEYS[3])
  return 1
end
for i = 5, #ARGV do
  redis.call('SREM', KEYS[3], ARGV[i])
  -- The time of release counts as the circuit's last registration: its state was written before.
  redis.call('ZADD', KEYS[1], 'XX', now, ARGV[i])
end
return 1
`

/**
 * INSTANCES: ARGV[3] fleet TTL ms, ARGV[4] offset, ARGV[5] count. Drops instances silent for
 * longer than the TTL, then answers a page of the others: {now, id, lastSeen, id, lastSeen...}.
 */
export const FLEET_INSTANCES: string = `${NOW}
local cutoff = now - tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', '(' .. cutoff)
local page = redis.call('ZRANGEBYSCORE', KEYS[2], cutoff, '+inf', 'WITHSCORES', 'LIMIT', tonumber(ARGV[4]), tonumber(ARGV[5]))
local out = {now}
for i = 1, #page do out[#out + 1] = page[i] end
return out
`

/** MEMBERS: ARGV[3] cursor, ARGV[4] count. A page of one instance's set: {cursor, name...}. */
export const FLEET_MEMBERS: string = `${NOW}
local r = redis.call('SSCAN', KEYS[3], ARGV[3], 'COUNT', tonumber(ARGV[4]))
local out = {r[1]}
for i = 1, #r[2] do out[#out + 1] = r[2][i] end
return out
`

/** CIRCUITS: ARGV[3] cursor, ARGV[4] count. A page of the circuits: {cursor, name, at, name, at...}. */
export const FLEET_CIRCUITS: string = `${NOW}
local r = redis.call('ZSCAN', KEYS[1], ARGV[3], 'COUNT', tonumber(ARGV[4]))
local out = {r[1]}
for i = 1, #r[2] do out[#out + 1] = r[2][i] end
return out
`

/**
 * PRUNE: ARGV[3] cutoff (ms), ARGV[4..] names. Forgets each name last registered before the
 * cutoff: one registered meanwhile (a breaker created during the listing) stays. Reply: how many.
 */
export const FLEET_PRUNE: string = `${NOW}
local gone = 0
local cutoff = tonumber(ARGV[3])
for i = 4, #ARGV do
  local at = tonumber(redis.call('ZSCORE', KEYS[1], ARGV[i]))
  if at and at < cutoff then gone = gone + redis.call('ZREM', KEYS[1], ARGV[i]) end
end
return gone
`
