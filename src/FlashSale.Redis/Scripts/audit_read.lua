-- Reconciliation's read of one sale: the gate's counters, intents and returns and where the ledger stands,
-- all in one atomic step so that no decision falls between them. Reads only.
-- KEYS: 1 meta, 2 users, 3 orders, 4 failed, 5 ledger; ARGV: 1 relay group
-- Returns {remaining|false, users (user, units, ...), orders (orderId, json, ...), failed ids,
--          ledger (entryId, orderId, ...), pending entry ids, last entry id delivered to the group|false}
local remaining = redis.call('HGET', KEYS[1], 'remaining')
if not remaining then return { false, {}, {}, {}, {}, {}, false } end

local ledger = {}
for _, entry in ipairs(redis.call('XRANGE', KEYS[5], '-', '+')) do
  local fields, orderId = entry[2], '0'
  for i = 1, #fields, 2 do
    if fields[i] == 'o' then orderId = fields[i + 1] end
  end
  ledger[#ledger + 1] = entry[1]
  ledger[#ledger + 1] = orderId
end

local pending, delivered = {}, false
local ok, groups = pcall(redis.call, 'XINFO', 'GROUPS', KEYS[5])
if ok then
  for _, group in ipairs(groups) do
    local name, last
    for i = 1, #group, 2 do
      if group[i] == 'name' then name = group[i + 1] end
      if group[i] == 'last-delivered-id' then last = group[i + 1] end
    end
    if name == ARGV[1] then
      delivered = last
      for _, p in ipairs(redis.call('XPENDING', KEYS[5], ARGV[1], '-', '+', 1000000)) do pending[#pending + 1] = p[1] end
    end
  end
end

return { remaining, redis.call('HGETALL', KEYS[2]), redis.call('HGETALL', KEYS[3]), redis.call('SMEMBERS', KEYS[4]), ledger, pending, delivered }
