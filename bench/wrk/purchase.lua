-- wrk script: purchase attempts against POST /api/sales/{saleId}/purchase, as an independent client.
--   wrk -t2 -c128 -d20s -s bench/wrk/purchase.lua http://127.0.0.1:5080 -- <saleId> <tokens-file>
-- <tokens-file> holds one user token per line (bench/wrk/make-tokens.sh writes it through /api/dev/token).
-- Each request uses the next token in turn and a fresh requestId; answers are tallied by status.

local sale_id, tokens, counter, statuses = nil, {}, 0, {}

function init(args)
  sale_id = args[1] or error("usage: -- <saleId> <tokens-file>")
  for line in io.lines(args[2] or error("usage: -- <saleId> <tokens-file>")) do
    if #line > 0 then tokens[#tokens + 1] = line end
  end
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
end

function request()
  counter = counter + 1
  local i = counter % #tokens + 1
  wrk.headers["Authorization"] = "Bearer " .. tokens[i]
  wrk.headers["X-Forwarded-For"] = string.format("198.18.%d.%d", (i // 250) % 256, i % 250 + 1)
  local body = string.format('{"quantity":1,"requestId":"wrk-%d-%d"}', math.random(1, 1e9), counter)
  return wrk.format(nil, "/api/sales/" .. sale_id .. "/purchase", nil, body)
end

function response(status)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency)
  io.write(string.format("p50 %.2f ms, p99 %.2f ms, p99.9 %.2f ms\n",
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency:percentile(99.9) / 1000))
end
