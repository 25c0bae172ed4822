"""Argosy's view of destination clusters: clients, discovery, the live-object cache, apply/delete.

* :mod:`~argosy.kube.clients` — one authenticated client per cluster (from a
  cluster Secret, the in-cluster service account or a kubeconfig), with
  timeouts and request counting (``argocd_app_k8s_request_total``).
* :mod:`~argosy.kube.discovery` — which kinds a cluster serves, and where.
* :mod:`~argosy.kube.exclusions` — ``resource.exclusions``/``inclusions`` and
  per-Application exclusions (annotation ``argosy.io/resource-exclusions``).
* :mod:`~argosy.kube.livecache` — one list+watch per kind per cluster, lean
  objects indexed by owning app, change callbacks, connection status.
* :mod:`~argosy.kube.apply` — server-side apply, dry runs, client-side apply
  (``kubectl apply``), replace, create, delete and get, as the sync runs them.

Nothing here decides *what* to do: the controller asks, this package talks to
the API server and reports what happened in words a user can act on.
"""
