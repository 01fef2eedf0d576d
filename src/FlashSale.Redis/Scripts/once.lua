-- Single use: the first owner takes the key until it expires; the same owner may use it again.
-- KEYS: 1 key; ARGV: 1 owner, 2 lifetime ms. Returns 1 when the caller owns the key.
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end
if redis.call('GET', KEYS[1]) == ARGV[1] then return 1 end
return 0
