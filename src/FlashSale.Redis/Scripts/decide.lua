-- The stock gate: decides a batch of purchases for one sale, atomically.
-- KEYS: 1 meta (hash: remaining, limit, starts, ends, accepted, failed, expires), 2 users (hash user -> units),
--       3 requests (hash user+requestId -> orderId), 4 orders (hash orderId -> intent json), 5 ledger (stream)
-- ARGV: 1 n, then n groups of: userId, requestId, quantity, candidateOrderId; then, only for a traced batch, n trace
--       contexts (W3C traceparent, empty for a request not traced), kept in the ledger entry as field c
-- Returns: n pairs {outcome, orderId}, then the stock left. Outcome codes mirror GateOutcome in C#.
-- Order ids stay strings: Lua numbers are doubles and would round 64-bit ids.
local ACCEPTED, REPLAYED, LIMIT_EXCEEDED, SOLD_OUT, NOT_STARTED, ENDED, UNKNOWN_SALE, UNAVAILABLE, INVALID = 0, 1, 2, 3, 4, 5, 6, 7, 8

local meta, users, requests, orders, ledger = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local n = tonumber(ARGV[1])
local traced = #ARGV > 1 + n * 4
local out = {}

local m = redis.call('HMGET', meta, 'remaining', 'limit', 'starts', 'ends', 'expires')
if not m[1] then
  for i = 1, n do out[#out + 1] = UNKNOWN_SALE; out[#out + 1] = '0' end
  out[#out + 1] = -1
  return out
end
local remaining, limit, starts, ends = tonumber(m[1]), tonumber(m[2]), tonumber(m[3]), tonumber(m[4])

-- One clock for every API process: the gate's.
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)

local accepted = 0
for i = 0, n - 1 do
  local base = 2 + i * 4
  local user, request, quantity, orderId = ARGV[base], ARGV[base + 1], tonumber(ARGV[base + 2]), ARGV[base + 3]
  -- Length-prefixed so that no (user, requestId) pair can collide with another.
  local requestKey = #user .. ':' .. user .. request
  local code
  local earlier = redis.call('HGET', requests, requestKey)
  if earlier then
    code, orderId = REPLAYED, earlier
  elseif now < starts then
    code = NOT_STARTED
  elseif now >= ends then
    code = ENDED
  elseif quantity == nil or quantity < 1 or quantity > limit then
    code = INVALID
  else
    local total = tonumber(redis.call('HGET', users, user) or '0')
    if total + quantity > limit then
      code = LIMIT_EXCEEDED
    elseif remaining < quantity then
      code = SOLD_OUT
    elseif redis.call('HEXISTS', orders, orderId) == 1 then
      -- Two processes drew the same order id (worker id reused): refuse rather than merge two orders.
      code = UNAVAILABLE
    else
      -- Each acceptance is written whole before the next request is looked at: Redis does not roll a
      -- script back, so an error later in the batch must not leave an accepted intent with stock not deducted.
      remaining = redis.call('HINCRBY', meta, 'remaining', -quantity)
      redis.call('HINCRBY', meta, 'accepted', quantity)
      accepted = accepted + quantity
      redis.call('HINCRBY', users, user, quantity)
      redis.call('HSET', requests, requestKey, orderId)
      redis.call('HSET', orders, orderId, cjson.encode({ u = user, q = quantity, r = request, t = now }))
      local context = traced and ARGV[2 + n * 4 + i] or ''
      if context ~= '' then
        redis.call('XADD', ledger, '*', 'o', orderId, 'u', user, 'q', quantity, 'r', request, 't', now, 'c', context)
      else
        redis.call('XADD', ledger, '*', 'o', orderId, 'u', user, 'q', quantity, 'r', request, 't', now)
      end
      if accepted == quantity and m[5] then
        -- The sale's keys live until a retention period after its end (preheat put the deadline on meta);
        -- the hashes an acceptance creates get the same one. Orders stay readable from the database.
        redis.call('PEXPIREAT', users, m[5])
        redis.call('PEXPIREAT', requests, m[5])
        redis.call('PEXPIREAT', orders, m[5])
      end
      code = ACCEPTED
    end
  end
  if code ~= ACCEPTED and code ~= REPLAYED then orderId = '0' end
  out[#out + 1] = code
  out[#out + 1] = orderId
end

out[#out + 1] = remaining
return out
