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

-- Pattern matching (find, match, gmatch, gsub) runs in C, where the hook never fires, and
-- backtracks: (".-"):rep(6) .. "b" against a few thousand bytes takes minutes. Each call's
-- worst case is estimated from the pattern's variable-length items and the subject's length,
-- and a call that could take more than a fraction of a second is refused before it starts
local real_find, real_match, real_gmatch, real_gsub = string.find, string.match, string.gmatch, string.gsub
local real_sub, real_byte, real_format, real_concat = string.sub, string.byte, string.format, table.concat
local PATTERN_STEPS = 5e7
local math_min = math.min
local PCT, LBRACKET, RBRACKET, CARET = 37, 91, 93, 94

local function set_end(p, i)  -- i: the '[' of a set; the index after its ']' (lstrlib's classEnd)
  local n = #p
  i = i + 1
  if real_byte(p, i) == CARET then i = i + 1 end
  repeat
    if i > n then return i end
    local c = real_byte(p, i)
    i = i + 1
    if c == PCT and i <= n then i = i + 1 end
  until real_byte(p, i) == RBRACKET
  return i + 1
end

-- The character classes of a Lua pattern's items that match a variable number of characters
-- (x*, x+, x-; "." stands for %bxy and back-references, which may span anything).
local function variable_items(p)
  local items, i, n = {}, 1, #p
  if real_byte(p, 1) == CARET then i = 2 end
  while i <= n do
    local c, from = real_sub(p, i, i), i
    local single = true
    if c == "(" or c == ")" then
      single, i = false, i + 1
    elseif c == "%" then
      local d = real_sub(p, i + 1, i + 1)
      if d == "b" then
        single, i = false, i + 4
        items[#items + 1] = "."
      elseif d == "f" then
        single, i = false, set_end(p, i + 2)
      elseif d >= "0" and d <= "9" then
        single, i = false, i + 2
        items[#items + 1] = "."
      else
        i = i + 2
      end
    elseif c == "[" then
      i = set_end(p, i)
    else
      i = i + 1
    end
    if single then
      local m = real_sub(p, i, i)
      if m == "*" or m == "+" or m == "-" then
        items[#items + 1] = real_sub(p, from, i - 1)
        i = i + 1
      elseif m == "?" then
        i = i + 1
      end
    end
  end
  return items
end

-- The longest run of characters of one class in s (how far one item can stretch).
local function longest_run(s, class)
  if class == "." then return #s end
  local longest, pos, n = 0, 1, #s
  while pos <= n do
    local ok, a, b = pcall(real_find, s, class .. "+", pos)
    if not ok then
      if state.exceeded then error(state.exceeded, 0) end
      return n  -- a malformed class: the real call will say so
    end
    if not a then break end
    if b - a + 1 > longest then longest = b - a + 1 end
    pos = b + 1
  end
  return longest
end

local function check_pattern(name, s, p, init, plain, anchors)
  if (type(s) ~= "string" and type(s) ~= "number") or (type(p) ~= "string" and type(p) ~= "number") then
    return  -- the real function raises its own error
  end
  s, p = tostring(s), tostring(p)
  local n = #s
  init = tonumber(init)
  if init and init > 1 then n = n - init + 1 end
  if n < 1 then n = 1 end
  local items = plain and {} or variable_items(p)
  local starts = (anchors and not plain and real_byte(p, 1) == CARET) and 1 or n
  -- Per start, the matcher may try every combination of item lengths: at most the product
  -- of (longest run + 1) over the items, and at most C(n + q, q) (lengths adding up to <= n).
  local product, binomial = 1, 1
  for k = 1, #items do
    product = product * (longest_run(s, items[k]) + 1)
    binomial = binomial * (n + k) / k
  end
  local steps = starts * (#items == 0 and #p + 1 or (#items + 1) * math_min(product, binomial))
  if steps > PATTERN_STEPS then
    error(real_format("string.%s: pattern %q has %d variable-length item(s) (x*, x+, x-, %%b, %%1) and "
      .. "could take too long on a subject of %d bytes; anchor it with ^, use fewer such items, "
      .. "or find plain text with string.find(s, text, 1, true)", name, p, #items, #s), 3)
  end
end

string.find = function(s, p, init, plain)
  check_pattern("find", s, p, init, plain, true)
  return real_find(s, p, init, plain)
end
string.match = function(s, p, init)
  check_pattern("match", s, p, init, false, true)
  return real_match(s, p, init)
end
string.gmatch = function(s, p)
  check_pattern("gmatch", s, p, nil, false, false)
  return real_gmatch(s, p)
end
string.gsub = function(s, p, repl, max_n)
  check_pattern("gsub", s, p, nil, false, true)
  if type(s) == "string" or type(s) == "number" then
    -- The result is built in C too: bound it by the longest replacement before starting.
    local longest = 0
    if type(repl) == "string" or type(repl) == "number" then
      longest = #tostring(repl)
    elseif type(repl) == "table" then
      for _, v in pairs(repl) do
        local len = (type(v) == "string" or type(v) == "number") and #tostring(v) or 0
        if len > longest then longest = len end
      end
    end
    local count = #tostring(s) + 1
    if tonumber(max_n) and tonumber(max_n) < count then count = tonumber(max_n) end
    local size = #tostring(s) + count * longest
    if size > state.max_string then
      error("string.gsub: a result of up to " .. size .. " bytes exceeds the sandbox memory limit", 2)
    end
  end
  return real_gsub(s, p, repl, max_n)
end
-- Bytecode cannot be loaded here, and dumping the sandbox's functions helps no health check.
string.dump = nil

table.concat = function(t, sep, i, j)
  if type(t) == "table" then
    local size, sep_len = 0, (type(sep) == "string" or type(sep) == "number") and #tostring(sep) or 0
    for k = tonumber(i) or 1, tonumber(j) or #t do
      local v = t[k]
      size = size + sep_len + ((type(v) == "string" or type(v) == "number") and #tostring(v) or 0)
      if size > state.max_string then
        error("table.concat: a result of over " .. state.max_string
          .. " bytes exceeds the sandbox memory limit", 2)
      end
    end
  end
  return real_concat(t, sep, i, j)
end

-- Scripts may neither replace nor even see the metatable shared by all strings (a table here
-- would be shared by every script of the runtime, a channel from one to the next).
getmetatable("").__metatable = false

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
  -- A limit is raised from inside the hook, where further hooks are off: a message handler
  -- run then would run unbounded, so after a limit the script's handler is not called.
  env.xpcall = function(f, h, ...)
    return guard(xpcall(f, function(e)
      if state.exceeded then return state.exceeded end
      return h(e)
    end, ...))
  end
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
  if not r[1] then
    if r[2] == "not enough memory" then return false, "health script stopped: memory limit exceeded" end
    return false, tostring(r[2])
  end
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
