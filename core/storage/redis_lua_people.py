"""The Lua scripts behind RedisStore's keys, people and erasure (see redis_lua.py for the
conventions and the conversation hash)."""

from __future__ import annotations

from parley.core.storage.redis_lua import _CONV
from parley.core.storage.redis_lua_outbox import _DROP, _ENQUEUE

# Inbox entries of a conversation that go (an erasure, a forgotten mention): ``gone(entry)``
# says which. Keeps ``pending`` right (the new head's time; out when nothing is left and the
# lock is free) and deletes a hash left with nothing but a free lock and its counter, so no key
# keeps the conversation's name (the counter starts again above every token it gave: _COUNTER).
_DROP_ENTRIES = """
local function drop_entries(P, conv, now, gone, forget)
  local k = P .. 'c:' .. conv
  local h = redis.call('HMGET', k, 'q', 'u', 's', 'k')
  local q, kept, removed = h[1] or '', {}, 0
  for entry in string.gmatch(q, '\\n[^\\n]*') do
    if gone(entry) then removed = removed + 1 else table.insert(kept, entry) end
  end
  local rest = table.concat(kept)
  local free = not h[2] or tonumber(h[2]) <= tonumber(now)
  if forget then
    if h[3] then removed = removed + 1 end
    if rest == '' and free then
      retire(P, h[4])
      redis.call('DEL', k)
      redis.call('ZREM', P .. 'pending', conv)
      return removed
    end
    redis.call('HDEL', k, 's', 'L')  -- L names who was linked: asked again at the next turn
  end
  if removed > 0 or rest ~= q then
    if rest ~= q then redis.call('HSET', k, 'q', rest) end
    if rest ~= '' then
      redis.call('ZADD', P .. 'pending', qhead(rest), conv)
    elseif free then
      redis.call('ZREM', P .. 'pending', conv)
    end
  end
  return removed
end
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

# ARGV: P, person, the person escaped as inbox entries hold it, now
ERASE = (
    _CONV
    + _ENQUEUE
    + _DROP
    + _DROP_ENTRIES
    + """
local P, person, who, now = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
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
-- Their conversations' states and their own inbox entries (others' stay).
local function theirs(entry)
  local _, stop = string.find(entry, '^\\n[^\\t]*\\t[^\\t]*\\t')
  return string.sub(entry, stop + 1, stop + #who + 1) == who .. '\\t'
end
for _, conv in ipairs(redis.call('SMEMBERS', P .. 'links:' .. person)) do
  removed = removed + drop_entries(P, conv, now, theirs, true)
end
redis.call('DEL', P .. 'links:' .. person)
for _, id in ipairs(redis.call('SMEMBERS', P .. 'pout:' .. person)) do
  removed = removed + drop_outbox(P, id)
end
redis.call('DEL', P .. 'pout:' .. person)
return removed
"""
)

# ARGV: P, now, (conversation, escaped inbox id)*: those inbox entries go (forget_mentions).
DROP_INBOX = (
    _CONV
    + _DROP_ENTRIES
    + """
local P, now, removed = ARGV[1], ARGV[2], 0
for i = 3, #ARGV, 2 do
  local id = '\\n' .. ARGV[i+1] .. '\\t'
  local function named(entry) return string.sub(entry, 1, #id) == id end
  removed = removed + drop_entries(P, ARGV[i], now, named, false)
end
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
  redis.call('HDEL', P .. 'c:' .. v[1], 'L')  -- who is linked to it: asked again at its next turn
end
return 1
"""
