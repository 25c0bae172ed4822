"""The functions a ``goTemplate: true`` ApplicationSet may call.

Go's built-ins (``and``, ``or``, ``not``, ``eq``..., ``index``, ``len``,
``print``/``printf``), the commonly used part of Sprig (strings, lists,
dicts, math, encoding, regexps, paths; never ``env``, ``expandenv`` or
``getHostByName``, as in Argo CD), and Argo CD's own ``normalize``,
``slugify``, ``toYaml``, ``fromYaml`` and ``fromYamlArray``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import posixpath
import re
import urllib.parse
from collections.abc import Callable, Mapping
from typing import Any

import yaml

from argosy.appset.gotemplate.execute import MISSING, go_format, is_nil, truth
from argosy.appset.names import normalize, slugify
from argosy.engine import yamlbounds
from argosy.engine.regex import compile_go
from argosy.engine.regex import search as regex_search


def _nil(v: Any) -> Any:
    return None if v is MISSING else v


def _and(*args: Any) -> Any:
    value: Any = None
    for value in args:
        if not truth(value):
            return value
    return value


def _or(*args: Any) -> Any:
    value: Any = None
    for value in args:
        if truth(value):
            return value
    return value


def _eq(a: Any, *others: Any) -> bool:
    return any(_basic(a) == _basic(b) for b in others)


def _basic(v: Any) -> Any:
    v = _nil(v)
    if isinstance(v, list | dict):
        raise ValueError("incompatible types for comparison")
    return v


def _cmp(a: Any, b: Any) -> int:
    a, b = _basic(a), _basic(b)
    if isinstance(a, str) != isinstance(b, str):
        raise ValueError("incompatible types for comparison")
    return int((a > b) - (a < b))


def _index(item: Any, *keys: Any) -> Any:
    item = _nil(item)
    for key in keys:
        if isinstance(item, Mapping):
            item = item.get(key)
        elif isinstance(item, list | str):
            if not isinstance(key, int) or not 0 <= key < len(item):
                raise IndexError(f"index out of range: {go_format(key)}")
            item = item[key]
        elif item is None:
            raise ValueError("index of untyped nil")
        else:
            raise ValueError(f"can't index item of type {type(item).__name__}")
    return item


def _len(v: Any) -> int:
    v = _nil(v)
    if v is None or not hasattr(v, "__len__"):
        raise ValueError(f"len of {go_format(v)}")
    return len(v)


def _sprint(*args: Any) -> str:
    # fmt.Sprint adds spaces between operands when neither is a string
    out = ""
    for i, a in enumerate(args):
        if i and not isinstance(a, str) and not isinstance(args[i - 1], str):
            out += " "
        out += go_format(a) if not isinstance(a, str) else a
    return out


_VERB = re.compile(r"%([-+# 0]*)(\d+|\*)?(?:\.(\d+))?([vdsqfxXtgeTo%])")


def _printf(fmt: str, *args: Any) -> str:
    values = list(args)

    def repl(m: re.Match[str]) -> str:
        flags, width, prec, verb = m.groups()
        if verb == "%":
            return "%"
        if not values:
            return f"%!{verb}(MISSING)"
        v = _nil(values.pop(0))
        if verb == "v" or verb == "s":
            text = go_format(v) if not isinstance(v, str) else v
        elif verb == "q":
            text = json.dumps(v if isinstance(v, str) else go_format(v))
        elif verb == "d":
            text = str(int(v))
        elif verb in "fge":
            text = format(float(v), f".{prec or 6}{verb}") if verb == "f" else format(float(v), verb)
        elif verb in "xX":
            text = format(int(v), verb) if not isinstance(v, str) else v.encode().hex()
        elif verb == "o":
            text = format(int(v), "o")
        elif verb == "t":
            text = go_format(bool(v))
        else:
            text = type(v).__name__
        if width and width != "*":
            text = (
                text.ljust(int(width))
                if "-" in flags
                else text.rjust(int(width), "0" if "0" in flags else " ")
            )
        return text

    return _VERB.sub(repl, fmt)


def _empty(v: Any) -> bool:
    return not truth(v)


def _default(default: Any, *given: Any) -> Any:
    if not given or _empty(given[0]):
        return default
    return given[0]


def _coalesce(*args: Any) -> Any:
    return next((a for a in args if not _empty(a)), None)


def _str(v: Any) -> str:
    v = _nil(v)
    if v is None:
        return ""
    return v if isinstance(v, str) else go_format(v)


def _to_yaml(v: Any) -> str:
    return yaml.safe_dump(_nil(v), default_flow_style=False, sort_keys=True, allow_unicode=True).removesuffix(
        "\n"
    )


def _from_yaml(text: str) -> Any:
    try:
        value = yamlbounds.load(text)
    except yaml.YAMLError as exc:
        return {"Error": str(exc)}
    return value if isinstance(value, dict) else {}


def _from_yaml_array(text: str) -> list[Any]:
    try:
        value = yamlbounds.load(text)
    except yaml.YAMLError as exc:
        raise ValueError(f"error unmarshaling YAML: {exc}") from exc
    if not isinstance(value, list):
        raise ValueError(f"cannot unmarshal {type(value).__name__} into a list")
    return value


def _must_from_json(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError as exc:
        raise ValueError(f"invalid JSON: {exc}") from exc


def _from_json(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return {}


def _json(v: Any) -> str:
    return json.dumps(_nil(v), separators=(",", ":"), sort_keys=True)


def _pretty_json(v: Any) -> str:
    return json.dumps(_nil(v), indent=2, sort_keys=True)


def _indent(n: int, text: str) -> str:
    pad = " " * n
    return pad + text.replace("\n", "\n" + pad)


def _trunc(n: int, text: str) -> str:
    if n < 0:
        return text[n:] if -n < len(text) else text
    return text[:n]


def _substr(start: int, end: int, text: str) -> str:
    if start < 0:
        return text[:end]
    if end < 0 or end > len(text):
        return text[start:]
    return text[start:end]


def _split(sep: str, text: str) -> dict[str, str]:
    return {f"_{i}": part for i, part in enumerate(text.split(sep))}


def _dict(*args: Any) -> dict[str, Any]:
    return {_str(args[i]): (args[i + 1] if i + 1 < len(args) else "") for i in range(0, len(args), 2)}


def _merge(dst: dict[str, Any], *srcs: Any) -> dict[str, Any]:
    for src in srcs:
        for k, v in (src or {}).items():
            if k not in dst:
                dst[k] = v
            elif isinstance(dst[k], dict) and isinstance(v, dict):
                _merge(dst[k], v)
    return dst


def _set(d: dict[str, Any], key: str, value: Any) -> dict[str, Any]:
    d[key] = value
    return d


def _unset(d: dict[str, Any], key: str) -> dict[str, Any]:
    d.pop(key, None)
    return d


def _num(v: Any) -> Any:
    v = _nil(v)
    if v is None or v == "":
        return 0
    if isinstance(v, str):
        try:
            return int(v)
        except ValueError:
            return float(v)
    return v


def _int(v: Any) -> int:
    try:
        return int(_num(v))
    except (ValueError, TypeError):
        return 0


def _list(v: Any) -> list[Any]:
    v = _nil(v)
    if v is None:
        return []
    if not isinstance(v, list):
        raise ValueError(f"cannot find the list of type {type(v).__name__}")
    return v


def _b64dec(text: str) -> str:
    try:
        return base64.b64decode(text).decode()
    except ValueError as exc:
        return str(exc)


def _title(text: str) -> str:
    return re.sub(r"\b([a-z])", lambda m: m.group(1).upper(), text)


def _regex_replace(regex: str, text: str, repl: str) -> str:
    return str(compile_go(regex).sub(re.sub(r"\$\{?(\d+)\}?", r"\\\1", repl), text))


def _ternary(a: Any, b: Any, cond: Any) -> Any:
    return a if truth(cond) else b


def _uniq(items: Any) -> list[Any]:
    out: list[Any] = []
    for item in _list(items):
        if item not in out:
            out.append(item)
    return out


def _snake(text: str) -> str:
    return re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", text).replace("-", "_").replace(" ", "_").lower()


def _kebab(text: str) -> str:
    return _snake(text).replace("_", "-")


def _camel(text: str) -> str:
    return "".join(p[:1].upper() + p[1:] for p in re.split(r"[_\-\s]+", text) if p)


def _slugify(*args: Any) -> str:
    text = args[-1]
    max_size = args[0] if len(args) > 1 else 50
    smart = args[1] if len(args) > 2 else True
    return slugify(_str(text), int(max_size), bool(smart))


def _div(a: Any, b: Any) -> Any:
    a, b = _num(a), _num(b)
    return a // b if isinstance(a, int) and isinstance(b, int) else a / b


FUNCTIONS: dict[str, Callable[..., Any]] = {
    # Go built-ins
    "and": _and,
    "or": _or,
    "not": lambda v: not truth(v),
    "eq": _eq,
    "ne": lambda a, b: not _eq(a, b),
    "lt": lambda a, b: _cmp(a, b) < 0,
    "le": lambda a, b: _cmp(a, b) <= 0,
    "gt": lambda a, b: _cmp(a, b) > 0,
    "ge": lambda a, b: _cmp(a, b) >= 0,
    "index": _index,
    "len": _len,
    "slice": lambda item, *i: _nil(item)[slice(*i)] if i else _nil(item),
    "print": _sprint,
    "printf": _printf,
    "println": lambda *a: " ".join(_str(x) for x in a) + "\n",
    "urlquery": lambda *a: urllib.parse.quote_plus(_sprint(*a)),
    "html": lambda *a: _sprint(*a).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"),
    "js": lambda *a: json.dumps(_sprint(*a))[1:-1],
    # Argo CD's own
    "normalize": lambda text: normalize(_str(text)),
    "slugify": _slugify,
    "toYaml": _to_yaml,
    "fromYaml": _from_yaml,
    "fromYamlArray": _from_yaml_array,
    # Sprig: defaults and flow
    "default": _default,
    "empty": _empty,
    "coalesce": _coalesce,
    "ternary": _ternary,
    "fail": lambda msg: (_ for _ in ()).throw(ValueError(msg)),
    "required": lambda msg, v: v if not is_nil(v) and v != "" else (_ for _ in ()).throw(ValueError(msg)),
    # strings
    "toString": _str,
    "upper": lambda s: _str(s).upper(),
    "lower": lambda s: _str(s).lower(),
    "title": lambda s: _title(_str(s)),
    "trim": lambda s: _str(s).strip(),
    "trimAll": lambda c, s: _str(s).strip(c),
    "trimPrefix": lambda p, s: _str(s).removeprefix(p),
    "trimSuffix": lambda p, s: _str(s).removesuffix(p),
    "trunc": lambda n, s: _trunc(int(n), _str(s)),
    "substr": lambda a, b, s: _substr(int(a), int(b), _str(s)),
    "replace": lambda old, new, s: _str(s).replace(old, new),
    "repeat": lambda n, s: _str(s) * int(n),
    "contains": lambda sub, s: sub in _str(s),
    "hasPrefix": lambda p, s: _str(s).startswith(p),
    "hasSuffix": lambda p, s: _str(s).endswith(p),
    "quote": lambda *a: " ".join(json.dumps(_str(x)) for x in a if not is_nil(x)),
    "squote": lambda *a: " ".join(f"'{_str(x)}'" for x in a if not is_nil(x)),
    "cat": lambda *a: " ".join(_str(x) for x in a if not is_nil(x)),
    "indent": lambda n, s: _indent(int(n), _str(s)),
    "nindent": lambda n, s: "\n" + _indent(int(n), _str(s)),
    "split": lambda sep, s: _split(sep, _str(s)),
    "splitList": lambda sep, s: _str(s).split(sep),
    "join": lambda sep, items: sep.join(_str(x) for x in _list(items)),
    "snakecase": lambda s: _snake(_str(s)),
    "kebabcase": lambda s: _kebab(_str(s)),
    "camelcase": lambda s: _camel(_str(s)),
    "nospace": lambda s: re.sub(r"\s", "", _str(s)),
    # regexps
    # (user-written patterns: Go's linear-time RE2, see argosy.engine.regex)
    "regexMatch": lambda r, s: regex_search(r, _str(s)),
    "mustRegexMatch": lambda r, s: regex_search(r, _str(s)),
    "regexFind": lambda r, s: m.group(0) if (m := compile_go(r).search(_str(s))) else "",
    "regexFindAll": lambda r, s, n: compile_go(r).findall(_str(s))[: None if int(n) < 0 else int(n)],
    "regexReplaceAll": lambda r, s, repl: _regex_replace(r, _str(s), repl),
    "regexReplaceAllLiteral": lambda r, s, repl: compile_go(r).sub(lambda _m: repl, _str(s)),
    "regexSplit": lambda r, s, n: compile_go(r).split(_str(s))[: None if int(n) < 0 else int(n)],
    # encoding
    "toJson": _json,
    "mustToJson": _json,
    "toRawJson": _json,
    "toPrettyJson": _pretty_json,
    "mustToPrettyJson": _pretty_json,
    "fromJson": _from_json,
    "mustFromJson": _must_from_json,
    "b64enc": lambda s: base64.b64encode(_str(s).encode()).decode(),
    "b64dec": lambda s: _b64dec(_str(s)),
    "sha256sum": lambda s: hashlib.sha256(_str(s).encode()).hexdigest(),
    "sha1sum": lambda s: hashlib.sha1(_str(s).encode()).hexdigest(),
    "adler32sum": lambda s: str(__import__("zlib").adler32(_str(s).encode())),
    # lists
    "list": lambda *a: list(a),
    "first": lambda items: _list(items)[0] if _list(items) else None,
    "last": lambda items: _list(items)[-1] if _list(items) else None,
    "rest": lambda items: _list(items)[1:],
    "initial": lambda items: _list(items)[:-1],
    "append": lambda items, v: [*_list(items), v],
    "prepend": lambda items, v: [v, *_list(items)],
    "concat": lambda *ls: [x for lst in ls for x in _list(lst)],
    "reverse": lambda items: list(reversed(_list(items))),
    "uniq": _uniq,
    "has": lambda v, items: v in _list(items),
    "without": lambda items, *vs: [x for x in _list(items) if x not in vs],
    "compact": lambda items: [x for x in _list(items) if truth(x)],
    "sortAlpha": lambda items: sorted(_str(x) for x in _list(items)),
    "until": lambda n: list(range(int(n))),
    # dicts
    "dict": _dict,
    "get": lambda d, k: (_nil(d) or {}).get(k, ""),
    "set": _set,
    "unset": _unset,
    "hasKey": lambda d, k: k in (_nil(d) or {}),
    "keys": lambda *ds: [k for d in ds for k in d],
    "values": lambda d: list(d.values()),
    "pluck": lambda k, *ds: [d[k] for d in ds if k in d],
    "pick": lambda d, *ks: {k: d[k] for k in ks if k in d},
    "omit": lambda d, *ks: {k: v for k, v in d.items() if k not in ks},
    "merge": _merge,
    "mergeOverwrite": lambda dst, *srcs: [dst.update(s) for s in srcs] and dst,
    "deepCopy": lambda v: json.loads(json.dumps(v)),
    # math
    "add": lambda *a: sum(_num(x) for x in a),
    "add1": lambda a: _num(a) + 1,
    "sub": lambda a, b: _num(a) - _num(b),
    "mul": lambda *a: __import__("math").prod(_num(x) for x in a),
    "div": _div,
    "mod": lambda a, b: _num(a) % _num(b),
    "max": lambda *a: max(_num(x) for x in a),
    "min": lambda *a: min(_num(x) for x in a),
    "int": _int,
    "int64": _int,
    "float64": lambda v: float(_num(v)),
    "atoi": _int,
    "toStrings": lambda items: [_str(x) for x in _list(items)],
    # paths
    "base": lambda p: posixpath.basename(_str(p).rstrip("/")) or ("/" if _str(p).startswith("/") else "."),
    "dir": lambda p: posixpath.dirname(_str(p)) or ".",
    "ext": lambda p: posixpath.splitext(_str(p))[1],
    "clean": lambda p: posixpath.normpath(_str(p)),
    "isAbs": lambda p: _str(p).startswith("/"),
    "kindIs": lambda kind, v: _kind(v) == kind,
    "kindOf": lambda v: _kind(v),
    "typeOf": lambda v: _kind(v),
}


def _kind(v: Any) -> str:
    v = _nil(v)
    if v is None:
        return "invalid"
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, int):
        return "int"
    if isinstance(v, float):
        return "float64"
    if isinstance(v, str):
        return "string"
    if isinstance(v, list):
        return "slice"
    return "map"
