"""Hostile Lua health and action scripts: refused or stopped, in bounded time and memory.

Each script below tries to escape the sandbox (bytecode, ``debug``, ``os``,
``io``, ``require``, the string metatable), to run forever (plain loops, loops
under ``pcall``/``xpcall``, in ``string.gsub`` callbacks, metamethods, sort
comparators, coroutines, pattern matching that backtracks in C where the
instruction hook never fires) or to exhaust memory. Each must give a health of
Unknown (or an action error) that says why, within the limits, and leave the
thread's Lua runtime able to run the next script.
"""

from __future__ import annotations

import time

import pytest

from argosy.engine.actions.run import ActionError, run_action
from argosy.engine.health import lua
from argosy.engine.health.lua import DEFAULT_LIMITS, run_health_script
from argosy.engine.health.status import HealthStatusCode
from argosy.settings.resource_customizations import ResourceOverride

# Limits stop a script after 1 s; the margin is for a busy machine, not for the script.
BOUND_SECONDS = DEFAULT_LIMITS.timeout_seconds + 4.0
HEALTHY = 'return {status = "Healthy", message = "fine"}'

CASES: dict[str, tuple[str, str]] = {
    # escapes
    "string.dump is gone": (
        'local d = string.dump or ("").dump\nreturn {status = "Healthy", message = tostring(d(print))}',
        "attempt to call local 'd' (a nil value)",
    ),
    "load of a binary chunk": (
        'assert(load("\\27LJ\\2\\0\\0", "x", "b"))()',
        "precompiled chunks are not allowed",
    ),
    "load of bytecode through a reader": (
        'local n = 0; assert(load(function() n = n + 1; if n == 1 then return "\\27LuaQ" end end))()',
        "precompiled chunks are not allowed",
    ),
    "debug": ("debug.sethook()", "attempt to index global 'debug' (a nil value)"),
    "os.execute": ('os.execute("touch /tmp/argosy-pwned")', "attempt to call field 'execute' (a nil value)"),
    "io": ('io.open("/etc/passwd")', "attempt to index global 'io' (a nil value)"),
    "require of io": ('require("io")', "module 'io' not found"),
    "package.loadlib": ('package.loadlib("libc.so.6", "system")', "attempt to index global 'package'"),
    "the string metatable": ('getmetatable("").__index.rep = nil', "attempt to index a boolean value"),
    "collectgarbage": ('collectgarbage("stop")', "attempt to call global 'collectgarbage' (a nil value)"),
    "getfenv and setfenv": ("getfenv(0).x = 1", "attempt to call global 'getfenv' (a nil value)"),
    # endless loops
    "plain loop": ("while true do end", "health script stopped"),
    "loop under pcall": (
        "while true do pcall(function() while true do end end) end",
        "health script stopped",
    ),
    "loop in an xpcall message handler": (
        "xpcall(function() while true do end end, function(e) while true do end end)",
        "health script stopped",
    ),
    "loop in a string.gsub callback": (
        'string.gsub("aaaa", "a", function() while true do end end)',
        "stopped",
    ),
    "loop in a metamethod": (
        "local t = setmetatable({}, {__index = function() while true do end end}); return t.x",
        "health script stopped",
    ),
    "loop in a sort comparator": (
        "table.sort({3, 2, 1}, function(a, b) while true do end end)",
        "health script stopped",
    ),
    "loop in a coroutine": (
        "local co = coroutine.create(function() while true do end end); coroutine.resume(co)",
        "health script stopped",
    ),
    "coroutine.wrap around pcall": (
        "local f = coroutine.wrap(function() while true do pcall(function() while true do end end) end end)\n"
        "pcall(f)",
        "health script stopped",
    ),
    "backtracking pattern (C, no hook)": (
        'local s = ("a"):rep(3000); return {status = tostring(s:find(".-.-.-.-.-.-.-b"))}',
        "could take too long on a subject of 3000 bytes",
    ),
    "quadratic pattern on a long subject": (
        'local s = ("a"):rep(1e6); return {status = tostring(s:match(".-b"))}',
        "could take too long on a subject of 1000000 bytes",
    ),
    "gmatch backtracking": (
        'for x in ("a"):rep(5000):gmatch("a*a*a*b") do end',
        "string.gmatch: pattern",
    ),
    # memory
    "string.rep 1e9": ('local s = string.rep("x", 1e9)', "exceeds the sandbox memory limit"),
    "string.rep through the metatable": ('local s = ("x"):rep(1e9)', "exceeds the sandbox memory limit"),
    "gsub building a huge result in C": (
        'local s = ("x"):rep(1e7):gsub("x", ("y"):rep(100))',
        "string.gsub: a result of up to 1010000100 bytes",
    ),
    "table.concat of one string many times": (
        'local t = {}; local s = ("x"):rep(1e6); for i = 1, 100 do t[i] = s end; local r = table.concat(t)',
        "table.concat: a result of over",
    ),
    "table growth": ("local t = {}; for i = 1, 1e9 do t[i] = i end", "health script stopped"),
    "concatenation bomb": (
        'local s = ("x"):rep(6e7); local t = s .. s .. s .. s .. s .. s .. s .. s .. s .. s',
        "memory limit exceeded",
    ),
    "unpack of a huge range": (
        "return {status = select('#', unpack({}, 1, 1e8))}",
        "too many results to unpack",
    ),
    # recursion
    "deep recursion": ("local function f() return 1 + f() end; f()", "stack overflow"),
    "recursion through __index": (
        "local t; t = setmetatable({}, {__index = function(s, k) return s[k] end}); return t.x",
        "stack overflow",
    ),
}


@pytest.mark.parametrize("use_open_libs", [True], ids=["useOpenLibs"])
@pytest.mark.parametrize("name", list(CASES))
def test_a_hostile_health_script_is_stopped_and_the_runtime_runs_the_next(
    name: str, use_open_libs: bool
) -> None:
    script, expected = CASES[name]
    started = time.monotonic()
    result = run_health_script(script, {"kind": "Pod"}, use_open_libs=use_open_libs)
    took = time.monotonic() - started
    assert result is not None and result.status == HealthStatusCode.UNKNOWN, result
    assert expected in result.message, result.message
    assert took < BOUND_SECONDS, f"{name}: stopped after {took:.2f} s"
    runtime = lua._runtime()
    after = run_health_script(HEALTHY, {"kind": "Pod"}, use_open_libs=use_open_libs)
    assert after is not None and (after.status, after.message) == (HealthStatusCode.HEALTHY, "fine")
    assert lua._runtime() is runtime, "the same Lua runtime serves the next script"


def test_one_script_leaves_nothing_for_the_next_to_find() -> None:
    writer = 'pcall(function() getmetatable("").note = "left behind" end)\n'
    writer += 'note = "global"; return {status = "Healthy"}'
    reader = 'local ok, v = pcall(function() return getmetatable("").note end)\n'
    reader += 'return {status = "Healthy", message = tostring(ok and v) .. "," .. tostring(note)}'
    run_health_script(writer, {}, use_open_libs=True)
    result = run_health_script(reader, {}, use_open_libs=True)
    assert result is not None and result.message == "false,nil"


def test_scripts_that_use_patterns_sensibly_still_run() -> None:
    script = """
    local stamp = obj.status.lastScheduleTime
    local y, mo, d, h, mi, s = string.match(stamp, "(%d+)-(%d+)-(%d+)T(%d+):(%d+):(%d+)Z")
    local reason = obj.status.message:match("^(%w+): ") or ""
    local words = 0
    for _ in obj.status.message:gmatch("%S+") do words = words + 1 end
    local cleaned = obj.status.message:gsub("%s+", " ")
    return {status = "Healthy", message = table.concat({y, mo, d, reason, words, #cleaned}, ",")}
    """
    obj = {
        "status": {
            "lastScheduleTime": "2024-05-01T10:20:30Z",
            "message": "Error: " + "disk full on node-1 " * 200,
        }
    }
    result = run_health_script(script, obj, use_open_libs=True)
    assert result is not None and result.status == HealthStatusCode.HEALTHY, result
    assert result.message == "2024,05,01,Error,801,4007"


ACTIONS = """
discovery.lua: |
  return {spin = {}, shell = {}, ok = {}}
definitions:
- name: spin
  action.lua: |
    while true do pcall(function() while true do end end) end
- name: shell
  action.lua: |
    os.execute("touch /tmp/argosy-pwned"); return obj
- name: ok
  action.lua: |
    obj.metadata.labels = {touched = "yes"}; return obj
"""


def test_hostile_action_scripts_fail_with_a_clear_error_and_the_next_action_runs() -> None:
    overrides = {"apps/Deployment": ResourceOverride(actions=ACTIONS)}
    deployment = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"}}
    started = time.monotonic()
    with pytest.raises(ActionError, match=r"spin/action.lua: (health )?script stopped"):
        run_action(deployment, "spin", overrides)
    assert time.monotonic() - started < BOUND_SECONDS
    with pytest.raises(ActionError, match=r"shell/action.lua: .*attempt to call field 'execute'"):
        run_action(deployment, "shell", overrides)
    [impacted] = run_action(deployment, "ok", overrides)
    assert impacted.resource["metadata"]["labels"] == {"touched": "yes"}
