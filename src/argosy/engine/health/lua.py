"""Custom health checks written in Lua, run the way Argo CD runs them.

A script from ``argocd-cm`` sees the live object as the global ``obj`` (nested
tables, lists 1-based) and returns a table ``{status = ..., message = ...}``.
Scripts written for Argo CD run unchanged: Argo CD uses gopher-lua (Lua 5.1
plus ``goto``), so Argosy runs LuaJIT 2.1, which has the same semantics and
prints numbers the same way (``1``, not ``1.0``).

What a script may use, as in Argo CD: the base library (without ``dofile``,
``loadfile`` or Python access), ``table``, and ``os.time``/``os.date``/``os.clock``
(also as ``require("os")``). With ``useOpenLibs`` for that kind it also gets
``string``, ``math`` and ``coroutine``. Unlike Argo CD, ``io``, the rest of ``os``
and ``debug`` are never available: a health check has no business with files,
processes or the network.

Every run is bounded: an instruction budget (an endless loop is stopped), a
wall-clock timeout and a memory limit. Work done inside C, where the
instruction hook never fires (pattern matching that backtracks, ``gsub`` and
``table.concat`` results), is estimated and refused before it starts. A script that fails or is stopped gives
health Unknown with the Lua error as the message, so one bad script cannot
hang or crash the controller.
"""

from __future__ import annotations

import datetime as _dt
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from argosy.engine.health._sandbox_lua import SANDBOX_LUA
from argosy.engine.health.status import HealthResult, HealthStatusCode

try:  # LuaJIT 2.1 matches gopher-lua: Lua 5.1 semantics plus goto.
    from lupa import luajit21 as _lupa
except ImportError:  # pragma: no cover - only on builds without LuaJIT
    from lupa import lua51 as _lupa

LUA_ENGINE: str = _lupa.__name__.rpartition(".")[2]
INVALID_STATUS = "Lua returned an invalid health status"
CHUNK_NAME = "=health.lua"
_HOOK_INTERVAL = 1000
_CACHE_SIZE = 256
_MAX_LUA_INT = 2**53
# Hard cap for a whole Lua state (cached scripts included); per-run limits are far below it.
_STATE_MEMORY_CAP = 512 * 1024 * 1024


@dataclass(frozen=True)
class LuaLimits:
    """Bounds on one script run; Argo CD stops scripts after one second too."""

    max_instructions: int = 50_000_000
    timeout_seconds: float = 1.0
    max_memory_bytes: int = 64 * 1024 * 1024


DEFAULT_LIMITS = LuaLimits()


def _deny_attributes(obj: Any, attr_name: Any, is_setting: bool) -> Any:
    raise AttributeError("Python objects are not accessible from health scripts")


def _to_plain(value: Any) -> Any:
    """The JSON-shaped value Argo CD would hand to Lua (YAML may carry dates and big ints)."""
    if isinstance(value, dict):
        return {str(k): _to_plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_to_plain(v) for v in value]
    if isinstance(value, bool) or value is None or isinstance(value, str | float):
        return value
    if isinstance(value, int):
        return value if -_MAX_LUA_INT <= value <= _MAX_LUA_INT else float(value)
    if isinstance(value, _dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(_dt.UTC).replace(tzinfo=None)
        return value.isoformat(timespec="seconds") + "Z"
    if isinstance(value, _dt.date):
        return value.isoformat()
    return str(value)


class _Runtime:
    """One Lua state with the sandbox loaded and a cache of compiled scripts.

    Lua states are not thread-safe, so each thread gets its own (see ``_runtime``).
    """

    def __init__(self) -> None:
        options: dict[str, Any] = {
            "register_eval": False,
            "register_builtins": False,
            "attribute_filter": _deny_attributes,
        }
        try:  # a hard cap for the whole state, on top of the per-run check in the hook
            self.lua = _lupa.LuaRuntime(max_memory=_STATE_MEMORY_CAP, **options)
        except Exception:  # pragma: no cover - Lua builds without a custom allocator
            self.lua = _lupa.LuaRuntime(**options)
        self.run, self.run_raw = self.lua.execute(SANDBOX_LUA, time.monotonic, _HOOK_INTERVAL)
        self._compile = self.lua.eval("function(src, name) return loadstring(src, name) end")
        self.cache: OrderedDict[tuple[str, str], Any] = OrderedDict()

    def compile(self, script: str, chunk_name: str = CHUNK_NAME) -> Any:
        """The compiled chunk for a script text, or raises ``ValueError`` with Lua's message."""
        key = (chunk_name, script)
        fn = self.cache.get(key)
        if fn is not None:
            self.cache.move_to_end(key)
            return fn
        compiled = self._compile(script, chunk_name)
        if isinstance(compiled, tuple):
            fn, err = compiled[0], compiled[1] if len(compiled) > 1 else "cannot compile script"
        else:
            fn, err = compiled, "cannot compile script"
        if fn is None:
            raise ValueError(str(err))
        self.cache[key] = fn
        if len(self.cache) > _CACHE_SIZE:
            self.cache.popitem(last=False)
        return fn


_local = threading.local()


def _runtime() -> _Runtime:
    rt: _Runtime | None = getattr(_local, "runtime", None)
    if rt is None:
        rt = _Runtime()
        _local.runtime = rt
    return rt


def _reset_runtime() -> None:
    _local.runtime = None


def run_health_script(
    script: str,
    obj: dict[str, Any],
    *,
    use_open_libs: bool = False,
    limits: LuaLimits = DEFAULT_LIMITS,
) -> HealthResult | None:
    """The health a Lua script gives ``obj``; None when it returns nothing (no health).

    Never raises for a bad script: errors become Unknown with Lua's message.
    """
    rt = _runtime()
    try:
        fn = rt.compile(script)
    except ValueError as exc:
        return HealthResult(HealthStatusCode.UNKNOWN, f"health script does not compile: {exc}")
    try:
        lua_obj = rt.lua.table_from(_to_plain(obj), recursive=True)
        result = rt.run(
            fn,
            lua_obj,
            use_open_libs,
            max(1, limits.max_instructions // _HOOK_INTERVAL),
            limits.timeout_seconds,
            limits.max_memory_bytes / 1024,
        )
    except _lupa.LuaMemoryError:
        _reset_runtime()  # the state hit its hard cap: start clean for the next script
        return HealthResult(HealthStatusCode.UNKNOWN, "health script stopped: memory limit exceeded")
    except _lupa.LuaError as exc:
        return HealthResult(HealthStatusCode.UNKNOWN, str(exc))
    finally:
        rt.lua.execute("collectgarbage()")
    ok, status, message = (*tuple(result), None, None, None)[:3]
    if not ok:
        return HealthResult(HealthStatusCode.UNKNOWN, str(status))
    if status is None:
        return None
    parsed = HealthStatusCode.parse(str(status))
    if parsed is None:
        return HealthResult(HealthStatusCode.UNKNOWN, INVALID_STATUS)
    return HealthResult(parsed, str(message or ""))


class LuaScriptError(Exception):
    """A script did not compile, failed, or was stopped by a limit; the message is Lua's."""


def _from_lua(value: Any) -> Any:
    """A Lua value as JSON-shaped Python: a table with keys 1..n is a list, an empty table ``[]``.

    Lua cannot tell an empty map from an empty list; like Argo CD's encoder this
    gives ``[]`` and callers that know the original shape fix it up.
    """
    if _lupa.lua_type(value) != "table":
        if isinstance(value, float) and value.is_integer() and abs(value) <= _MAX_LUA_INT:
            return int(value)
        return value
    items = list(value.items())
    keys = [k for k, _ in items]
    if all(isinstance(k, int) and not isinstance(k, bool) for k in keys) and sorted(keys) == list(
        range(1, len(keys) + 1)
    ):
        return [_from_lua(v) for _, v in sorted(items, key=lambda kv: int(kv[0]))]
    return {str(k): _from_lua(v) for k, v in items}


def run_script(
    script: str,
    globals_: dict[str, Any],
    *,
    chunk_name: str,
    use_open_libs: bool = False,
    limits: LuaLimits = DEFAULT_LIMITS,
    fixed_now: int | None = None,
) -> Any:
    """Run a script in the same sandbox as health checks; its return value as JSON-shaped Python.

    ``globals_`` are handed to the script as JSON-shaped Lua values (``obj``,
    ``actionParams``...). ``fixed_now`` (Unix seconds) pins ``os.time()`` and
    ``os.date()`` so results are reproducible. Raises :class:`LuaScriptError`.
    """
    rt = _runtime()
    try:
        fn = rt.compile(script, chunk_name)
    except ValueError as exc:
        raise LuaScriptError(f"script does not compile: {exc}") from None
    try:
        lua_globals = rt.lua.table_from(
            {
                k: rt.lua.table_from(_to_plain(v), recursive=True) if isinstance(v, dict | list) else v
                for k, v in globals_.items()
            }
        )
        result = rt.run_raw(
            fn,
            lua_globals,
            use_open_libs,
            max(1, limits.max_instructions // _HOOK_INTERVAL),
            limits.timeout_seconds,
            limits.max_memory_bytes / 1024,
            fixed_now,
        )
        ok, value = (*tuple(result), None, None)[:2]
        if not ok:
            raise LuaScriptError(str(value))
        return _from_lua(value)
    except _lupa.LuaMemoryError:
        _reset_runtime()
        raise LuaScriptError("script stopped: memory limit exceeded") from None
    except _lupa.LuaError as exc:
        raise LuaScriptError(str(exc)) from None
    finally:
        rt.lua.execute("collectgarbage()")
