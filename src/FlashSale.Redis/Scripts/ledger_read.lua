-- The relay's read of one sale's ledger: entries a crashed reader left unacknowledged first, then new ones.
-- KEYS: 1 ledger, 2 meta; ARGV: 1 group, 2 reader name, 3 count, 4 idle ms after which an entry is taken over,
--       5 grace ms after the sale's end
-- Returns {entries, finished}: finished = 1 when the sale has ended (plus grace) and nothing is left to relay,
-- so the relay may stop watching it (after its end the gate accepts nothing more).
pcall(redis.call, 'XGROUP', 'CREATE', KEYS[1], ARGV[1], '0', 'MKSTREAM')
local claimed = redis.call('XAUTOCLAIM', KEYS[1], ARGV[1], ARGV[2], ARGV[4], '0-0', 'COUNT', ARGV[3])
if #claimed[2] > 0 then return { claimed[2], 0 } end
local fresh = redis.call('XREADGROUP', 'GROUP', ARGV[1], ARGV[2], 'COUNT', ARGV[3], 'STREAMS', KEYS[1], '>')
if fresh then return { fresh[1][2], 0 } end

local ends = tonumber(redis.call('HGET', KEYS[2], 'ends') or '0')
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local pending = redis.call('XPENDING', KEYS[1], ARGV[1])[1]
if now > ends + tonumber(ARGV[5]) and pending == 0 then return { {}, 1 } end
return { {}, 0 }
