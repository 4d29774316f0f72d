"""The Lua scripts behind RedisStore's turn: each hot-path call is one script, so one round trip.

Every key lives under one hash tag (``{parley}:...``), so every script touches a single slot (the
rule Redis Cluster sets for scripts). Times come in as arguments from the caller's clock
(the same clock the memory and SQLite stores use); Redis' own expiry (PX) only garbage-collects.
Numbers cross the Lua boundary as strings: Lua reply conversion would truncate floats, and a
deadline the caller formats is one the server does not have to.

A conversation is one hash, ``c:<conversation>`` (docs/scale-out.md, "Key layout"):

- ``t``, ``u``, ``o``: the lock's fencing token, its deadline ('0' once released) and its owner;
- ``k``: the conversation's counter (lock tokens, and the order of its address's outbox queue),
  started at the caller's clock in milliseconds, so a hash deleted by an erasure and made again
  never hands out a token an older holder had;
- ``s``: the state (an opaque JSON blob: never decoded here);
- ``q``: the inbox, oldest first, each entry ``\\n<id>\\t<accepted_at>\\t<person>\\t<body>``
  (ids and persons escaped by the caller: no tab, no newline; the body is JSON, which has none);
- ``L``: the people already in ``links:<person>`` for it, so a turn adds a link only once.

``pending`` (a ZSET: conversation -> when its oldest inbox entry came) holds every conversation
with an inbox entry or a held lock: the sweeper reads it, and RECOVER finds dead owners' locks
in it, so no lock owner index moves on every turn.
"""

from __future__ import annotations

from parley.core.storage.redis_lua_outbox import _COUNTER, _ENQUEUE


def escape(text: str) -> str:
    """An id or a person as an inbox entry holds it: no tab, no newline (the entry's separators)."""
    return text.replace("%", "%25").replace("\t", "%09").replace("\n", "%0A")


def unescape(text: str) -> str:
    return text.replace("%0A", "\n").replace("%09", "\t").replace("%25", "%") if "%" in text else text


# Shared helpers: the inbox field ``q`` and the links (after _COUNTER).
_CONV = (
    _COUNTER
    + """
local function qfind(q, id) return string.find(q, '\\n' .. id .. '\\t', 1, true) end
local function qcut(q, at)  -- q without the entry that starts at ``at``
  local stop = string.find(q, '\\n', at + 1, true)
  if stop then return string.sub(q, 1, at - 1) .. string.sub(q, stop) end
  return string.sub(q, 1, at - 1)
end
local function qhead(q) return string.match(q, '^\\n[^\\t]*\\t([^\\t]*)') end
local function unescape(s)
  if not string.find(s, '%', 1, true) then return s end
  return (string.gsub(string.gsub(string.gsub(s, '%%0A', '\\n'), '%%09', '\\t'), '%%25', '%%'))
end
local function linked(L, who) return L and string.find(L, '\\n' .. who .. '\\n', 1, true) end
-- Adds ``who`` (escaped) to links:<person> once per conversation; returns the new ``L`` or nil.
local function link(P, conv, L, who)
  if linked(L, who) then return nil end
  redis.call('SADD', P .. 'links:' .. unescape(who), conv)
  return (L or '\\n') .. who .. '\\n'
end
"""
)

# What a batch hands back: the first ``limit`` inbox entries, the state, and per author who it
# is (a linked identity maps to its person, core/storage/identities.py), its profile and that
# profile's version: one MGET, and one more for linked people's own profiles.
_LOAD = """
local function load(P, q, limit, state, token)
  local entries, order, seen, n, pos = {}, {}, {}, 0, 1
  while n < limit and pos <= #q do
    local stop = (string.find(q, '\\n', pos + 1, true) or (#q + 1)) - 1
    local entry = string.sub(q, pos, stop)
    table.insert(entries, entry)
    local who = string.match(entry, '^\\n[^\\t]*\\t[^\\t]*\\t([^\\t]*)')
    if not seen[who] then seen[who] = true; table.insert(order, unescape(who)) end
    n, pos = n + 1, stop + 1
  end
  local profiles, people = {}, {}
  if #order > 0 then
    local keys = {}
    for _, identity in ipairs(order) do
      table.insert(keys, P .. 'ident:' .. identity)
      table.insert(keys, P .. 'profile:' .. identity)
      table.insert(keys, P .. 'pver:' .. identity)
    end
    local got = redis.call('MGET', unpack(keys))
    local linked_people, done = {}, {}
    for i, identity in ipairs(order) do
      local person = got[3*i-2]
      if person then
        table.insert(people, identity); table.insert(people, person)
        if not done[person] then done[person] = true; table.insert(linked_people, person) end
      elseif not done[identity] then
        done[identity] = true
        table.insert(profiles, identity); table.insert(profiles, got[3*i-1] or ''); table.insert(profiles, got[3*i] or '0')
      end
    end
    if #linked_people > 0 then
      local more = {}
      for _, person in ipairs(linked_people) do
        table.insert(more, P .. 'profile:' .. person); table.insert(more, P .. 'pver:' .. person)
      end
      local vals = redis.call('MGET', unpack(more))
      for i, person in ipairs(linked_people) do
        table.insert(profiles, person); table.insert(profiles, vals[2*i-1] or ''); table.insert(profiles, vals[2*i] or '0')
      end
    end
  end
  return {token, state or '', table.concat(entries), profiles, people}
end
"""

# The lock, if free, expired, or (``reclaim`` '1') held under this very owner: an orphan the
# caller may take (Store.begin). ``h``: HMGET t u o k. Returns the new token, or nil if held.
_TAKE = """
local function take(P, h, now, owner, reclaim)
  local orphan = reclaim == '1' and owner ~= '' and h[3] == owner
  if h[1] and h[2] and tonumber(h[2]) > now and not orphan then return nil end
  return bump(P, h[4], now)
end
"""

# KEYS: conversation hash, seen key. ARGV: P, conversation, now, ttl, id (escaped), person
# (escaped), accepted_at, body, begin ('1' to begin too), until (now + lease), limit, owner.
# accept: ``seen`` holds the dedupe mark's expiry on the caller's clock (PX only collects it);
# SET NX is the whole check unless a mark exists, which is then compared with ``now``.
# Returns {0} (a duplicate), {1} (new; not begun, or the lock is held elsewhere) or {1, batch}.
ACCEPT = (
    _CONV
    + _LOAD
    + _TAKE
    + """
local P, conv, now, ttl = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
local id, who, at = ARGV[5], ARGV[6], ARGV[7]
local mark, px = tostring(now + ttl), math.ceil(ttl * 1000)
if not redis.call('SET', KEYS[2], mark, 'NX', 'PX', px) then
  if tonumber(redis.call('GET', KEYS[2])) > now then return {0} end
  redis.call('SET', KEYS[2], mark, 'PX', px)
end
local h = redis.call('HMGET', KEYS[1], 't', 'u', 'o', 'k', 'q', 's', 'L')
local q = h[5] or ''
if qfind(q, id) then return {1} end  -- still waiting in the inbox (its mark had expired)
q = q .. '\\n' .. id .. '\\t' .. at .. '\\t' .. who .. '\\t' .. ARGV[8]
local writes = {'q', q}
local L = link(P, conv, h[7], who)  -- erasure finds the conversation through the link
if L then table.insert(writes, 'L'); table.insert(writes, L) end
redis.call('ZADD', P .. 'pending', 'NX', at, conv)
local token = ARGV[9] == '1' and take(P, h, now, ARGV[12], '1')
if not token then
  redis.call('HSET', KEYS[1], unpack(writes))
  return {1}
end
for _, v in ipairs({'t', token, 'u', ARGV[10], 'o', ARGV[12], 'k', token}) do table.insert(writes, v) end
redis.call('HSET', KEYS[1], unpack(writes))
return {1, load(P, q, tonumber(ARGV[11]), h[6], token)}
"""
)

# KEYS: conversation hash. ARGV: P, conversation, now, until, limit, owner, reclaim.
# Returns false if held, else {token, state, entries, profiles, people}.
BEGIN = (
    _CONV
    + _LOAD
    + _TAKE
    + """
local P, conv, now = ARGV[1], ARGV[2], tonumber(ARGV[3])
local h = redis.call('HMGET', KEYS[1], 't', 'u', 'o', 'k', 'q', 's')
local token = take(P, h, now, ARGV[6], ARGV[7])
if not token then return false end
redis.call('HSET', KEYS[1], 't', token, 'u', ARGV[4], 'o', ARGV[6], 'k', token)
redis.call('ZADD', P .. 'pending', 'NX', ARGV[3], conv)  -- the lock is indexed, for RECOVER
return load(P, h[5] or '', tonumber(ARGV[5]), h[6], token)
"""
)

# KEYS: conversation hash. ARGV: P, conversation, now, token, done (escaped id or ''), state,
# release, lease (0: queue every reply), owner, nprofiles, (person, escaped person, json,
# expected version or '')*, outbox... Returns {new items, leased} or {-1} (lock lost) or {-2}
# (a profile moved on); ``leased`` is {id, token, seq} of the reply stored already leased to
# the caller, or empty.
COMMIT = (
    _CONV
    + _ENQUEUE
    + """
local P, conv, now = ARGV[1], ARGV[2], ARGV[3]
local h = redis.call('HMGET', KEYS[1], 't', 'u', 'q', 'L', 'k')
if not h[1] or h[1] ~= ARGV[4] or tonumber(h[2]) <= tonumber(now) then return {-1} end
-- Each profile with the version it was read at ('' = unchecked): one changed since, nothing
-- written. Versions are read in one MGET; profiles and versions written in one MSET.
local n = tonumber(ARGV[10])
if n > 0 then
  local keys, writes = {}, {}
  for j = 0, n - 1 do table.insert(keys, P .. 'pver:' .. ARGV[11 + 4*j]) end
  local versions = redis.call('MGET', unpack(keys))
  for j = 0, n - 1 do
    local at = versions[j + 1] or '0'
    if ARGV[14 + 4*j] ~= '' and at ~= ARGV[14 + 4*j] then return {-2} end
    table.insert(writes, P .. 'profile:' .. ARGV[11 + 4*j]); table.insert(writes, ARGV[13 + 4*j])
    table.insert(writes, P .. 'pver:' .. ARGV[11 + 4*j]); table.insert(writes, tostring(tonumber(at) + 1))
  end
  redis.call('MSET', unpack(writes))
end
local writes, q, L = {'s', ARGV[6]}, h[3] or '', h[4]
local head = qhead(q)
if ARGV[5] ~= '' then
  local at = qfind(q, ARGV[5])
  if at then q = qcut(q, at); table.insert(writes, 'q'); table.insert(writes, q) end
end
if ARGV[7] == '1' then table.insert(writes, 'u'); table.insert(writes, '0') end
for j = 0, n - 1 do L = link(P, conv, L, ARGV[12 + 4*j]) or L end
if L ~= h[4] then table.insert(writes, 'L'); table.insert(writes, L) end
local lease = tonumber(ARGV[8])
if lease <= 0 then lease = nil end
-- This conversation's replies take their order from its counter, written in the same HSET.
local k = {conv = conv, value = h[5]}
local new, leased = enqueue_all(P, ARGV, 11 + 4*n, now, lease, ARGV[9], k)
if k.value ~= h[5] then table.insert(writes, 'k'); table.insert(writes, k.value) end
redis.call('HSET', KEYS[1], unpack(writes))
if q ~= '' then
  local first = qhead(q)
  if first ~= head then redis.call('ZADD', P .. 'pending', first, conv) end
elseif ARGV[7] == '1' then
  redis.call('ZREM', P .. 'pending', conv)
end
return {new, leased}
"""
)

# KEYS: conversation hash. ARGV: P, token, conversation. A hash left with no state and no inbox
# holds nothing but a free lock: it goes (no key keeps the conversation's name after an erasure).
RELEASE = (
    _COUNTER
    + """
local h = redis.call('HMGET', KEYS[1], 't', 'u', 'q', 's', 'k')
if h[1] ~= ARGV[2] or h[2] == '0' then return 0 end
if not h[3] or h[3] == '' then
  redis.call('ZREM', ARGV[1] .. 'pending', ARGV[3])
  if not h[4] then
    retire(ARGV[1], h[5])
    redis.call('DEL', KEYS[1])
    return 1
  end
end
redis.call('HSET', KEYS[1], 'u', '0')
return 1
"""
)

# ARGV: P, now, dead owner* . Frees their locks (if still theirs) and makes their outbox leases
# claimable now (the next claim hands out a new token); drops their index entries. Locks are
# found through ``pending`` (every held lock is in it).
RECOVER = """
local P, now = ARGV[1], ARGV[2]
local dead, freed = {}, 0
for i = 3, #ARGV do dead[ARGV[i]] = true end
for _, conv in ipairs(redis.call('ZRANGE', P .. 'pending', 0, -1)) do
  local k = P .. 'c:' .. conv
  local h = redis.call('HMGET', k, 'o', 'u', 'q')
  if h[1] and dead[h[1]] and h[2] and h[2] ~= '0' then
    redis.call('HSET', k, 'u', '0')
    if not h[3] or h[3] == '' then redis.call('ZREM', P .. 'pending', conv) end
    freed = freed + 1
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
