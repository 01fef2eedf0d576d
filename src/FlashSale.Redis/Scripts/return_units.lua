-- Gives a failed or cancelled order's units and the user's quota back to the gate, at most once per order.
-- KEYS: 1 meta, 2 users, 3 returned (set of order ids)
-- ARGV: 1 orderId, 2 userId, 3 quantity
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
if redis.call('SADD', KEYS[3], ARGV[1]) == 0 then return 0 end
local quantity = tonumber(ARGV[3])
redis.call('HINCRBY', KEYS[1], 'remaining', quantity)
redis.call('HINCRBY', KEYS[1], 'failed', quantity)
if redis.call('HINCRBY', KEYS[2], ARGV[2], -quantity) <= 0 then redis.call('HDEL', KEYS[2], ARGV[2]) end
local expires = redis.call('HGET', KEYS[1], 'expires')
if expires then redis.call('PEXPIREAT', KEYS[3], expires) end
return 1
