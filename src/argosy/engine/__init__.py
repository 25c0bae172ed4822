"""Argosy's engine: the pure decisions behind GitOps, with no I/O and no clients.

``diff`` tells whether a live object drifted from Git, ``health`` how healthy it
is, ``sync`` in which order to apply what, and ``tracking`` which live objects
belong to which Application. Services feed these functions data they fetched
and act on the answers, so every rule here can be tested without a cluster.
"""
