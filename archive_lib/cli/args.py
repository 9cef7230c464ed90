"""Argument types, options and exit codes every ``archivectl`` command shares, whichever module
defines it."""

from __future__ import annotations

import argparse
import datetime as dt

from archive_lib.clock import EARLIEST_DATE, LATEST_DATE
from archive_lib.errors import ConfigError, shown

#: Exit codes (README.md): success; a failure named in the output; bad usage or configuration.
EXIT_OK, EXIT_FAILED, EXIT_CONFIG = 0, 1, 2


def date_arg(value: str) -> dt.date:
    """An argparse type: a calendar date written ``YYYY-MM-DD``, within the archive's dates."""
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{shown(value)} is not a date YYYY-MM-DD") from None
    if not EARLIEST_DATE <= day <= LATEST_DATE:
        raise argparse.ArgumentTypeError(f"{day} is not a date from {EARLIEST_DATE} to {LATEST_DATE}")
    return day


def add_verbosity(parser: argparse.ArgumentParser) -> None:
    """``-v``/``-q``, which :func:`archive_lib.cli.main.main` reads to set the log level on stderr."""
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more log output on stderr")
    parser.add_argument("-q", "--quiet", action="store_true", help="only warnings and errors on stderr")


def required(value: str | None, message: str) -> str:
    """``value`` (an option or its default from the environment); ConfigError ``message`` when unset."""
    if not value:
        raise ConfigError(message)
    return value
