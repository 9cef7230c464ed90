"""``archivectl pools``: the Airflow pools of every platform, as JSON for ``airflow pools import``."""

from __future__ import annotations

import argparse
import json
from typing import Any

from archive_lib.capture.pools import pool_definitions
from archive_lib.connectors import PLATFORMS
from archive_lib.errors import ConfigError


def register(sub: Any) -> None:
    parser = sub.add_parser("pools", help="print the Airflow pools (one per platform) as JSON")
    parser.add_argument(
        "--slots",
        action="append",
        default=[],
        metavar="PLATFORM=N",
        help="concurrent captures of a platform (repeatable; default from archive_lib/capture/pools.py)",
    )
    parser.set_defaults(run=run, verbose=0, quiet=True)


def run(args: argparse.Namespace) -> int:
    slots: dict[str, int] = {}
    for item in args.slots:
        platform, _, number = item.partition("=")
        if platform not in PLATFORMS:
            known = ", ".join(sorted(PLATFORMS))
            raise ConfigError(f"--slots {item}: unknown platform {platform!r} (known: {known})")
        if not number.isdigit() or int(number) < 1:
            raise ConfigError(f"--slots {item}: give a whole number of at least 1, e.g. {platform}=2")
        slots[platform] = int(number)
    print(json.dumps(pool_definitions(slots=slots), indent=2, sort_keys=True))
    return 0
