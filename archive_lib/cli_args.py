"""Argument types and options every ``archivectl`` command shares, whichever module defines it."""

from __future__ import annotations

import argparse
import datetime as dt


def date_arg(value: str) -> dt.date:
    """An argparse type: a calendar date written ``YYYY-MM-DD``."""
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date YYYY-MM-DD") from None


def add_verbosity(parser: argparse.ArgumentParser) -> None:
    """``-v``/``-q``, which :func:`archive_lib.cli.main` reads to set the log level on stderr."""
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more log output on stderr")
    parser.add_argument("-q", "--quiet", action="store_true", help="only warnings and errors on stderr")
