-- wrk script: purchase attempts against POST /api/sales/{saleId}/purchase, as an independent client.
--   bench/wrk/make-tokens.sh http://127.0.0.1:5080 1000 > /tmp/tokens.txt
--   wrk -t2 -c128 -d10s -s bench/wrk/purchase.lua http://127.0.0.1:5080 -- <saleId> /tmp/tokens.txt [summary.json] [prefix]
-- <tokens-file> holds one user token per line (bench/wrk/make-tokens.sh writes it through /api/dev/token).
-- Each request takes the next token in turn and a requestId of its own, "<prefix>-<thread>-<n>": unique across
-- threads and connections, and across runs (the prefix defaults to 12 random hex digits; give one of [A-Za-z0-9._:]
-- to choose it). Answers are tallied by status, refusals by their problem `code`, 202s by orderId. At the end a
-- line goes to stdout and, when [summary.json] is given (not "-"), a JSON summary to that file: requests, statuses,
-- codes, accepted, distinctOrderIds, wrk's errors, duration, latency percentiles (ms) and every accepted orderId.
-- Runs under wrk's LuaJIT (Lua 5.1: no // operator, no integer division).

-- Main state: setup() numbers the threads and hands each the run's prefix; done() gathers their tallies.
-- (Locals of the main state: the thread states' globals set by setup() must not be shadowed by them.)
local threads = {}
local this_run = nil

local function random_hex(bytes)
  local f = io.open("/dev/urandom", "rb")
  if f == nil then return string.format("%x", os.time()) end
  local raw = f:read(bytes)
  f:close()
  return (raw:gsub(".", function(c) return string.format("%02x", string.byte(c)) end))
end

function setup(thread)
  this_run = this_run or random_hex(6)
  threads[#threads + 1] = thread
  thread:set("thread_id", #threads)
  thread:set("run_id", this_run)
end

-- Thread states: thread_id and run_id are globals set by setup() before init() runs.
local usage = "usage: wrk ... -s bench/wrk/purchase.lua <url> -- <saleId> <tokens-file> [summary.json|-] [prefix]"
local path, tokens, prefix, counter = nil, {}, nil, 0
statuses, codes, order_ids, summary_path = {}, {}, {}, nil

function init(args)
  local sale_id = args[1] or error(usage)
  for line in io.lines(args[2] or error(usage)) do
    if #line > 0 then tokens[#tokens + 1] = line end
  end
  if #tokens == 0 then error("no tokens in " .. args[2]) end
  if args[3] ~= nil and args[3] ~= "" and args[3] ~= "-" then summary_path = args[3] end
  prefix = args[4] or run_id or error("setup() did not run")
  if not string.match(prefix, "^[A-Za-z0-9._:]+$") or #prefix > 40 then
    error("prefix must be 1 to 40 characters of A-Z, a-z, 0-9, '.', '_' and ':'")
  end
  path = "/api/sales/" .. sale_id .. "/purchase"
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
end

function request()
  counter = counter + 1
  -- Threads start at different users, then take them in turn.
  local i = (counter + (thread_id - 1) * 7919) % #tokens
  wrk.headers["Authorization"] = "Bearer " .. tokens[i + 1]
  wrk.headers["X-Forwarded-For"] = string.format("198.18.%d.%d", math.floor(i / 250) % 256, i % 250 + 1)
  local body = string.format('{"quantity":1,"requestId":"%s-%d-%d"}', prefix, thread_id, counter)
  return wrk.format(nil, path, nil, body)
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
  if status == 202 then
    local order_id = string.match(body, '"orderId":"([^"]+)"')
    if order_id then order_ids[#order_ids + 1] = order_id end
  else
    local code = string.match(body, '"code":"([^"]+)"') or tostring(status)
    codes[code] = (codes[code] or 0) + 1
  end
end

local function json_string(s)
  return '"' .. string.gsub(tostring(s), '[%c"\\]', function(c) return string.format("\\u%04x", string.byte(c)) end) .. '"'
end

local function json_counts(t)
  local parts = {}
  for k, v in pairs(t) do parts[#parts + 1] = json_string(k) .. ":" .. string.format("%d", v) end
  table.sort(parts)
  return "{" .. table.concat(parts, ",") .. "}"
end

local function add_counts(into, from)
  for k, v in pairs(from or {}) do into[k] = (into[k] or 0) + v end
end

function done(summary, latency, requests)
  local all_statuses, all_codes, all_ids, distinct, out = {}, {}, {}, {}, nil
  for _, thread in ipairs(threads) do
    add_counts(all_statuses, thread:get("statuses"))
    add_counts(all_codes, thread:get("codes"))
    for _, id in ipairs(thread:get("order_ids") or {}) do
      all_ids[#all_ids + 1] = id
      distinct[id] = true
    end
    out = out or thread:get("summary_path")
  end
  local answered, distinct_count = 0, 0
  for _, n in pairs(all_statuses) do answered = answered + n end
  for _ in pairs(distinct) do distinct_count = distinct_count + 1 end
  local seconds = summary.duration / 1e6
  local e = summary.errors
  local function ms(p) return latency:percentile(p) / 1000 end

  io.write(string.format("purchase.lua: %d answers in %.1f s (%.0f/s): %s; %d 202s, %d distinct orderIds; p50 %.2f ms, p99 %.2f ms, p99.9 %.2f ms\n",
    answered, seconds, answered / seconds, json_counts(all_codes), #all_ids, distinct_count, ms(50), ms(99), ms(99.9)))
  if out == nil then return end

  local quoted = {}
  for i, id in ipairs(all_ids) do quoted[i] = json_string(id) end
  local f = assert(io.open(out, "w"))
  f:write("{\n")
  f:write(string.format('"requests":%d,\n"durationSeconds":%.6f,\n', answered, seconds))
  f:write('"statuses":' .. json_counts(all_statuses) .. ",\n")
  f:write('"codes":' .. json_counts(all_codes) .. ",\n")
  f:write(string.format('"accepted":%d,\n"distinctOrderIds":%d,\n', #all_ids, distinct_count))
  f:write(string.format('"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},\n',
    e.connect, e.read, e.write, e.status, e.timeout))
  f:write(string.format('"latencyMs":{"p50":%.3f,"p90":%.3f,"p99":%.3f,"p99.9":%.3f,"max":%.3f,"mean":%.3f},\n',
    ms(50), ms(90), ms(99), ms(99.9), latency.max / 1000, latency.mean / 1000))
  f:write('"orderIds":[' .. table.concat(quoted, ",") .. "]\n}\n")
  f:close()
end
