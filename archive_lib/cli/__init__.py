"""``archivectl``: the archive's command line, one module per command group.

:mod:`.main` builds the parser and maps errors to exit codes; each group (:mod:`.capture`,
:mod:`.inventory`, :mod:`.runs`, :mod:`.pools`, :mod:`.tables`, :mod:`.registrar`, :mod:`.audit`)
registers its sub-commands with ``register(sub)`` and runs them with the same functions the DAGs
call. A new group is a module with a ``register`` function, added to :data:`.main.GROUPS`.
Options that default to a setting read it through :data:`archive_lib.settings.ENVIRONMENT`.
"""
