"""ApplicationSets: one Application template stamped out per parameter set.

A user writes generators (a ``list`` of elements, every registered
``clusters`` Secret matching a selector, the directories or files of a ``git``
repository, ``matrix``/``merge`` combinations of those); each generator yields
parameter sets; each set fills the ``template`` (fasttemplate ``{{name}}`` or,
with ``goTemplate: true``, Go templates with Sprig functions) into one
Application, owned by the ApplicationSet.

Layout: :mod:`.generators` (pure, fed through ``GenerateContext``),
:mod:`.template` and :mod:`.gotemplate` (the two template dialects),
:mod:`.render` (parameter set → Application), :mod:`.names` (the
``normalize``/``slugify`` functions that turn a cluster name such as
``admin@production-cluster-v1`` into a valid Application name),
:mod:`.requeue` and :mod:`.events` (when to regenerate).
"""
