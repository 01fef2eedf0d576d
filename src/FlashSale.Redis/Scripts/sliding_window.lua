-- An exact sliding-window limit for one key (a user or an IP), shared by every API process.
-- KEYS: 1 the key's log (sorted set of hit times); ARGV: 1 limit, 2 window ms, 3 a unique member suffix
-- Returns {allowed (1|0), hits in the window, ms until the oldest hit leaves the window when refused}
local limit, window = tonumber(ARGV[1]), tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local count = redis.call('ZCARD', KEYS[1])
if count >= limit then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return { 0, count, tonumber(oldest[2]) + window - now }
end
redis.call('ZADD', KEYS[1], now, now .. ':' .. ARGV[3])
redis.call('PEXPIRE', KEYS[1], window)
return { 1, count + 1, 0 }
