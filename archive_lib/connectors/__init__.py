"""Platform connectors: one module per platform behind one interface (:mod:`.base`).

To add a platform, write ``archive_lib/connectors/<platform>.py`` with a class implementing
:class:`~archive_lib.connectors.base.Connector`, and register it in :data:`PLATFORMS` below.
A platform with one API host gives it as ``default_api_base``; an inventory may still name another
``api_base`` (a test server, a pinned API version).
The registry is plain data so the inventory can be validated without importing any connector.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from archive_lib.connectors.base import Connector


@dataclass(frozen=True)
class PlatformSpec:
    """What the rest of the archive needs to know about a platform before connecting."""

    name: str
    connector: str  # "module:Class"
    needs_api_base: bool  # the API host varies per account (Mastodon instances)
    default_api_base: str | None = None  # where the platform's API lives when the inventory omits it
    needs_token: bool = False  # the API answers nothing without a credential


GRAPH_API = "https://graph.facebook.com/v26.0"  # Facebook and Instagram; the current Graph API version

PLATFORMS: dict[str, PlatformSpec] = {
    "mastodon": PlatformSpec("mastodon", "archive_lib.connectors.mastodon:MastodonConnector", True),
    "facebook": PlatformSpec(
        "facebook", "archive_lib.connectors.facebook:FacebookConnector", False, GRAPH_API, needs_token=True
    ),
    "instagram": PlatformSpec(
        "instagram", "archive_lib.connectors.instagram:InstagramConnector", False, GRAPH_API, needs_token=True
    ),
    "youtube": PlatformSpec(
        "youtube",
        "archive_lib.connectors.youtube:YouTubeConnector",
        False,
        "https://www.googleapis.com/youtube/v3",
        needs_token=True,
    ),
    "bluesky": PlatformSpec(
        "bluesky", "archive_lib.connectors.bluesky:BlueskyConnector", False, "https://public.api.bsky.app"
    ),
}


def connector_class(platform: str) -> type[Connector]:
    """The connector class for ``platform`` (imported on first use)."""
    module_name, _, class_name = PLATFORMS[platform].connector.partition(":")
    module = importlib.import_module(module_name)
    cls: type[Connector] = getattr(module, class_name)
    return cls
