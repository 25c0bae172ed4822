"""The Lua side of the health-script sandbox, kept as text so the engine reads no files.

It runs once per Lua runtime with the real standard library and returns the
function that runs one script in a fresh environment under the limits.
"""

SANDBOX_LUA = r"""
-- Argosy's sandbox for Argo CD health scripts (Lua 5.1 semantics, LuaJIT interpreter).
-- Loaded once per runtime with the real standard library; scripts never see this scope.
-- Arguments: a wall-clock function (seconds) and the hook interval in instructions.
local now, interval = ...

local pairs, type, tostring, tonumber = pairs, type, tostring, tonumber
local select, unpack, error = select, unpack, error
local pcall, xpcall, setfenv, loadstring = pcall, xpcall, setfenv, loadstring
local sethook, collectgarbage, getmetatable = debug.sethook, collectgarbage, getmetatable
local co_create, co_resume = coroutine.create, coroutine.resume

-- Hooks do not fire in JIT-compiled traces: interpret everything so limits hold.
if jit then jit.off(); jit.flush() end
python = nil

local state = { exceeded = nil, hooks = 0, max_hooks = 0, deadline = 0, mem_kb = 0, max_string = 0 }

local function check()
  state.hooks = state.hooks + 1
  if not state.exceeded then
    if state.hooks > state.max_hooks then
      state.exceeded = "health script stopped: instruction limit exceeded (endless loop?)"
    elseif now() > state.deadline then
      state.exceeded = "health script stopped: time limit exceeded"
    elseif collectgarbage("count") > state.mem_kb then
      collectgarbage("collect")
      if collectgarbage("count") > state.mem_kb then
        state.exceeded = "health script stopped: memory limit exceeded"
      end
    end
  end
  if state.exceeded then error(state.exceeded, 0) end
end

-- Once a limit is hit, pcall/xpcall/resume must not let the script carry on.
local function guard(...)
  if state.exceeded then error(state.exceeded, 0) end
  return ...
end

local function pack(...) return { n = select("#", ...), ... } end

local real_rep = string.rep
string.rep = function(s, n, sep)
  local count = tonumber(n) or 0
  local size = #tostring(s) * count + (sep ~= nil and #tostring(sep) * count or 0)
  if size > state.max_string then
    error("string.rep: a result of " .. size .. " bytes exceeds the sandbox memory limit", 2)
  end
  return real_rep(s, n, sep)
end
-- Scripts may read but never replace the metatable shared by all strings.
getmetatable("").__metatable = {}

local function copy(t)
  local c = {}
  for k, v in pairs(t) do c[k] = v end
  return c
end

local safe_os = { time = os.time, date = os.date, clock = os.clock }
local safe_math = copy(math)
safe_math.randomseed = nil

local function safe_create(f)
  local co = co_create(f)
  sethook(co, check, "", interval)
  return co
end

local function safe_resume(co, ...) return guard(co_resume(co, ...)) end

local function safe_wrap(f)
  local co = safe_create(f)
  return function(...)
    local r = pack(safe_resume(co, ...))
    if not r[1] then error(r[2], 0) end
    return unpack(r, 2, r.n)
  end
end

-- With a fixed clock (tests, reproducible action runs) os.time()/os.date() read it instead.
local function clock_os(fixed_now)
  if fixed_now == nil then return copy(safe_os) end
  local real_time, real_date = os.time, os.date
  return {
    time = function(t) if t == nil then return fixed_now end return real_time(t) end,
    date = function(f, t) return real_date(f, t or fixed_now) end,
    clock = os.clock,
  }
end

local function make_env(open_libs, fixed_now)
  local env = {
    assert = assert, error = error, ipairs = ipairs, next = next, pairs = pairs,
    rawequal = rawequal, rawget = rawget, rawset = rawset, select = select,
    tonumber = tonumber, tostring = tostring, type = type, unpack = unpack,
    getmetatable = getmetatable, setmetatable = setmetatable,
    print = function() end,
    _VERSION = _VERSION,
    table = copy(table),
    os = clock_os(fixed_now),
  }
  env.pcall = function(f, ...) return guard(pcall(f, ...)) end
  env.xpcall = function(f, h, ...) return guard(xpcall(f, h, ...)) end
  env.loadstring = function(src, name)
    if type(src) ~= "string" then error("loadstring: only Lua source text is allowed", 2) end
    if src:byte(1) == 27 then error("loadstring: precompiled chunks are not allowed", 2) end
    local f, err = loadstring(src, name)
    if not f then return nil, err end
    setfenv(f, env)
    return f
  end
  env.load = function(chunk, name)
    if type(chunk) == "function" then
      local parts = {}
      while true do
        local piece = chunk()
        if piece == nil or piece == "" then break end
        parts[#parts + 1] = piece
      end
      chunk = table.concat(parts)
    end
    return env.loadstring(chunk, name)
  end
  local modules = { os = env.os, table = env.table, math = copy(safe_math) }
  if open_libs then
    env.string = copy(string)
    env.math = modules.math
    env.coroutine = {
      create = safe_create, resume = safe_resume, wrap = safe_wrap,
      status = coroutine.status, yield = coroutine.yield, running = coroutine.running,
    }
    modules.string = env.string
    modules.coroutine = env.coroutine
  end
  env.require = function(name)
    local m = modules[name]
    if m == nil then
      error("module '" .. tostring(name) .. "' not found: health scripts may require only "
        .. (open_libs and "os, table, math, string and coroutine" or "os, table and math"), 2)
    end
    return m
  end
  env._G = env
  return env
end

-- Runs one compiled script with the given globals under the limits; returns ok, value-or-error.
local function run_raw(fn, globals, open_libs, max_hooks, timeout, mem_kb, fixed_now)
  local env = make_env(open_libs, fixed_now)
  for k, v in pairs(globals) do env[k] = v end
  setfenv(fn, env)
  state.exceeded = nil
  state.hooks = 0
  state.max_hooks = max_hooks
  state.deadline = now() + timeout
  state.mem_kb = collectgarbage("count") + mem_kb
  state.max_string = mem_kb * 1024
  sethook(check, "", interval)
  local r = pack(pcall(fn))
  sethook()
  if state.exceeded then return false, state.exceeded end
  if not r[1] then return false, tostring(r[2]) end
  return true, r[2]
end

-- Runs one health script; returns ok, status-or-error, message.
local function run_health(fn, obj, open_libs, max_hooks, timeout, mem_kb)
  local ok, hs = run_raw(fn, { obj = obj }, open_libs, max_hooks, timeout, mem_kb, nil)
  if not ok then return false, hs end
  if hs == nil then return true, nil, nil end
  if type(hs) ~= "table" then return false, "expect table output from Lua script, not " .. type(hs) end
  if next(hs) == nil then return true, nil, nil end
  local status, message = hs.status, hs.message
  if type(status) ~= "string" then status = "" end
  if type(message) == "number" then
    message = tostring(message)
  elseif type(message) ~= "string" then
    message = ""
  end
  return true, status, message
end

return run_health, run_raw
"""
