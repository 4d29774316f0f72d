"""The Lua scripts of the Redis schedule. Each is bounded (at most ``limit`` sends per call) so
no call blocks Redis for long; times come from Redis ``TIME`` so processes with skewed clocks
agree. Keys share one hash tag, so they sit in one Redis Cluster slot."""

# A campaign's unfinished sends are also members of its own lex-ordered ZSET (the waiting
# prefix + campaign; score 0), so listing or cancelling them never scans the shared due ZSET.

# KEYS: due. ARGV: prefix, counters prefix, waiting prefix, then (id, due, data, campaign) per send.
ADD = """
local new = 0
for i = 4, #ARGV, 4 do
  local id = ARGV[i]
  if redis.call('EXISTS', ARGV[1] .. id) == 0 and redis.call('ZADD', KEYS[1], 'NX', ARGV[i + 1], id) == 1 then
    new = new + 1
    if ARGV[i + 2] ~= '' then redis.call('HSET', ARGV[1] .. id, 'd', ARGV[i + 2], 's', 'due') end
    if ARGV[i + 3] ~= '' then
      redis.call('HINCRBY', ARGV[2] .. ARGV[i + 3], 'planned', 1)
      redis.call('ZADD', ARGV[3] .. ARGV[i + 3], 0, id)
    end
  end
end
return new
"""

# KEYS: due, inflight, token counter. ARGV: prefix, limit, lease, now ('' = Redis TIME).
CLAIM = """
local now
if ARGV[4] == '' then
  local t = redis.call('TIME')
  now = tonumber(t[1]) + tonumber(t[2]) / 1000000
else
  now = tonumber(ARGV[4])
end
local limit = tonumber(ARGV[2])
-- expired leases first: their holder died, they are due again (bounded like the rest)
local expired = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now, 'LIMIT', 0, limit)
for _, id in ipairs(expired) do
  redis.call('ZREM', KEYS[2], id)
  redis.call('ZADD', KEYS[1], now, id)
end
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'WITHSCORES', 'LIMIT', 0, limit)
if #due == 0 then return {} end
local token = redis.call('INCR', KEYS[3])
local out = {token}
local deadline = now + tonumber(ARGV[3])
for i = 1, #due, 2 do
  local id = due[i]
  redis.call('ZREM', KEYS[1], id)
  redis.call('ZADD', KEYS[2], deadline, id)
  redis.call('HSET', ARGV[1] .. id, 't', token, 's', 'inflight')
  out[#out + 1] = id
  out[#out + 1] = due[i + 1]
  out[#out + 1] = redis.call('HGET', ARGV[1] .. id, 'd') or ''
end
return out
"""

# KEYS: inflight. ARGV: send key, id, token, outcome, counters key ('' = none), keep seconds,
# waiting key ('' = none).
ACK = """
if redis.call('HGET', ARGV[1], 't') ~= ARGV[3] or redis.call('HGET', ARGV[1], 's') ~= 'inflight' then return 0 end
redis.call('ZREM', KEYS[1], ARGV[2])
redis.call('HDEL', ARGV[1], 't', 'd')
redis.call('HSET', ARGV[1], 's', ARGV[4])
redis.call('EXPIRE', ARGV[1], ARGV[6])
if ARGV[5] ~= '' then redis.call('HINCRBY', ARGV[5], ARGV[4], 1) end
if ARGV[7] ~= '' then redis.call('ZREM', ARGV[7], ARGV[2]) end
return 1
"""

# KEYS: inflight. ARGV: sends prefix, counters prefix, keep seconds, waiting prefix, then (id,
# token, outcome, campaign) per send (at most MAX_CLAIM: the dispatcher acks a claimed batch at once).
ACK_MANY = """
local held = 0
for i = 5, #ARGV, 4 do
  local key = ARGV[1] .. ARGV[i]
  if redis.call('HGET', key, 't') == ARGV[i + 1] and redis.call('HGET', key, 's') == 'inflight' then
    redis.call('ZREM', KEYS[1], ARGV[i])
    redis.call('HDEL', key, 't', 'd')
    redis.call('HSET', key, 's', ARGV[i + 2])
    redis.call('EXPIRE', key, ARGV[3])
    if ARGV[i + 3] ~= '' then
      redis.call('HINCRBY', ARGV[2] .. ARGV[i + 3], ARGV[i + 2], 1)
      redis.call('ZREM', ARGV[4] .. ARGV[i + 3], ARGV[i])
    end
    held = held + 1
  end
end
return held
"""

# KEYS: inflight, due. ARGV: send key, id, token, at.
RESCHEDULE = """
if redis.call('HGET', ARGV[1], 't') ~= ARGV[3] or redis.call('HGET', ARGV[1], 's') ~= 'inflight' then return 0 end
redis.call('ZREM', KEYS[1], ARGV[2])
redis.call('ZADD', KEYS[2], ARGV[4], ARGV[2])
redis.call('HDEL', ARGV[1], 't')
if redis.call('HEXISTS', ARGV[1], 'd') == 1 then
  redis.call('HSET', ARGV[1], 's', 'due')
else
  redis.call('DEL', ARGV[1])  -- a campaign send waiting in due needs no hash (memory)
end
return 1
"""

# KEYS: due, inflight. ARGV: send key, id, keep seconds, waiting key ('' = none). A tombstone
# stops any later re-plan.
CANCEL = """
local live = redis.call('ZREM', KEYS[1], ARGV[2]) + redis.call('ZREM', KEYS[2], ARGV[2])
if ARGV[4] ~= '' then redis.call('ZREM', ARGV[4], ARGV[2]) end
redis.call('DEL', ARGV[1])
redis.call('HSET', ARGV[1], 's', 'cancelled')
redis.call('EXPIRE', ARGV[1], ARGV[3])
return live
"""

# KEYS: due, inflight. ARGV: sends prefix, keep seconds, counters key, waiting key, then ids (at
# most MAX_CLAIM). Cancels a batch of a campaign's sends; counts those that were waiting as skipped.
CANCEL_MANY = """
local live = 0
for i = 5, #ARGV do
  local id = ARGV[i]
  redis.call('ZREM', ARGV[4], id)
  local was = redis.call('ZREM', KEYS[1], id) + redis.call('ZREM', KEYS[2], id)
  if was > 0 then
    live = live + 1
    redis.call('DEL', ARGV[1] .. id)
    redis.call('HSET', ARGV[1] .. id, 's', 'cancelled')
    redis.call('EXPIRE', ARGV[1] .. id, ARGV[2])
  end
end
if live > 0 then redis.call('HINCRBY', ARGV[3], 'skipped:cancelled', live) end
return live
"""
