-- One step of a gate (re)build, only while the sale is not live and this rebuilder holds the lock.
-- KEYS: 1 meta, 2 rebuild lock, then the keys the step touches
-- ARGV: 1 lock token, 2 step: 'reset' (delete KEYS[3..]), 'hset' (KEYS[3], then field/value pairs),
--       'sadd' (KEYS[3], then members)
if redis.call('EXISTS', KEYS[1]) == 1 then return redis.error_reply('REBUILDLOST the sale is live already') end
if redis.call('GET', KEYS[2]) ~= ARGV[1] then return redis.error_reply('REBUILDLOST the rebuild lock expired') end
local step = ARGV[2]
if step == 'reset' then
  for i = 3, #KEYS do redis.call('DEL', KEYS[i]) end
elseif step == 'hset' then
  for i = 3, #ARGV, 2 do redis.call('HSET', KEYS[3], ARGV[i], ARGV[i + 1]) end
elseif step == 'sadd' then
  for i = 3, #ARGV do redis.call('SADD', KEYS[3], ARGV[i]) end
end
return 1
