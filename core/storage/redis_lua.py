"""The Lua scripts behind RedisStore: each hot-path call is one script, so one round trip.

Every key lives under one hash tag (``{parley}:...``), so every script touches a single slot (the
rule Redis Cluster sets for scripts). Times come in as arguments from the caller's clock
(the same clock the memory and SQLite stores use); Redis' own expiry (PX) only garbage-collects.
Numbers cross the Lua boundary as strings: Lua reply conversion would truncate floats.
"""

from __future__ import annotations

from parley.core.storage.redis_lua_outbox import _DROP, _ENQUEUE

# Inbox helpers: an item body is JSON {"c": conversation, "p": person, "a": accepted_at, "b": inbound JSON}.
# ``pin:<person>`` (the person's items, for erasure) is not trimmed per commit: ACCEPT prunes it
# now and then, and a stale id in it names nothing (``items`` no longer has it).
_INBOX = """
local function drop_inbox(P, conv, id)
  if redis.call('HDEL', P .. 'items', id) == 0 then return 0 end
  local inbox = P .. 'inbox:' .. conv
  redis.call('ZREM', inbox, id)
  local head = redis.call('ZRANGE', inbox, 0, 0)
  if #head == 0 then
    redis.call('ZREM', P .. 'pending', conv)
  else
    redis.call('ZADD', P .. 'pending', cjson.decode(redis.call('HGET', P .. 'items', head[1])).a, conv)
  end
  return 1
end
"""

# The inbox half of a turn. accept: ``seen`` is the dedupe mark, holding its expiry on the
# caller's clock (PX only collects it): SET NX is the whole check unless a mark exists, which is
# then compared with ``now``. Returns 1 if the item is new (and, if it is alone in the inbox,
# {id, seq, body, person} for begin), else 0.
_ACCEPT = """
local function accept(P, seen, now, ttl, id, conv, person, at, body)
  local mark, px = tostring(now + ttl), math.ceil(ttl * 1000)
  if not redis.call('SET', seen, mark, 'NX', 'PX', px) then
    if tonumber(redis.call('GET', seen)) > now then return 0 end
    redis.call('SET', seen, mark, 'PX', px)
  end
  if redis.call('HSETNX', P .. 'items', id, body) == 1 then
    local seq = redis.call('INCR', P .. 'seq')
    redis.call('ZADD', P .. 'inbox:' .. conv, seq, id)
    local mine = P .. 'pin:' .. person
    redis.call('SADD', mine, id)
    if seq % 32 == 0 and redis.call('SCARD', mine) > 32 then
      for _, old in ipairs(redis.call('SMEMBERS', mine)) do
        if redis.call('HEXISTS', P .. 'items', old) == 0 then redis.call('SREM', mine, old) end
      end
    end
    -- Added only when the inbox was empty (drop_inbox keeps "pending" to the non-empty ones):
    -- then the new item is the inbox, and a begin right after need not read it back.
    if redis.call('ZADD', P .. 'pending', 'NX', at, conv) == 1 then return 1, {id, tostring(seq), body, person} end
  end
  return 1
end
"""

# begin: the lock (only if free, expired, or with ``reclaim`` '1' held under this very owner:
# an orphan the caller may take, Store.begin), then the oldest ``limit`` items, the state and
# the profiles of the items' authors. The owner is kept in the lock and in one index
# (``lockowner``: conversation -> owner) so a restart finds a dead process's locks without
# scanning the keyspace (RECOVER). ``alone``: what accept returned when the new item is the whole
# inbox. Returns false if held, else {token, state, items, profiles, people}.
_BEGIN = """
local function begin(P, lock, conv, now, lease, limit, owner, reclaim, alone)
  local held = redis.call('HMGET', lock, 't', 'u', 'o')
  local orphan = reclaim == '1' and owner ~= '' and held[3] == owner
  if held[2] and tonumber(held[2]) > now and not orphan then return false end
  local token = redis.call('INCR', P .. 'tokens')
  -- No PEXPIRE: ``u`` is the lease. Commit and release delete the key, RECOVER a dead owner's,
  -- and the next begin takes over one left by a crash nobody recovered.
  redis.call('HSET', lock, 't', token, 'u', tostring(now + lease), 'o', owner)
  if owner ~= '' then redis.call('HSET', P .. 'lockowner', conv, owner) end
  local items, order, seen = {}, {}, {}
  if limit > 0 and alone then  -- the inbox is the item just accepted (ACCEPT_BEGIN)
    items, order = {alone[1], alone[2], alone[3]}, {alone[4]}
  elseif limit > 0 then
    local ids = redis.call('ZRANGE', P .. 'inbox:' .. conv, 0, limit - 1, 'WITHSCORES')
    if #ids > 0 then
      local names = {}
      for i = 1, #ids, 2 do table.insert(names, ids[i]) end
      local bodies = redis.call('HMGET', P .. 'items', unpack(names))
      for n = 1, #names do
        local body = bodies[n]
        if body then
          table.insert(items, ids[2*n-1]); table.insert(items, ids[2*n]); table.insert(items, body)
          local identity = cjson.decode(body).p
          if not seen[identity] then seen[identity] = true; table.insert(order, identity) end
        end
      end
    end
  end
  -- One MGET: the state and, per identity, who it is (a linked one maps to its person,
  -- core/storage/identities.py), its own profile and that profile's version.
  local keys = {P .. 'state:' .. conv}
  for _, identity in ipairs(order) do
    table.insert(keys, P .. 'ident:' .. identity)
    table.insert(keys, P .. 'profile:' .. identity)
    table.insert(keys, P .. 'pver:' .. identity)
  end
  local got = redis.call('MGET', unpack(keys))
  local profiles, people, linked, done = {}, {}, {}, {}
  for n, identity in ipairs(order) do
    local person = got[3*n-1]
    if person then
      table.insert(people, identity); table.insert(people, person)
      if not done[person] then done[person] = true; table.insert(linked, person) end
    elseif not done[identity] then
      done[identity] = true
      table.insert(profiles, identity); table.insert(profiles, got[3*n] or ''); table.insert(profiles, got[3*n+1] or '0')
    end
  end
  if #linked > 0 then  -- linked people's own profiles: one more MGET
    local more = {}
    for _, person in ipairs(linked) do
      table.insert(more, P .. 'profile:' .. person); table.insert(more, P .. 'pver:' .. person)
    end
    local vals = redis.call('MGET', unpack(more))
    for n, person in ipairs(linked) do
      table.insert(profiles, person); table.insert(profiles, vals[2*n-1] or ''); table.insert(profiles, vals[2*n] or '0')
    end
  end
  return {tostring(token), got[1] or '', items, profiles, people}
end
"""

# KEYS: seen key. ARGV: P, now, ttl, id, conversation, person, accepted_at, body
ACCEPT = (
    _ACCEPT
    + """
return (accept(ARGV[1], KEYS[1], tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4], ARGV[5], ARGV[6], ARGV[7], ARGV[8]))
"""
)

# KEYS: lock. ARGV: P, conversation, now, lease, limit, owner, reclaim
BEGIN = (
    _BEGIN
    + """
return begin(ARGV[1], KEYS[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5]), ARGV[6], ARGV[7])
"""
)

# accept, and if the item is new, begin (with reclaim: the caller holds the conversation's
# in-process lock) in the same round trip. KEYS: seen key, lock. ARGV: P, now, ttl, id,
# conversation, person, accepted_at, body, lease, limit, owner. Returns {0} (a duplicate),
# {1} (new; the lock is held elsewhere) or {1, what begin returns}.
ACCEPT_BEGIN = (
    _ACCEPT
    + _BEGIN
    + """
local P, now = ARGV[1], tonumber(ARGV[2])
local new, alone = accept(P, KEYS[1], now, tonumber(ARGV[3]), ARGV[4], ARGV[5], ARGV[6], ARGV[7], ARGV[8])
if new == 0 then return {0} end
local batch = begin(P, KEYS[2], ARGV[5], now, tonumber(ARGV[9]), tonumber(ARGV[10]), ARGV[11], '1', alone)
if not batch then return {1} end
return {1, batch}
"""
)

# KEYS: lock. ARGV: P, conversation, now, token, done, state, release, lease (0: queue every
# reply), owner, nprofiles, (person, json, expected version or '')*, outbox...
# Returns {new items, leased} or {-1} (lock lost) or {-2} (a profile moved on); ``leased`` is
# {id, token, seq} of the reply stored already leased to the caller, or empty.
COMMIT = (
    _ENQUEUE
    + _INBOX
    + """
local P, conv, now = ARGV[1], ARGV[2], ARGV[3]
local held = redis.call('HMGET', KEYS[1], 't', 'u')
if not held[1] or held[1] ~= ARGV[4] or tonumber(held[2]) <= tonumber(now) then return {-1} end
-- Each profile with the version it was read at ('' = unchecked): one changed since, nothing
-- written. Versions are read in one MGET; state, profiles and versions written in one MSET.
local n = tonumber(ARGV[10])
local writes = {P .. 'state:' .. conv, ARGV[6]}
if n > 0 then
  local keys = {}
  for j = 0, n - 1 do table.insert(keys, P .. 'pver:' .. ARGV[11 + 3*j]) end
  local versions = redis.call('MGET', unpack(keys))
  for j = 0, n - 1 do
    local at = versions[j + 1] or '0'
    if ARGV[13 + 3*j] ~= '' and at ~= ARGV[13 + 3*j] then return {-2} end
    table.insert(writes, P .. 'profile:' .. ARGV[11 + 3*j]); table.insert(writes, ARGV[12 + 3*j])
    table.insert(writes, P .. 'pver:' .. ARGV[11 + 3*j]); table.insert(writes, tostring(tonumber(at) + 1))
  end
end
redis.call('MSET', unpack(writes))
if ARGV[7] == '1' then
  redis.call('DEL', KEYS[1])
  redis.call('HDEL', P .. 'lockowner', conv)
end
for j = 0, n - 1 do redis.call('SADD', P .. 'links:' .. ARGV[11 + 3*j], conv) end
local lease = tonumber(ARGV[8])
if lease <= 0 then lease = nil end
local new, leased = enqueue_all(P, ARGV, 11 + 3*n, now, lease, ARGV[9])
if ARGV[5] ~= '' then drop_inbox(P, conv, ARGV[5]) end
return {new, leased}
"""
)

# KEYS: lock, lock owner index. ARGV: token, conversation
RELEASE = """
if redis.call('HGET', KEYS[1], 't') == ARGV[1] then
  redis.call('HDEL', KEYS[2], ARGV[2])
  return redis.call('DEL', KEYS[1])
end
return 0
"""

# ARGV: P, now, dead owner* . Frees their locks (if still theirs) and makes their outbox leases
# claimable now (the next claim hands out a new token); drops their index entries.
RECOVER = """
local P, now = ARGV[1], ARGV[2]
local dead, freed = {}, 0
for i = 3, #ARGV do dead[ARGV[i]] = true end
local locks = redis.call('HGETALL', P .. 'lockowner')
for i = 1, #locks, 2 do
  if dead[locks[i+1]] then
    local k = P .. 'lock:' .. locks[i]
    if redis.call('HGET', k, 'o') == locks[i+1] then freed = freed + redis.call('DEL', k) end
    redis.call('HDEL', P .. 'lockowner', locks[i])
  end
end
local leased = redis.call('HGETALL', P .. 'oleased')
for i = 1, #leased, 2 do
  if dead[leased[i+1]] then
    local k = P .. 'o:' .. leased[i]
    local f = redis.call('HMGET', k, 'status', 'owner', 'akey')
    if f[1] == 'sending' and f[2] == leased[i+1] then
      redis.call('HSET', k, 'lease', now)
      redis.call('ZADD', P .. 'ready', now, f[3])
      freed = freed + 1
    end
    redis.call('HDEL', P .. 'oleased', leased[i])
  end
end
return freed
"""

# KV values are hashes {v, u}: u is the expiry on the caller's clock ('' = none).
# KEYS: key. ARGV: value, until ('' for none), ttl_ms (0 for none), now, only_if_absent
KV_SET = """
if ARGV[5] == '1' then
  local u = redis.call('HMGET', KEYS[1], 'v', 'u')
  if u[1] and (u[2] == '' or not u[2] or tonumber(u[2]) > tonumber(ARGV[4])) then return 0 end
end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'v', ARGV[1], 'u', ARGV[2])
if tonumber(ARGV[3]) > 0 then redis.call('PEXPIRE', KEYS[1], ARGV[3]) end
return 1
"""

# ARGV: P, person
ERASE = (
    _ENQUEUE
    + _DROP
    + _INBOX
    + """
local P, person = ARGV[1], ARGV[2]
local removed = redis.call('DEL', P .. 'profile:' .. person)
redis.call('DEL', P .. 'pver:' .. person)  -- nothing keeps their id (erase waits for their turns)
-- Its identities are their own again (core/storage/identities.py).
for _, identity in ipairs(redis.call('SMEMBERS', P .. 'idents:' .. person)) do
  redis.call('DEL', P .. 'ident:' .. identity)
end
redis.call('DEL', P .. 'idents:' .. person)
local owner = redis.call('GET', P .. 'ident:' .. person)
if owner then
  redis.call('SREM', P .. 'idents:' .. owner, person)
  redis.call('DEL', P .. 'ident:' .. person)
end
for _, conv in ipairs(redis.call('SMEMBERS', P .. 'links:' .. person)) do
  removed = removed + redis.call('DEL', P .. 'state:' .. conv)
end
redis.call('DEL', P .. 'links:' .. person)
for _, id in ipairs(redis.call('SMEMBERS', P .. 'pout:' .. person)) do
  removed = removed + drop_outbox(P, id)
end
redis.call('DEL', P .. 'pout:' .. person)
for _, id in ipairs(redis.call('SMEMBERS', P .. 'pin:' .. person)) do
  local body = redis.call('HGET', P .. 'items', id)
  if body then removed = removed + drop_inbox(P, cjson.decode(body).c, id) end
end
redis.call('DEL', P .. 'pin:' .. person)
return removed
"""
)

# ARGV: P, change (JSON: moves, profiles, expect, owners, conversations as [key, value] pairs, conversations as
# [conversation, from, to];
# profile bodies are JSON strings, null deletes). All checks first: a false one writes nothing.
RELINK = """
local P = ARGV[1]
local c = cjson.decode(ARGV[2])
for _, e in ipairs(c.expect) do
  if tonumber(redis.call('GET', P .. 'pver:' .. e[1]) or '0') ~= e[2] then return 0 end
end
for _, o in ipairs(c.owners) do
  if (redis.call('GET', P .. 'ident:' .. o[1]) or o[1]) ~= o[2] then return 0 end
end
for _, m in ipairs(c.moves) do
  local old = redis.call('GET', P .. 'ident:' .. m[1])
  if old then redis.call('SREM', P .. 'idents:' .. old, m[1]) end
  if m[2] == '' then
    redis.call('DEL', P .. 'ident:' .. m[1])
  else
    redis.call('SET', P .. 'ident:' .. m[1], m[2])
    redis.call('SADD', P .. 'idents:' .. m[2], m[1])
  end
end
for _, p in ipairs(c.profiles) do
  if p[2] == cjson.null then
    redis.call('DEL', P .. 'profile:' .. p[1])
  else
    redis.call('SET', P .. 'profile:' .. p[1], p[2])
  end
  redis.call('INCR', P .. 'pver:' .. p[1])
end
for _, v in ipairs(c.conversations) do
  redis.call('SREM', P .. 'links:' .. v[2], v[1])
  redis.call('SADD', P .. 'links:' .. v[3], v[1])
end
return 1
"""
