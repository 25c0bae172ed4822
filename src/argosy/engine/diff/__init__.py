"""Drift detection: is the live object what Git says it should be?

An Application is OutOfSync when an object rendered from Git differs from the
object in the cluster. "Differs" must mean *someone changed intent*, not that
the API server filled in defaults, so the comparison is careful:

* **Server-side diff** (preferred): the caller asks the API server for a
  server-side-apply dry run of the desired object; ``server_side_diff`` compares
  that prediction with live, ignoring server-written metadata and (unless
  ``IncludeMutationWebhook=true``) fields Argosy's field manager does not own.
  ``prediction_key`` tells when a cached dry run is still valid (a status-only change of live
  keeps it; ``with_live_status`` puts the current status back).
* **Structural three-way diff** (``diff``): without the server, predict the
  live object from desired, live and the ``kubectl.kubernetes.io/last-applied-configuration``
  annotation. Fields only the server set are not drift; fields removed from Git
  that were applied before are. Quantities (``1000m`` = ``1``), int-or-string
  ports, ``[]``/``{}``/``null`` vs absent, ``creationTimestamp: null``,
  ``stringData``, Endpoints order and empty Role rules are normalised.
* **ignoreDifferences**: ``DiffConfig.build`` gathers the Application's rules,
  ``resource.customizations.ignoreDifferences.*`` and
  ``resource.compareoptions`` of argocd-cm. ``jqPathExpressions`` run through a
  :class:`JqRunner` the caller injects (the services' one is bounded in time and
  memory: an expression that never ends becomes a ``ComparisonError``).
* **Secrets** are masked in every result (``+`` masks, stable per value).

``DiffResult.changes`` lists each differing field as a JSON pointer with its
desired and live values, ready to show.
"""

from argosy.engine.diff.compare import (
    FIELD_MANAGER,
    DiffConfig,
    diff,
    prediction_key,
    server_side_cache_key,
    server_side_diff,
    with_live_status,
)
from argosy.engine.diff.ignore import (
    IgnoreRule,
    IgnoreRuleError,
    IgnoreRuleLimitError,
    apply_rules,
    matching,
    rules_from_application,
    rules_from_overrides,
)
from argosy.engine.diff.options import (
    CompareOptionsError,
    CompareSettings,
    ObjectCompareOptions,
    ignores_extraneous,
    object_compare_options,
    use_server_side_diff,
)
from argosy.engine.diff.redact import hash_secret_values
from argosy.engine.diff.result import DiffResult, FieldChange
from argosy.engine.jqpaths import InProcessJq, JqLimitError, JqRunner

__all__ = [
    "FIELD_MANAGER",
    "CompareOptionsError",
    "CompareSettings",
    "DiffConfig",
    "DiffResult",
    "FieldChange",
    "IgnoreRule",
    "IgnoreRuleError",
    "IgnoreRuleLimitError",
    "InProcessJq",
    "JqLimitError",
    "JqRunner",
    "ObjectCompareOptions",
    "apply_rules",
    "diff",
    "hash_secret_values",
    "ignores_extraneous",
    "matching",
    "object_compare_options",
    "prediction_key",
    "rules_from_application",
    "rules_from_overrides",
    "server_side_cache_key",
    "server_side_diff",
    "use_server_side_diff",
    "with_live_status",
]
