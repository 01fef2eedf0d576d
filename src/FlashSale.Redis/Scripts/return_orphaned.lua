-- Gives back stock and quota the gate deducted with no intent behind them (found by reconciliation), only if
-- the gate still reads exactly what the reconciliation read: a decision in between leaves everything as it is.
-- KEYS: 1 meta, 2 users
-- ARGV: 1 expected remaining, 2 units of stock to give back, then triples userId, expected total, units of quota
-- Returns 1 when applied, 0 when the gate changed since it was read.
if tonumber(redis.call('HGET', KEYS[1], 'remaining') or '-1') ~= tonumber(ARGV[1]) then return 0 end
for i = 3, #ARGV, 3 do
  if tonumber(redis.call('HGET', KEYS[2], ARGV[i]) or '0') ~= tonumber(ARGV[i + 1]) then return 0 end
end
local units = tonumber(ARGV[2])
if units > 0 then redis.call('HINCRBY', KEYS[1], 'remaining', units) end
for i = 3, #ARGV, 3 do
  if redis.call('HINCRBY', KEYS[2], ARGV[i], -tonumber(ARGV[i + 2])) <= 0 then redis.call('HDEL', KEYS[2], ARGV[i]) end
end
return 1
