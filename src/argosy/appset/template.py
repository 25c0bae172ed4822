"""Filling parameters into ApplicationSet templates.

Two dialects, chosen by ``spec.goTemplate``:

* **fasttemplate** (default, the tutorial's form): ``{{name}}`` or
  ``{{ name }}`` is replaced by the parameter of that name when it is a
  string; anything else (unknown names, ``{{ }}``) is left exactly as written.
* **Go template** (``goTemplate: true``): ``{{.name}}``, pipelines,
  ``if``/``range``, Sprig functions (see :mod:`argosy.appset.gotemplate`).
  A missing key prints ``<no value>``, or fails with
  ``goTemplateOptions: ["missingkey=error"]``.

Every string of the template is rendered on its own, map keys included
(annotation names may be templated); a template with no parameters at all is
returned unchanged.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

from argosy.appset.gotemplate.execute import Template
from argosy.appset.gotemplate.functions import FUNCTIONS
from argosy.appset.gotemplate.parse import TemplateError

__all__ = ["Renderer", "TemplateError", "fasttemplate"]


def fasttemplate(text: str, params: Mapping[str, Any]) -> str:
    """``{{ key }}`` → the string parameter ``key``; everything else verbatim."""
    if "{{" not in text:
        return text
    out: list[str] = []
    i = 0
    while True:
        j = text.find("{{", i)
        if j < 0:
            out.append(text[i:])
            break
        k = text.find("}}", j + 2)
        if k < 0:
            out.append(text[i:])
            break
        out.append(text[i:j])
        tag = text[j + 2 : k]
        key = tag.strip()
        value = params.get(key) if key else None
        out.append(value if isinstance(value, str) else "{{" + tag + "}}")
        i = k + 2
    return "".join(out)


@lru_cache(maxsize=4096)
def _compiled(text: str, missing_key_error: bool) -> Template:
    return Template(text, FUNCTIONS, missing_key_error=missing_key_error)


class Renderer:
    """Renders strings and whole objects with one dialect and its options."""

    def __init__(self, go_template: bool = False, options: Sequence[str] = ()) -> None:
        self.go_template = go_template
        self.options = list(options)
        bad = [
            o for o in self.options if o not in ("missingkey=error", "missingkey=default", "missingkey=zero")
        ]
        if bad:
            raise TemplateError(
                f"goTemplateOptions: unknown option(s) {', '.join(bad)}; use missingkey=error"
            )
        self.missing_key_error = "missingkey=error" in self.options

    def string(self, text: str, params: Mapping[str, Any]) -> str:
        """One string rendered; a Go template error says which template failed."""
        if not self.go_template:
            return fasttemplate(text, params)
        if "{{" not in text:
            return text
        try:
            return _compiled(text, self.missing_key_error).execute(dict(params))
        except TemplateError as exc:
            raise type(exc)(f"failed to execute go template {text}: {exc}") from None

    def object(self, value: Any, params: Mapping[str, Any]) -> Any:
        """A JSON-like value with every string (and map key) rendered; the input is not changed."""
        if not params:
            return copy.deepcopy(value)
        return self._walk(value, params)

    def _walk(self, value: Any, params: Mapping[str, Any]) -> Any:
        if isinstance(value, str):
            return self.string(value, params)
        if isinstance(value, Mapping):
            return {self.string(str(k), params): self._walk(v, params) for k, v in value.items()}
        if isinstance(value, list):
            return [self._walk(v, params) for v in value]
        return value
