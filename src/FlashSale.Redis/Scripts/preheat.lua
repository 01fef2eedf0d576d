-- Makes a sale live in the gate, once: live state is never overwritten. Runs last in a (re)build, after
-- restore.lua wrote the sale's users, requests, orders and failed keys under the same rebuild lock.
-- KEYS: 1 meta, 2 ledger, 3 rebuild lock, 4 users, 5 requests, 6 orders, 7 failed
-- ARGV: 1 remaining, 2 limit, 3 starts (ms), 4 ends (ms), 5 stock, 6 accepted, 7 failed units, 8 relay group,
--       9 expires (ms: the keys' deadline, a retention period after the end), 10 lock token
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
if redis.call('GET', KEYS[3]) ~= ARGV[10] then return redis.error_reply('REBUILDLOST the rebuild lock expired') end
redis.call('HSET', KEYS[1], 'remaining', ARGV[1], 'limit', ARGV[2], 'starts', ARGV[3], 'ends', ARGV[4],
  'stock', ARGV[5], 'accepted', ARGV[6], 'failed', ARGV[7], 'expires', ARGV[9])
-- The relay's consumer group reads the ledger from its very first entry.
pcall(redis.call, 'XGROUP', 'CREATE', KEYS[2], ARGV[8], '0', 'MKSTREAM')
for i = 1, 7 do
  if i ~= 2 and i ~= 3 then redis.call('PEXPIREAT', KEYS[i], ARGV[9]) end
end
return 1
