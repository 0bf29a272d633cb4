-- wrk script for bench_http.py: POST bodies and rotating GET paths from environment
-- variables, and a count of every status code (only the expected one counts as served).
--   BENCH_METHOD=POST BENCH_PATH=/x BENCH_BODY_FILE=body.json
--   BENCH_METHOD=GET  BENCH_PATHS_FILE=paths.txt (one path a line, used in turn)
local method = os.getenv("BENCH_METHOD") or "GET"
local headers = {["Content-Type"] = "application/json;charset=utf-8",
                 ["Accept"] = "application/json"}
local requests_ = {}
local threads = {}

local function read(path)
  local f = assert(io.open(path, "rb")); local s = f:read("*a"); f:close(); return s
end

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  counts = {}
  index = 0
  if method == "POST" then
    local body = read(os.getenv("BENCH_BODY_FILE"))
    requests_[1] = wrk.format("POST", os.getenv("BENCH_PATH"), headers, body)
  else
    for line in io.lines(os.getenv("BENCH_PATHS_FILE")) do
      requests_[#requests_ + 1] = wrk.format("GET", line, headers)
    end
  end
  index = math.random(#requests_)
end

function request()
  index = index % #requests_ + 1
  return requests_[index]
end

function response(status, headers, body)
  counts[status] = (counts[status] or 0) + 1
end

function done(summary, latency, requests)
  local total = {}
  for _, thread in ipairs(threads) do
    for status, n in pairs(thread:get("counts")) do
      total[status] = (total[status] or 0) + n
    end
  end
  for status, n in pairs(total) do
    io.write(string.format("status %d %d\n", status, n))
  end
  io.write(string.format("errors connect %d read %d write %d timeout %d\n",
    summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.timeout))
  for _, p in ipairs({50, 95, 99}) do
    io.write(string.format("latency p%d %.3f\n", p, latency:percentile(p) / 1000.0))
  end
  io.write(string.format("duration %.6f\n", summary.duration / 1e6))
end
