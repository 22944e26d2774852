-- wrk script for the creditsys benchmark: requests drawn round-robin from a pool file.
--
-- Environment:
--   BENCH_POOL    file with one request per line: a path (GET) or a JSON body (POST)
--   BENCH_METHOD  GET (default) or POST
--   BENCH_PATH    the path for POST requests
--   BENCH_AUTH    API key sent as "Authorization: Bearer <key>" (optional)
--   BENCH_NONCE   1: append a unique "_b=" parameter (defeats the public page cache: every request is a miss)
-- Every request carries its own X-Forwarded-For address, as if sent by many clients behind the proxy, so the
-- per-client rate limits of the public site do not turn the benchmark into a 429 benchmark.
-- done() prints one line "BENCH_JSON {...}" with the counts and latency percentiles (microseconds).

local pool_file = os.getenv("BENCH_POOL")
local method = os.getenv("BENCH_METHOD") or "GET"
local post_path = os.getenv("BENCH_PATH") or "/"
local auth = os.getenv("BENCH_AUTH")
local nonce = os.getenv("BENCH_NONCE") == "1"
local salt = os.getenv("BENCH_SALT") or ""  -- differs per wrk run: no URL repeats across runs

local pool = {}
for line in io.lines(pool_file) do
  if #line > 0 then
    pool[#pool + 1] = line
  end
end

local threads = {}
local counter = 0
local tid = 0

function setup(thread)
  thread:set("tid", #threads + 1)
  threads[#threads + 1] = thread
end

function init(args)
  counter = tid * 7919
end

function request()
  counter = counter + 1
  local item = pool[(counter % #pool) + 1]
  local headers = {}
  headers["X-Forwarded-For"] = string.format("10.%d.%d.%d", tid % 250, math.floor(counter / 250) % 250, counter % 250)
  if auth and #auth > 0 then
    headers["Authorization"] = "Bearer " .. auth
  end
  if method == "POST" then
    headers["Content-Type"] = "application/json"
    return wrk.format("POST", post_path, headers, item)
  end
  local path = item
  if nonce then
    local sep = "?"
    if string.find(path, "?", 1, true) then
      sep = "&"
    end
    path = path .. sep .. "_b=" .. salt .. "-" .. tid .. "-" .. counter
  end
  return wrk.format("GET", path, headers)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"duration_us":%d,"bytes":%d,"errors_connect":%d,"errors_read":%d,' ..
    '"errors_write":%d,"errors_status":%d,"errors_timeout":%d,"p50_us":%d,"p90_us":%d,"p95_us":%d,' ..
    '"p99_us":%d,"max_us":%d,"mean_us":%.1f}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(95), latency:percentile(99),
    latency.max, latency.mean))
end
