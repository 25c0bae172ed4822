"""Where user-written expressions run when they cannot be bounded in-process.

jq (``ignoreDifferences.jqPathExpressions``) runs in a C library that Python
cannot interrupt, so :mod:`argosy.sandbox.jq_pool` keeps a few long-lived
worker processes and kills one whose expression overruns its time limit (or
lets the kernel stop one that overruns its memory limit), then starts a
fresh one. Services inject the pool into the pure engine through
:class:`argosy.engine.diff.JqRunner`. (Lua scripts are bounded in-process by
their sandbox's instruction hook; regular expressions by RE2, see
:mod:`argosy.engine.regex`.)
"""
