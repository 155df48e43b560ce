/**
 * The Lua scripts, one per store operation. Each reads `TIME` (plus a test-only offset, always 0
 * unless the store was built with `testing: true`), so shared deadlines use Redis's clock; keys
 * arrive only as KEYS and values only as ARGV, never spliced into the source. Every script
 * answers the state as `{state, gen, retryAfterMs, openings}` at the end of its reply.
 *
 * Keys of breaker B: `P{B}:s` state hash (state, gen, until, trips, hs), `P{B}:w` window hash
 * (`<bucket>:c|f|l` counts, `cf` consecutive and `nf` net failures), `P{B}:l` lease zset
 * (token -> expiry), `P{B}:r` reporter zset (instance -> last failure, for quorum).
 */

const PRELUDE = `
local function now_ms(off)
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) + (tonumber(off) or 0)
end
local function load(k)
  local v = redis.call('HMGET', k, 'state', 'gen', 'until', 'trips')
  return v[1] or 'closed', tonumber(v[2]) or 0, tonumber(v[3]) or 0, tonumber(v[4]) or 0
end
local function retry(state, untilMs, now)
  if state == 'open' and untilMs > now then return untilMs - now end
  return 0
end
local function set_state(k, chan, id, state, gen, untilMs, trips, ttl, now)
  redis.call('HSET', k, 'state', state, 'gen', gen, 'until', untilMs, 'trips', trips, 'hs', 0)
  redis.call('PEXPIRE', k, ttl)
  redis.call('PUBLISH', chan, id .. '|' .. state .. '|' .. gen .. '|' .. retry(state, untilMs, now) .. '|' .. trips)
end
`

/** READ: KEYS s; ARGV offset. */
export const READ: string = `${PRELUDE}
local now = now_ms(ARGV[1])
local state, gen, untilMs, trips = load(KEYS[1])
return {state, gen, retry(state, untilMs, now), trips}
`

/** TRANSITION: KEYS s, w, l; ARGV offset, fromGen ('' = force), to, openForMs, openings, ttl, channel, id. */
export const TRANSITION: string = `${PRELUDE}
local now = now_ms(ARGV[1])
local state, gen, untilMs, trips = load(KEYS[1])
if ARGV[2] ~= '' and tonumber(ARGV[2]) ~= gen then
  return {state, gen, retry(state, untilMs, now), trips}
end
local to = ARGV[3]
if to == 'half_open' and (state ~= 'open' or now < untilMs) then
  return {state, gen, retry(state, untilMs, now), trips}
end
untilMs = 0
if to == 'open' then untilMs = now + tonumber(ARGV[4]) end
gen = gen + 1
set_state(KEYS[1], ARGV[7], ARGV[8], to, gen, untilMs, tonumber(ARGV[5]), tonumber(ARGV[6]), now)
redis.call('DEL', KEYS[3])
if to == 'closed' then redis.call('DEL', KEYS[2]) end
return {to, gen, retry(to, untilMs, now), tonumber(ARGV[5])}
`

/** ACQUIRE: KEYS s, l; ARGV offset, token, maxProbes, leaseMs, ttl, channel, id. Reply {granted, ...state}. */
export const ACQUIRE: string = `${PRELUDE}
local now = now_ms(ARGV[1])
local state, gen, untilMs, trips = load(KEYS[1])
if state == 'open' and now >= untilMs then
  gen = gen + 1
  state = 'half_open'
  untilMs = 0
  set_state(KEYS[1], ARGV[6], ARGV[7], state, gen, 0, trips, tonumber(ARGV[5]), now)
  redis.call('DEL', KEYS[2])
end
if state ~= 'half_open' then return {0, state, gen, retry(state, untilMs, now), trips} end
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
if redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[3]) then return {0, state, gen, 0, trips} end
local lease = tonumber(ARGV[4])
redis.call('ZADD', KEYS[2], now + lease, ARGV[2])
if redis.call('PTTL', KEYS[2]) < lease * 2 then redis.call('PEXPIRE', KEYS[2], lease * 2) end
return {1, state, gen, 0, trips}
`

/** RELEASE: KEYS s, l; ARGV offset, gen, token, outcome. Reply {held, successes, ...state}. */
export const RELEASE: string = `${PRELUDE}
local now = now_ms(ARGV[1])
local state, gen, untilMs, trips = load(KEYS[1])
local held = 0
if state == 'half_open' and gen == tonumber(ARGV[2]) then
  held = redis.call('ZREM', KEYS[2], ARGV[3])
end
local hs = tonumber(redis.call('HGET', KEYS[1], 'hs')) or 0
if held == 1 and ARGV[4] == 'success' then hs = redis.call('HINCRBY', KEYS[1], 'hs', 1) end
return {held, hs, state, gen, retry(state, untilMs, now), trips}
`

/**
 * RECORD: KEYS s, w, r; ARGV offset, gen, successes, failures, slow, trailing, bucketMs, buckets,
 * ttl, instance ('' = no quorum). Reply {counted, calls, failures, slow, cf, nf, reporters, ...state}.
 */
export const RECORD: string = `${PRELUDE}
local now = now_ms(ARGV[1])
local state, gen, untilMs, trips = load(KEYS[1])
local bms, nb, ttl = tonumber(ARGV[7]), tonumber(ARGV[8]), tonumber(ARGV[9])
local b = math.floor(now / bms)
local counted = 0
if state == 'closed' and gen == tonumber(ARGV[2]) then
  counted = 1
  local s, f, l, tr = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
  if s + f > 0 then redis.call('HINCRBY', KEYS[2], b .. ':c', s + f) end
  if f > 0 then redis.call('HINCRBY', KEYS[2], b .. ':f', f) end
  if l > 0 then redis.call('HINCRBY', KEYS[2], b .. ':l', l) end
  local cf = tonumber(redis.call('HGET', KEYS[2], 'cf')) or 0
  local nf = tonumber(redis.call('HGET', KEYS[2], 'nf')) or 0
  if s > 0 then cf = tr else cf = cf + f end
  nf = math.max(0, nf + f - s)
  redis.call('HSET', KEYS[2], 'cf', cf, 'nf', nf)
  redis.call('PEXPIRE', KEYS[2], ttl)
  if f > 0 and ARGV[10] ~= '' then
    redis.call('ZADD', KEYS[3], now, ARGV[10])
    redis.call('PEXPIRE', KEYS[3], bms * nb)
  end
end
local all = redis.call('HGETALL', KEYS[2])
local calls, fails, slow, cf, nf = 0, 0, 0, 0, 0
for i = 1, #all, 2 do
  local field, value = all[i], tonumber(all[i + 1])
  if field == 'cf' then cf = value
  elseif field == 'nf' then nf = value
  else
    local sep = string.find(field, ':', 1, true)
    local fb, kind = tonumber(string.sub(field, 1, sep - 1)), string.sub(field, sep + 1)
    if fb <= b - nb then redis.call('HDEL', KEYS[2], field)
    elseif kind == 'c' then calls = calls + value
    elseif kind == 'f' then fails = fails + value
    else slow = slow + value end
  end
end
local reporters = 0
if ARGV[10] ~= '' then
  redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now - bms * nb)
  reporters = redis.call('ZCARD', KEYS[3])
end
return {counted, calls, fails, slow, cf, nf, reporters, state, gen, retry(state, untilMs, now), trips}
`

/** The scripts by ioredis command name, with how many of their arguments are keys. */
export const SCRIPTS: {
  readonly [name: string]: { readonly lua: string; readonly numberOfKeys: number }
} = {
  tripswitchRead: { lua: READ, numberOfKeys: 1 },
  tripswitchTransition: { lua: TRANSITION, numberOfKeys: 3 },
  tripswitchAcquire: { lua: ACQUIRE, numberOfKeys: 2 },
  tripswitchRelease: { lua: RELEASE, numberOfKeys: 2 },
  tripswitchRecord: { lua: RECORD, numberOfKeys: 3 },
}
