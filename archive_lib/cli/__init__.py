"""``archivectl``: the archive's command line, one module per command group.

:mod:`.main` builds the parser and maps errors to exit codes; each group (:mod:`.capture`,
:mod:`.registrar`, :mod:`.audit`, :mod:`.tables`, :mod:`.pools`) registers its sub-commands with
``register(sub)`` and runs them with the same functions the DAGs call. A new group is a module with
a ``register`` function, added to :func:`.main.build_parser`.
"""
