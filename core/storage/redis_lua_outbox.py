"""The outbox's Lua scripts behind RedisStore (see redis_lua.py for the conventions): enqueue,
claim, settle, and settle + claim in one call (the outbox records what its sends returned in
the round trip that claims the next items)."""

from __future__ import annotations

# A conversation's counter (``k`` in its hash, redis_lua.py): lock tokens and the order of its
# address's outbox queue. A hash made anew (a new conversation, or one an erasure or a release
# deleted) starts above ``tokens``, the high-water mark of the counters of deleted hashes (and of
# the layout before), and above the caller's clock in milliseconds: a token is never handed out
# twice for a conversation, so fencing holds across the hash's deletion.
_COUNTER = """
local function bump(P, k, now)
  local n = tonumber(k)
  if not n then n = tonumber(redis.call('GET', P .. 'tokens') or '0') end
  local floor = math.floor(tonumber(now) * 1000)
  if n < floor then n = floor end
  return string.format('%.0f', n + 1)
end
local function retire(P, k)  -- before a conversation hash is deleted
  if k and tonumber(k) > tonumber(redis.call('GET', P .. 'tokens') or '0') then redis.call('SET', P .. 'tokens', k) end
end
"""

# Shared by enqueue and commit (after _COUNTER): insert an outbox item unless its id exists; keep
# one queue per address (ordered by the address's conversation counter) and a ``ready`` ZSET
# scoring each address by when its head item may be claimed (due time if pending, lease deadline
# if sending). With ``lease`` (a commit whose caller sends at once) an item with nothing
# unfinished ahead of it is stored already leased to ``owner``: no claim, no second round trip.
# Returns seq (0: the id existed) and token (0: queued). An item's tokens are its own (1 for the
# first lease, one more for each claim): a lease is fenced against the item's earlier ones, the
# only ones it is compared with. Every leased item is in ``oleased`` (id -> owner, '' for none):
# its length is the number in flight, so no counter moves on lease and settle.
# ``k``: {conv, value} of the committing conversation, whose counter the commit writes itself.
_ENQUEUE = """
local function next_seq(P, akey, now, k)
  if k and k.conv == akey then
    k.value = bump(P, k.value, now)
    return k.value
  end
  local conv = P .. 'c:' .. akey
  local seq = bump(P, redis.call('HGET', conv, 'k'), now)
  redis.call('HSET', conv, 'k', seq)
  return seq
end

local function enqueue(P, id, akey, person, due, body, attempts, maxa, now, lease, owner, k)
  local key = P .. 'o:' .. id
  if redis.call('EXISTS', key) == 1 then return 0, 0 end
  local seq = next_seq(P, akey, now, k)
  local q = P .. 'oq:' .. akey
  local ahead = redis.call('ZCARD', q)
  local status, token, deadline, at = 'pending', 0, 0, due
  if lease and ahead == 0 then
    token = 1
    status, deadline = 'sending', tostring(tonumber(now) + lease)
    at = deadline
    redis.call('HSET', P .. 'oleased', id, owner)
  else
    redis.call('HINCRBY', P .. 'ostat', 'pending', 1)
  end
  redis.call('HSET', key, 'body', body, 'akey', akey, 'person', person, 'seq', seq, 'status', status,
    'due', due, 'attempts', attempts, 'max', maxa, 'token', token, 'lease', deadline, 'error', '', 'pid', '',
    'updated', now, 'owner', owner or '')
  redis.call('ZADD', q, seq, id)
  if ahead == 0 then redis.call('ZADD', P .. 'ready', at, akey) end
  local mine = P .. 'pout:' .. person
  redis.call('SADD', mine, id)
  -- The person index outlives sent items (they expire after a week): prune it now and then.
  if tonumber(seq) % 32 == 0 and redis.call('SCARD', mine) > 32 then
    for _, old in ipairs(redis.call('SMEMBERS', mine)) do
      if redis.call('EXISTS', P .. 'o:' .. old) == 0 then redis.call('SREM', mine, old) end
    end
  end
  return seq, token
end

-- ``lease`` (nil: queue all) applies to the first item only, as the other stores do.
local function enqueue_all(P, args, i, now, lease, owner, k)
  local n = tonumber(args[i])
  local new, leased = 0, {}
  i = i + 1
  for j = 1, n do
    local take = nil
    if j == 1 and lease and tonumber(args[i+3]) <= tonumber(now) then take = lease end
    local seq, token = enqueue(P, args[i], args[i+1], args[i+2], args[i+3], args[i+4], args[i+5], args[i+6], now,
      take, owner, k)
    if seq ~= 0 then new = new + 1 end
    if token ~= 0 then leased = {args[i], tostring(token), tostring(seq)} end
    i = i + 7
  end
  return new, leased
end

-- After the head of an address queue left it: the next one (if any) is ready at its due time.
local function advance(P, akey)
  local q = P .. 'oq:' .. akey
  local head = redis.call('ZRANGE', q, 0, 0)
  if #head == 0 then
    redis.call('ZREM', P .. 'ready', akey)
  else
    redis.call('ZADD', P .. 'ready', redis.call('HGET', P .. 'o:' .. head[1], 'due'), akey)
  end
end
"""

# Removes one outbox item, keeping the address queues, the counters and the indexes right
# (after _ENQUEUE: it needs ``advance``).
_DROP = """
local function drop_outbox(P, id)
  local k = P .. 'o:' .. id
  local f = redis.call('HMGET', k, 'status', 'akey', 'error', 'person')
  if not f[1] then return 0 end
  if f[1] ~= 'sending' then redis.call('HINCRBY', P .. 'ostat', f[1], -1) end
  if f[1] == 'failed' then redis.call('HINCRBY', P .. 'oerr', f[3], -1) end
  if f[1] == 'pending' or f[1] == 'sending' then
    redis.call('ZREM', P .. 'oq:' .. f[2], id)
    advance(P, f[2])
  end
  redis.call('HDEL', P .. 'oleased', id)
  redis.call('SREM', P .. 'pout:' .. f[4], id)
  redis.call('DEL', k)
  return 1
end
"""

# ARGV: P, now, outbox...
ENQUEUE = _COUNTER + _ENQUEUE + "return (enqueue_all(ARGV[1], ARGV, 3, ARGV[2]))"

# Claims at most ``limit`` addresses' heads (due, or leased with the lease run out).
# A leased item's owner goes in ``oleased`` (id -> owner, '' for none) until it settles (RECOVER
# reads it; its length is the number in flight).
# ``name`` names this claim: what it leased is noted under ``claim:<name>`` for one lease, so if
# its answer is lost (a timeout while Redis was paused, after Redis ran it) the next claim
# passes the name in ``lost`` and gets those items back, still leased to it, instead of leaving
# them leased to nobody for the whole lease.
_CLAIM = """
local function claim(P, now, limit, lease, owner, name, args, first)
  local out, mine = {}, {}
  for i = first, #args do
    local lost = redis.call('GET', P .. 'claim:' .. args[i])
    redis.call('DEL', P .. 'claim:' .. args[i])
    if lost then
      for _, it in ipairs(cjson.decode(lost)) do
        local k = P .. 'o:' .. it[1]
        local f = redis.call('HMGET', k, 'status', 'body', 'due', 'attempts', 'max', 'seq', 'token', 'akey')
        if f[1] == 'sending' and f[7] == it[2] then
          redis.call('HSET', k, 'lease', tostring(now + lease))
          redis.call('ZADD', P .. 'ready', tostring(now + lease), f[8])
          table.insert(out, {it[1], f[2], f[3], f[4], it[2], f[6], f[5]})
        end
      end
    end
  end
  if limit <= 0 then return out end
  local akeys = redis.call('ZRANGEBYSCORE', P .. 'ready', '-inf', now, 'LIMIT', 0, limit)
  for _, akey in ipairs(akeys) do
    local head = redis.call('ZRANGE', P .. 'oq:' .. akey, 0, 0)
    if #head == 0 then
      redis.call('ZREM', P .. 'ready', akey)
    else
      local k = P .. 'o:' .. head[1]
      local f = redis.call('HMGET', k, 'status', 'body', 'due', 'attempts', 'max', 'seq', 'token')
      if f[1] == 'pending' then redis.call('HINCRBY', P .. 'ostat', 'pending', -1) end
      local token = string.format('%.0f', (tonumber(f[7]) or 0) + 1)  -- fences every earlier lease
      redis.call('HSET', k, 'status', 'sending', 'token', token, 'lease', tostring(now + lease), 'updated',
        string.format('%.6f', now), 'owner', owner)
      redis.call('HSET', P .. 'oleased', head[1], owner)
      redis.call('ZADD', P .. 'ready', tostring(now + lease), akey)
      table.insert(out, {head[1], f[2], f[3], f[4], tostring(token), f[6], f[5]})
      table.insert(mine, {head[1], tostring(token)})
    end
  end
  if #mine > 0 then
    redis.call('SET', P .. 'claim:' .. name, cjson.encode(mine), 'PX', math.ceil(lease * 1000))
  end
  return out
end
"""

# One outcome: kind sent|retry|failed, value (platform id | retry time), error, counts. 1 if
# ``token`` still held the item, else 0 and nothing written.
_SETTLE = """
local function settle(P, id, token, kind, now, value, err, counts)
  local k = P .. 'o:' .. id
  local f = redis.call('HMGET', k, 'token', 'status', 'akey')
  if not f[1] or f[1] ~= token or f[2] ~= 'sending' then return 0 end
  redis.call('HDEL', P .. 'oleased', id)
  if kind == 'retry' then
    redis.call('HSET', k, 'status', 'pending', 'due', value, 'error', err, 'updated', now)
    redis.call('HINCRBY', k, 'attempts', tonumber(counts))
    redis.call('HINCRBY', P .. 'ostat', 'pending', 1)
    redis.call('ZADD', P .. 'ready', value, f[3])
    return 1
  end
  if kind == 'sent' then
    redis.call('HSET', k, 'status', 'sent', 'pid', value, 'updated', now)
    redis.call('PEXPIRE', k, 7 * 86400 * 1000)  -- like SQLite's housekeeping: sent rows go after a week
    redis.call('HINCRBY', P .. 'ostat', 'sent', 1)
  else
    redis.call('HSET', k, 'status', 'failed', 'error', err, 'updated', now)
    redis.call('HINCRBY', P .. 'ostat', 'failed', 1)
    redis.call('HINCRBY', P .. 'oerr', err, 1)
  end
  redis.call('ZREM', P .. 'oq:' .. f[3], id)
  advance(P, f[3])
  return 1
end
"""

# ARGV: P, now, limit, lease, owner, claim name, lost claim names...
CLAIM = (
    _CLAIM
    + """
return claim(ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), ARGV[5], ARGV[6], ARGV, 7)
"""
)

# ARGV: P, id, token, outcome (sent|retry|failed), now, value (platform id | retry time), error, counts
SETTLE = (
    _COUNTER
    + _ENQUEUE
    + _SETTLE
    + """
return settle(ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7], ARGV[8])
"""
)

# ARGV: P, now, limit, lease, owner, claim name, n, (id, token, outcome, at, value, error, counts)*,
# lost claim names... Settles first (so an address whose head was just sent offers its next item
# to this very claim), then claims. Returns {settled flags, claimed items}.
SETTLE_CLAIM = (
    _COUNTER
    + _ENQUEUE
    + _SETTLE
    + _CLAIM
    + """
local P, n, done = ARGV[1], tonumber(ARGV[7]), {}
for j = 0, n - 1 do
  local i = 8 + 7 * j
  table.insert(done, settle(P, ARGV[i], ARGV[i+1], ARGV[i+2], ARGV[i+3], ARGV[i+4], ARGV[i+5], ARGV[i+6]))
end
return {done, claim(P, tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), ARGV[5], ARGV[6], ARGV, 8 + 7 * n)}
"""
)
