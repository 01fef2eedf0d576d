-- Gives a worker id lease back on a clean stop, if this process still holds it.
-- KEYS: 1 lease key; ARGV: 1 this process's token
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
