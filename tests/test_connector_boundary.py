"""The connectors' boundary: they ask the known state through a protocol and never load the store."""

from __future__ import annotations

import subprocess
import sys


def test_no_connector_loads_the_store_or_the_metadata() -> None:
    code = (
        "import importlib, pkgutil, sys\n"
        "import archive_lib.connectors as connectors\n"
        "for module in pkgutil.iter_modules(connectors.__path__):\n"
        "    importlib.import_module(f'archive_lib.connectors.{module.name}')\n"
        "print(len([m for m in sys.modules if m.startswith('archive_lib.connectors.')]))\n"
        "roles = ('archive_lib.storage', 'archive_lib.metadata')\n"
        "print(sorted(m for m in sys.modules if m.startswith(roles)))\n"
    )

    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)

    count, roles = loaded.stdout.splitlines()
    assert int(count) >= 10  # every connector module was imported
    assert roles == "[]"
