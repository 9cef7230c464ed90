"""Pytest fixtures for the fake Mastodon server (registered in tests/conftest.py).

* ``fake_mastodon``: an empty, started :class:`FakeMastodon` with the real time as its clock;
  stopped after the test.
* ``fake_mastodon_demo``: a started fake whose clock is fixed at :data:`DEMO_NOW` and filled by
  :func:`populate_demo`; yields ``(fake, info)`` where ``info`` is what ``populate_demo`` returns.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest

from tests.fakes.mastodon import FakeMastodon
from tests.fakes.mastodon_sample import populate_demo

DEMO_NOW = dt.datetime(2026, 3, 20, 11, 30, tzinfo=dt.UTC)


@pytest.fixture
def fake_mastodon() -> Iterator[FakeMastodon]:
    """A started, empty fake Mastodon instance; stopped after the test."""
    with FakeMastodon() as fake:
        yield fake


@pytest.fixture
def fake_mastodon_demo() -> Iterator[tuple[FakeMastodon, dict[str, Any]]]:
    """A started fake with Kristianstads kommun's sample content, clock fixed at DEMO_NOW."""
    with FakeMastodon(now=DEMO_NOW) as fake:
        yield fake, populate_demo(fake)
