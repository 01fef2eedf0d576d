-- The relay's read of one sale's ledger: entries a crashed reader left unacknowledged first, then new ones.
-- KEYS: 1 ledger; ARGV: 1 group, 2 reader name, 3 count, 4 idle ms after which an entry is taken over
-- A missing ledger is never created here: its absence is how a gate that lost its state knows the intents
-- not yet persisted may be gone too (preheat.lua creates the stream and its group when a sale is loaded).
if redis.call('EXISTS', KEYS[1]) == 0 then return {} end
pcall(redis.call, 'XGROUP', 'CREATE', KEYS[1], ARGV[1], '0')
local claimed = redis.call('XAUTOCLAIM', KEYS[1], ARGV[1], ARGV[2], ARGV[4], '0-0', 'COUNT', ARGV[3])
if #claimed[2] > 0 then return claimed[2] end
local fresh = redis.call('XREADGROUP', 'GROUP', ARGV[1], ARGV[2], 'COUNT', ARGV[3], 'STREAMS', KEYS[1], '>')
if fresh then return fresh[1][2] end
return {}
