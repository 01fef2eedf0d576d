-- Stops watching a sale whose ledger has nothing left to do: ended (plus grace), every entry relayed and,
-- once trimmed, persisted. The empty ledger goes too. (After the end the gate accepts nothing more.)
-- KEYS: 1 ledger, 2 meta, 3 watched sales; ARGV: 1 group, 2 grace ms after the end, 3 sale id
local ends = tonumber(redis.call('HGET', KEYS[2], 'ends') or '0')
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if now <= ends + tonumber(ARGV[2]) then return 0 end
if redis.call('EXISTS', KEYS[1]) == 1 then
  if redis.call('XLEN', KEYS[1]) > 0 then return 0 end
  local ok, pending = pcall(redis.call, 'XPENDING', KEYS[1], ARGV[1])
  if ok and pending[1] > 0 then return 0 end
  redis.call('DEL', KEYS[1])
end
redis.call('SREM', KEYS[3], ARGV[3])
return 1
