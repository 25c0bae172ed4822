"""The application controller: keeps every Application's status true to Git and the cluster.

It watches Applications (and the live objects of their destinations), renders
each app with the repo service, compares, assesses health and writes
``status``; it runs sync operations written to ``operation`` and decides
automated syncs and self-heal. Split by responsibility: :mod:`.compare`,
:mod:`.status`, :mod:`.queue`, :mod:`.reconciler`, :mod:`.operation`.
"""
