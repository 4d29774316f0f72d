"""The one-time move of a deployment's data from the key-per-structure layout (before the
conversation hash, redis_lua.py) to the current one, run by ``RedisStore.open``.

Before, a conversation was ``lock:<c>`` (hash t/u/o), ``state:<c>`` (string) and ``inbox:<c>``
(a ZSET of ids whose bodies were in the ``items`` hash), with ``lockowner`` (conversation ->
owner), ``pin:<person>`` (a person's inbox ids), and the ``tokens`` and ``seq`` counters. Each
conversation moves in one script (atomic and idempotent: two processes starting at once may
both run it, the second finds nothing left to move); ``layout`` records that it is done, so a
start after it costs one GET. The outbox keys, ``pending``, profiles and links are unchanged.
Stop every process of the old version before starting the new one: a write the old code makes
after the move is not read.
"""

from __future__ import annotations

import logging
from typing import Any

log = logging.getLogger("parley.redis")

LAYOUT = "2"  # the conversation hash
BATCH = 200

# ARGV: P, now, conversation*. Merges each conversation's old keys into its hash (what the hash
# already has wins: it is newer) and deletes them; the inbox keeps its order; every author is
# linked to the conversation (erasure finds their waiting messages that way now, not by pin:).
MIGRATE = """
local function esc(s)
  return (string.gsub(string.gsub(string.gsub(s, '%%', '%%25'), '\\t', '%%09'), '\\n', '%%0A'))
end
local P, now, moved = ARGV[1], tonumber(ARGV[2]), 0
for i = 3, #ARGV do
  local conv = ARGV[i]
  local ck, lk, sk, ik = P .. 'c:' .. conv, P .. 'lock:' .. conv, P .. 'state:' .. conv, P .. 'inbox:' .. conv
  local h = redis.call('HMGET', ck, 't', 's', 'q')
  local writes = {}
  local lock = redis.call('HMGET', lk, 't', 'u', 'o')
  if lock[1] and not h[1] then
    for _, v in ipairs({'t', lock[1], 'u', lock[2] or '0', 'o', lock[3] or ''}) do table.insert(writes, v) end
    if tonumber(lock[2] or '0') > now then redis.call('ZADD', P .. 'pending', 'NX', ARGV[2], conv) end
  end
  local state = redis.call('GET', sk)
  if state and not h[2] then table.insert(writes, 's'); table.insert(writes, state) end
  local q = h[3] or ''
  local old = q
  for _, id in ipairs(redis.call('ZRANGE', ik, 0, -1)) do
    local body = redis.call('HGET', P .. 'items', id)
    if body then
      local b = cjson.decode(body)
      local qid = esc(id)
      if not string.find(q, '\\n' .. qid .. '\\t', 1, true) then
        q = q .. '\\n' .. qid .. '\\t' .. string.format('%.17g', b.a) .. '\\t' .. esc(b.p) .. '\\t' .. body
      end
      redis.call('SADD', P .. 'links:' .. b.p, conv)
      redis.call('HDEL', P .. 'items', id)
    end
  end
  if q ~= old then table.insert(writes, 'q'); table.insert(writes, q) end
  if #writes > 0 then
    redis.call('HSET', ck, unpack(writes))
    moved = moved + 1
  end
  redis.call('DEL', lk, sk, ik)
  redis.call('HDEL', P .. 'lockowner', conv)
end
return moved
"""

OLD = ("lock:", "state:", "inbox:")


async def migrate(store: Any) -> int:
    """Move the old layout's conversations, if any are left; returns how many moved."""
    p = store.p
    if await store._up(store.r.get(f"{p}layout")) == LAYOUT:
        return 0
    script = store.r.register_script(MIGRATE)
    moved = 0
    async for keys in store._scan("*"):  # one pass over the deployment's keys
        names = [k.removeprefix(p) for k in keys]
        convs = sorted({n.split(":", 1)[1] for n in names if n.startswith(OLD)})
        for start in range(0, len(convs), BATCH):
            moved += int(await store._up(script(args=[p, store.clock(), *convs[start : start + BATCH]])))
        # What the old layout kept beside: a person's inbox index, now unused.
        pins = [k for k, n in zip(keys, names, strict=True) if n.startswith("pin:")]
        if pins:
            await store._up(store.r.delete(*pins))
    # ``tokens`` stays: new conversation counters start above it (redis_lua_outbox.py, _COUNTER).
    await store._up(store.r.delete(f"{p}lockowner", f"{p}items", f"{p}seq"))
    await store._up(store.r.set(f"{p}layout", LAYOUT))
    if moved:
        log.info("moved conversations to the conversation hash layout", extra={"conversations": moved})
    return moved
