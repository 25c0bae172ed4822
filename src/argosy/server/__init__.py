"""The Argosy API server: HTTP API, authentication, RBAC, webhooks and metrics.

Everything a user or a Git provider talks to over HTTP lives here. The pure
parts (who may do what, which push refreshes which application) are in
``rbac`` and ``webhook`` and can be used without a running server, e.g. by
``argosy admin settings rbac can``.
"""
