"""``python -m archive_lib.cli``: the same as ``archivectl``."""

from archive_lib.cli.main import main

raise SystemExit(main())
