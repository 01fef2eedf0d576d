-- Drops the blacklist entries past their expiry, so the hash holds what an admin added lately, not every entry ever.
-- KEYS: 1 the blacklist hash (field kind:value -> {"expiresAtMs":…,"reason":…}); ARGV: 1 now, unix ms. Returns the number dropped.
local now, dropped = tonumber(ARGV[1]), 0
local all = redis.call('HGETALL', KEYS[1])
for i = 1, #all, 2 do
  local ok, entry = pcall(cjson.decode, all[i + 1])
  if ok and type(entry) == 'table' and type(entry.expiresAtMs) == 'number' and entry.expiresAtMs <= now then
    redis.call('HDEL', KEYS[1], all[i])
    dropped = dropped + 1
  end
end
return dropped
