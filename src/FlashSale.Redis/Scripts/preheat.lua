-- Loads a sale into the gate, once: live state is never overwritten.
-- KEYS: 1 meta, 2 users, 3 ledger
-- ARGV: 1 remaining, 2 limit, 3 starts (ms), 4 ends (ms), 5 stock, 6 accepted, 7 relay group, then pairs userId, units
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'remaining', ARGV[1], 'limit', ARGV[2], 'starts', ARGV[3], 'ends', ARGV[4],
  'stock', ARGV[5], 'accepted', ARGV[6], 'failed', 0)
for i = 8, #ARGV, 2 do
  redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 1])
end
-- The relay's consumer group reads the ledger from its very first entry.
pcall(redis.call, 'XGROUP', 'CREATE', KEYS[3], ARGV[7], '0', 'MKSTREAM')
return 1
