"""Airflow pools: how many accounts of one platform are captured at the same time.

A platform's rate limits are shared by every account the archive reads from it (Mastodon counts
per client address, per instance), so parallel capture tasks must stay inside them however many
workers run. Each platform's capture task runs in a pool of its own, ``capture_{platform}``; the
DAG makes one mapped capture task per platform of :data:`~archive_lib.connectors.PLATFORMS`, since
a mapped task cannot choose its pool per account.

Airflow does not schedule a task whose pool does not exist, so the pools are created with the
database: ``archivectl pools > pools.json && airflow pools import pools.json`` (the compose
file's ``airflow-init`` service does this).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from archive_lib.connectors import PLATFORMS

DEFAULT_SLOTS = 4
# Slots per platform where the default does not fit its limits (see docs/operations.md).
SLOTS: dict[str, int] = {"mastodon": 4}


def pool_name(platform: str) -> str:
    """The Airflow pool that caps concurrent captures of ``platform``."""
    return f"capture_{platform}"


def pool_definitions(
    platforms: Iterable[str] = PLATFORMS, slots: Mapping[str, int] | None = None
) -> dict[str, dict[str, object]]:
    """Every platform's pool in the form ``airflow pools import`` reads."""
    chosen = {**SLOTS, **(slots or {})}
    return {
        pool_name(platform): {
            "slots": chosen.get(platform, DEFAULT_SLOTS),
            "description": f"concurrent captures of {platform} accounts (the platform's rate limits)",
            "include_deferred": False,
        }
        for platform in sorted(platforms)
    }
