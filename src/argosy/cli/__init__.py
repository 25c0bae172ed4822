"""The ``argosy`` command line.

Verbs follow the ``argocd`` CLI so that muscle memory carries over; each
command group lives in its own module and is registered in :mod:`argosy.cli.main`.
"""
