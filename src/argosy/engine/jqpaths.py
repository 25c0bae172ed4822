"""jq path expressions of ignoreDifferences: the port through which they run.

``jqPathExpressions`` are written by users (an Application's owner, or an
admin in ``argocd-cm``) and jq is a full programming language: ``def f: f; f``
never ends, ``[range(1e9)]`` fills memory. The ``jq`` binding cannot be
interrupted from Python, so the engine does not decide where expressions run:
a :class:`JqRunner` is injected through ``DiffConfig`` (the services inject
the bounded worker pool of :mod:`argosy.sandbox.jq_pool`, which kills an
expression at a timeout and replaces its worker). :class:`InProcessJq` runs
them in this process without limits, for trusted input and unit tests.

A runner raises :class:`JqLimitError` when an expression hit a limit; the
engine adds which rule it came from and the comparison becomes a
``ComparisonError`` (sync status Unknown, nothing pruned).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any, Protocol

import jq

# Path expressions are one line in practice; a cap keeps compiling (done in
# this process, at rule parse time) bounded too.
MAX_EXPRESSION_LENGTH = 4096


class JqLimitError(Exception):
    """A jq expression did not finish within its time or memory limit."""

    def __init__(self, expression: str, reason: str) -> None:
        super().__init__(f"jqPathExpressions entry {expression!r} {reason}")
        self.expression = expression
        self.reason = reason


class JqRunner(Protocol):
    """Runs ``del(<expression>)`` for each expression in turn on one object."""

    def delete_paths(self, expressions: Sequence[str], doc: dict[str, Any]) -> dict[str, Any]:
        """``doc`` without the paths each expression selects, applied in order.

        An expression that fails on this object (a jq error, or a result that is
        not exactly one object) removes nothing, as in Argo CD. Raises
        :class:`JqLimitError` naming the expression that hit a limit. ``doc`` may be
        returned unchanged or edited; callers pass their own copy.
        """
        ...


@functools.lru_cache(maxsize=512)
def compiled(expression: str) -> Any:
    """``del(expression)`` compiled; raises ``ValueError`` with jq's message."""
    if len(expression) > MAX_EXPRESSION_LENGTH:
        raise ValueError(f"longer than {MAX_EXPRESSION_LENGTH} characters")
    return jq.compile(f"del({expression})")


def delete_one(expression: str, doc: Any) -> Any:
    """One expression applied in this process (also the body of a pool worker)."""
    try:
        results = compiled(expression).input_value(doc).all()
    except ValueError:
        return doc
    if len(results) == 1 and isinstance(results[0], dict):
        return results[0]
    return doc


class InProcessJq:
    """Runs expressions in the calling thread, unbounded: for trusted rules and tests."""

    def delete_paths(self, expressions: Sequence[str], doc: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = doc
        for expression in expressions:
            out = delete_one(expression, out)
        return out


IN_PROCESS = InProcessJq()
