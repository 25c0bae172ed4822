"""Shared pieces of the ``argosy`` client commands: config file, backend contract, helpers.

The command modules (``argosy.cli.app``, ``proj``, ``cluster``...) stay about
what the user typed and what they see; how the request reaches Argosy (the API
server over HTTP, or the cluster directly with ``--core``) lives behind the
:class:`~argosy.cli.commands.backend.Backend` contract defined here.
"""
