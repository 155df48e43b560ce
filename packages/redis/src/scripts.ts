import {
  FLEET_BEAT,
  FLEET_CIRCUITS,
  FLEET_INSTANCES,
  FLEET_JOIN,
  FLEET_LEAVE,
  FLEET_MEMBERS,
  FLEET_PRUNE,
} from './fleet-scripts.ts'

/**
 * The Lua scripts, one per store operation. Each reads `TIME` (plus a test-only offset, always 0
 * unless the store was built with `testing: true`), so shared deadlines use Redis's clock; keys
 * arrive only as KEYS and values only as ARGV, never spliced into the source. Every script
 * answers the state as `{state, gen, retryAfterMs, openings}` at the end of its reply.
 *
 * Keys of breaker B, the same four for every script: KEYS[1] `P{B}:s` state hash (state, gen,
 * until, trips, hs, seeded: 1 while the generation is one a script re-created or moved on from
 * what an instance knew), KEYS[2] `P{B}:w` window hash (`<bucket>:c|f|l` counts, `cf` consecutive
 * and `nf` net failures), KEYS[3] `P{B}:l` lease zset (token -> expiry), KEYS[4] `P{B}:r`
 * reporter zset (instance -> last failure, for quorum).
 *
 * Every script starts with the same nine arguments: ARGV[1] time offset, ARGV[2] channel,
 * ARGV[3] breaker id, ARGV[4] key TTL, then what the calling instance knows of the breaker:
 * ARGV[5] state, ARGV[6] generation, ARGV[7] ms left open, ARGV[8] openings, ARGV[9] `1` when it
 * moved the breaker alone while Redis was away. Its own arguments follow from ARGV[10].
 */

const PRELUDE = `
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) + (tonumber(ARGV[1]) or 0)
end
local function retry(state, untilMs, now)
  if state == 'open' and untilMs > now then return untilMs - now end
  return 0
end
local function set_state(state, gen, untilMs, trips, now, seeded)
  redis.call('HSET', KEYS[1], 'state', state, 'gen', gen, 'until', untilMs, 'trips', trips, 'hs', 0, 'hf', 0, 'hl', 0, 'seeded', seeded or 0)
  redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[4]))
  redis.call('PUBLISH', ARGV[2], ARGV[3] .. '|' .. state .. '|' .. gen .. '|' .. retry(state, untilMs, now) .. '|' .. trips)
end
local STRICTNESS = {closed = 0, disabled = 0, half_open = 1, open = 2, forced_open = 3}
local function known_until(now)
  if ARGV[5] == 'open' then return now + tonumber(ARGV[7]) end
  return 0
end
-- The state, after bringing the key up to what the caller knows. Generations never go back:
-- a key Redis lost (FLUSHALL, restart, expiry) starts again at the caller's generation and
-- state (the first caller wins, the others find it); a key behind the caller (re-created by an
-- instance that knew less), or less strict than a state the caller reached alone while Redis was
-- away, moves to a generation above both with the stricter state.
-- The fifth value is true while the generation is one made that way (nobody has moved since).
local function load(now)
  local v = redis.call('HMGET', KEYS[1], 'state', 'gen', 'until', 'trips', 'seeded')
  local kgen = tonumber(ARGV[6])
  if not v[2] then
    if kgen == 0 then return 'closed', 0, 0, 0, false end
    local untilMs, trips = known_until(now), tonumber(ARGV[8])
    set_state(ARGV[5], kgen, untilMs, trips, now, 1)
    return ARGV[5], kgen, untilMs, trips, true
  end
  local state, gen = v[1], tonumber(v[2])
  -- A foreign value: answered as is (the caller reports it), never built upon.
  if gen == nil or STRICTNESS[state] == nil then return state, -1, 0, 0, false end
  local untilMs, trips = tonumber(v[3]) or 0, tonumber(v[4]) or 0
  local stricter = STRICTNESS[ARGV[5]] > STRICTNESS[state]
  if gen < kgen or (ARGV[9] == '1' and stricter) then
    gen = math.max(gen, kgen) + 1
    if stricter then state, untilMs, trips = ARGV[5], known_until(now), tonumber(ARGV[8]) end
    set_state(state, gen, untilMs, trips, now, 1)
    redis.call('DEL', KEYS[3])
    return state, gen, untilMs, trips, true
  end
  return state, gen, untilMs, trips, v[5] == '1'
end
-- True when a move or batch from generation \`from\` applies to the key at \`gen\`: it is that
-- generation; or the key was re-created by another instance since this one last heard, nobody
-- has moved it since, and it is still in the state this one knew at \`from\` (a trip an instance
-- saw while Redis was being brought back is not lost).
local function is_current(from, state, gen, seeded)
  if from == gen then return true end
  return seeded and from == tonumber(ARGV[6]) and from < gen and state == ARGV[5]
end
`

/** READ: the common arguments only. */
export const READ: string = `${PRELUDE}
local now = now_ms()
local state, gen, untilMs, trips = load(now)
return {state, gen, retry(state, untilMs, now), trips}
`

/** TRANSITION: ARGV[10..] fromGen ('' = force), to, openForMs, openings. */
export const TRANSITION: string = `${PRELUDE}
local now = now_ms()
local state, gen, untilMs, trips, seeded = load(now)
if gen < 0 or (ARGV[10] ~= '' and not is_current(tonumber(ARGV[10]), state, gen, seeded)) then
  return {state, gen, retry(state, untilMs, now), trips}
end
local to = ARGV[11]
untilMs = 0
if to == 'open' then untilMs = now + tonumber(ARGV[12]) end
gen = gen + 1
set_state(to, gen, untilMs, tonumber(ARGV[13]), now)
redis.call('DEL', KEYS[3])
if to == 'closed' then redis.call('DEL', KEYS[2]) end
return {to, gen, retry(to, untilMs, now), tonumber(ARGV[13])}
`

/** ACQUIRE: ARGV[10..] token, maxProbes, leaseMs. Reply {granted, ...state}. */
export const ACQUIRE: string = `${PRELUDE}
local now = now_ms()
local state, gen, untilMs, trips = load(now)
if state == 'open' and gen >= 0 and now >= untilMs then
  gen = gen + 1
  state = 'half_open'
  untilMs = 0
  set_state(state, gen, 0, trips, now)
  redis.call('DEL', KEYS[3])
end
if state ~= 'half_open' or gen < 0 then return {0, state, gen, retry(state, untilMs, now), trips} end
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now)
if redis.call('ZCARD', KEYS[3]) >= tonumber(ARGV[11]) then return {0, state, gen, 0, trips} end
local lease = tonumber(ARGV[12])
redis.call('ZADD', KEYS[3], now + lease, ARGV[10])
if redis.call('PTTL', KEYS[3]) < lease * 2 then redis.call('PEXPIRE', KEYS[3], lease * 2) end
return {1, state, gen, 0, trips}
`

/**
 * RELEASE: ARGV[10..] gen, token, outcome, slow ('1' or '0'). Counts a held probe's outcome in
 * the state hash (hs successes, hf failures, hl slow). Reply {held, hs, hf, hl, ...state}.
 */
export const RELEASE: string = `${PRELUDE}
local now = now_ms()
local state, gen, untilMs, trips = load(now)
local held = 0
if state == 'half_open' and gen == tonumber(ARGV[10]) then
  held = redis.call('ZREM', KEYS[3], ARGV[11])
end
local counts = redis.call('HMGET', KEYS[1], 'hs', 'hf', 'hl')
local hs, hf, hl = tonumber(counts[1]) or 0, tonumber(counts[2]) or 0, tonumber(counts[3]) or 0
if held == 1 and ARGV[12] == 'success' then hs = redis.call('HINCRBY', KEYS[1], 'hs', 1) end
if held == 1 and ARGV[12] == 'failure' then hf = redis.call('HINCRBY', KEYS[1], 'hf', 1) end
if held == 1 and ARGV[13] == '1' then hl = redis.call('HINCRBY', KEYS[1], 'hl', 1) end
return {held, hs, hf, hl, state, gen, retry(state, untilMs, now), trips}
`

/**
 * RECORD: ARGV[10..] gen, successes, failures, slow, trailing, bucketMs, buckets, instance
 * ('' = no quorum). Reply {counted, calls, failures, slow, cf, nf, reporters, ...state}.
 */
export const RECORD: string = `${PRELUDE}
local now = now_ms()
local state, gen, untilMs, trips, seeded = load(now)
local bms, nb, ttl = tonumber(ARGV[15]), tonumber(ARGV[16]), tonumber(ARGV[4])
local b = math.floor(now / bms)
local counted = 0
if state == 'closed' and gen >= 0 and is_current(tonumber(ARGV[10]), state, gen, seeded) then
  counted = 1
  local s, f, l, tr = tonumber(ARGV[11]), tonumber(ARGV[12]), tonumber(ARGV[13]), tonumber(ARGV[14])
  if s + f > 0 then redis.call('HINCRBY', KEYS[2], b .. ':c', s + f) end
  if f > 0 then redis.call('HINCRBY', KEYS[2], b .. ':f', f) end
  if l > 0 then redis.call('HINCRBY', KEYS[2], b .. ':l', l) end
  local cf = tonumber(redis.call('HGET', KEYS[2], 'cf')) or 0
  local nf = tonumber(redis.call('HGET', KEYS[2], 'nf')) or 0
  if s > 0 then cf = tr else cf = cf + f end
  nf = math.max(0, nf + f - s)
  redis.call('HSET', KEYS[2], 'cf', cf, 'nf', nf)
  redis.call('PEXPIRE', KEYS[2], ttl)
  if f > 0 and ARGV[17] ~= '' then
    redis.call('ZADD', KEYS[4], now, ARGV[17])
    redis.call('PEXPIRE', KEYS[4], bms * nb)
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
if ARGV[17] ~= '' then
  redis.call('ZREMRANGEBYSCORE', KEYS[4], '-inf', now - bms * nb)
  reporters = redis.call('ZCARD', KEYS[4])
end
return {counted, calls, fails, slow, cf, nf, reporters, state, gen, retry(state, untilMs, now), trips}
`

/** The scripts by ioredis command name (the fleet's included), with how many of their arguments are keys. */
export const SCRIPTS: {
  readonly [name: string]: { readonly lua: string; readonly numberOfKeys: number }
} = {
  tripswitchRead: { lua: READ, numberOfKeys: 4 },
  tripswitchTransition: { lua: TRANSITION, numberOfKeys: 4 },
  tripswitchAcquire: { lua: ACQUIRE, numberOfKeys: 4 },
  tripswitchRelease: { lua: RELEASE, numberOfKeys: 4 },
  tripswitchRecord: { lua: RECORD, numberOfKeys: 4 },
  tripswitchFleetJoin: { lua: FLEET_JOIN, numberOfKeys: 3 },
  tripswitchFleetBeat: { lua: FLEET_BEAT, numberOfKeys: 3 },
  tripswitchFleetLeave: { lua: FLEET_LEAVE, numberOfKeys: 3 },
  tripswitchFleetInstances: { lua: FLEET_INSTANCES, numberOfKeys: 3 },
  tripswitchFleetMembers: { lua: FLEET_MEMBERS, numberOfKeys: 3 },
  tripswitchFleetCircuits: { lua: FLEET_CIRCUITS, numberOfKeys: 3 },
  tripswitchFleetPrune: { lua: FLEET_PRUNE, numberOfKeys: 3 },
}
