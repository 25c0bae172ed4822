"""What the SCM provider and pull request generators read from Git hosting services.

:mod:`.model` holds the provider-neutral records (a repository at a branch, a
pull request) and the :class:`~.model.ScmSource` interface the generators use;
:mod:`.filters` applies the generators' ``filters`` as Argo CD does. Clients
of the hosting services' APIs implement ``ScmSource``.
"""
