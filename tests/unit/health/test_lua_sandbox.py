"""Lua health scripts: Argo CD compatibility (Lua 5.1, numbers, goto) and sandbox limits."""

from __future__ import annotations

import time
from typing import Any

import pytest

from argosy.engine.health import HealthStatusCode, LuaLimits, run_health_script
from argosy.engine.health.lua import INVALID_STATUS, LUA_ENGINE

H = HealthStatusCode
OBJ: dict[str, Any] = {
    "apiVersion": "example.com/v1",
    "kind": "Widget",
    "spec": {"replicas": 3, "ratio": 1.0, "half": 0.5, "big": 10**20, "items": ["a", "b"]},
}
SMALL = LuaLimits(max_instructions=2_000_000, timeout_seconds=5.0, max_memory_bytes=16 * 1024 * 1024)


def _message(script: str, obj: dict[str, Any] = OBJ, **kw: Any) -> str:
    r = run_health_script(script, obj, **kw)
    assert r is not None
    assert r.status == H.HEALTHY, r.message
    return r.message


def test_runs_on_luajit_for_lua51_semantics() -> None:
    assert LUA_ENGINE == "luajit21"


def test_numbers_print_as_lua_51_does() -> None:
    msg = _message(
        'return {status="Healthy", message=obj.spec.replicas .. " " .. obj.spec.ratio .. " "'
        ' .. tostring(obj.spec.half) .. " " .. tostring(obj.spec.big)}'
    )
    assert msg == "3 1 0.5 1e+20"
    assert _message('return {status="Healthy", message=2.0}') == "2"


def test_lists_are_one_based_tables() -> None:
    script = (
        'return {status="Healthy", message=obj.spec.items[1] .. #obj.spec.items'
        " .. tostring(obj.spec.items[0])}"
    )
    assert _message(script) == "a2nil"


def test_lua51_features_scripts_rely_on() -> None:
    script = """
    local n = 0
    for i = 1, 3 do
      if i == 2 then goto continue end
      n = n + 1
      ::continue::
    end
    return {status = "Healthy", message = n .. " " .. table.getn(obj.spec.items) .. " " .. type(unpack)}
    """
    assert _message(script) == "2 2 function"


def test_global_hs_does_not_leak_between_runs() -> None:
    assert (
        _message('hs = hs or {} hs.status = "Healthy" hs.message = (hs.message or "") .. "x" return hs')
        == "x"
    )
    assert (
        _message('hs = hs or {} hs.status = "Healthy" hs.message = (hs.message or "") .. "x" return hs')
        == "x"
    )


def test_infinite_loop_is_stopped() -> None:
    start = time.monotonic()
    r = run_health_script("while true do end", OBJ, limits=SMALL)
    assert r is not None and r.status == H.UNKNOWN and "instruction limit" in r.message
    assert time.monotonic() - start < 5


def test_pcall_cannot_swallow_the_limit() -> None:
    script = "while true do pcall(function() while true do end end) end"
    r = run_health_script(script, OBJ, limits=SMALL)
    assert r is not None and r.status == H.UNKNOWN and "limit" in r.message


def test_coroutines_are_limited_too() -> None:
    script = 'coroutine.resume(coroutine.create(function() while true do end end)) return {status="Healthy"}'
    r = run_health_script(script, OBJ, use_open_libs=True, limits=SMALL)
    assert r is not None and r.status == H.UNKNOWN and "limit" in r.message


def test_wall_clock_timeout() -> None:
    limits = LuaLimits(max_instructions=10**12, timeout_seconds=0.2)
    start = time.monotonic()
    r = run_health_script("local x = 0 while true do x = x + 1 end", OBJ, limits=limits)
    assert r is not None and r.status == H.UNKNOWN and "time limit" in r.message
    assert time.monotonic() - start < 2


def test_memory_limit() -> None:
    memory_only = LuaLimits(max_instructions=10**12, timeout_seconds=30.0, max_memory_bytes=16 * 1024 * 1024)
    r = run_health_script("local t = {} for i = 1, 1e8 do t[i] = {i} end", OBJ, limits=memory_only)
    assert r is not None and r.status == H.UNKNOWN and "memory limit" in r.message
    r = run_health_script('local s = ("x"):rep(1e9) return {status="Healthy"}', OBJ, limits=SMALL)
    assert r is not None and r.status == H.UNKNOWN and "memory limit" in r.message
    assert _message('return {status="Healthy", message="ok"}') == "ok"  # the runtime still works


@pytest.mark.parametrize("open_libs", [False, True])
def test_no_io_no_file_loading_no_python(open_libs: bool) -> None:
    r = run_health_script('return io.open("/etc/hostname")', OBJ, use_open_libs=open_libs)
    assert r is not None and r.status == H.UNKNOWN and "io" in r.message
    for name in ("io", "dofile", "loadfile", "python", "debug", "getfenv", "setfenv", "package"):
        assert (
            _message(f'return {{status="Healthy", message=type({name})}}', use_open_libs=open_libs) == "nil"
        )
    escape = 'return {status="Healthy", message=type(loadstring("return io")())}'
    assert _message(escape, use_open_libs=open_libs) == "nil"
    r = run_health_script('require("io")', OBJ, use_open_libs=open_libs)
    assert r is not None and r.status == H.UNKNOWN and "module 'io' not found" in r.message


def test_os_is_limited_to_time_date_clock() -> None:
    script = """
    local os = require("os")
    local names = {}
    for k in pairs(os) do names[#names + 1] = k end
    table.sort(names)
    local msg = table.concat(names, ",") .. " " .. type(os.time()) .. " " .. os.date("!%Y", 0)
    return {status = "Healthy", message = msg}
    """
    assert _message(script) == "clock,date,time number 1970"
    assert _message('return {status="Healthy", message=type(os.execute) .. type(os.getenv)}') == "nilnil"


def test_open_libs_add_string_and_math() -> None:
    script = 'return {status="Healthy", message=string.upper("a") .. math.floor(2.5)}'
    assert _message(script, use_open_libs=True) == "A2"
    r = run_health_script(script, OBJ)
    assert r is not None and r.status == H.UNKNOWN and "string" in r.message


def test_string_metatable_cannot_be_poisoned() -> None:
    r = run_health_script('getmetatable("").__index = {} return {status="Healthy"}', OBJ)
    assert r is not None and r.status == H.UNKNOWN and "attempt to index a boolean value" in r.message
    assert _message('return {status="Healthy", message=("abc"):upper()}') == "ABC"


def test_errors_become_unknown_with_the_lua_message() -> None:
    r = run_health_script("local x = obj.status.conditions[1]", OBJ)
    assert r is not None and r.status == H.UNKNOWN
    assert r.message.startswith("health.lua:1:") and "nil value" in r.message
    r = run_health_script('error("custom failure")', OBJ)
    assert r is not None and r.message == "health.lua:1: custom failure"
    r = run_health_script("this is not lua", OBJ)
    assert r is not None and r.status == H.UNKNOWN and r.message.startswith("health script does not compile")


def test_return_values() -> None:
    assert run_health_script("return nil", OBJ) is None
    assert run_health_script("return {}", OBJ) is None
    r = run_health_script('return {status="Fine"}', OBJ)
    assert r is not None and (r.status, r.message) == (H.UNKNOWN, INVALID_STATUS)
    r = run_health_script('return {message="no status"}', OBJ)
    assert r is not None and (r.status, r.message) == (H.UNKNOWN, INVALID_STATUS)
    r = run_health_script('return "Healthy"', OBJ)
    assert r is not None and r.status == H.UNKNOWN and "expect table output" in r.message


def test_compiled_scripts_are_cached_by_text() -> None:
    from argosy.engine.health import lua

    script = 'return {status="Healthy", message="cached"}'
    run_health_script(script, OBJ)
    rt = lua._runtime()
    key = (lua.CHUNK_NAME, script)
    fn = rt.cache[key]
    run_health_script(script, OBJ)
    assert rt.cache[key] is fn
