-- Distinct members seen for a key within a window (devices per user, users per IP).
-- KEYS: 1 sorted set member -> last seen; ARGV: 1 member ('' = only count), 2 window ms. Returns the count.
local window = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if ARGV[1] ~= '' then
  redis.call('ZADD', KEYS[1], now, ARGV[1])
  redis.call('PEXPIRE', KEYS[1], window)
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
return redis.call('ZCARD', KEYS[1])
