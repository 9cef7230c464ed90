"""A hostile Mastodon instance on loopback: the platform at its worst, one behaviour per account.

It speaks the API the connector uses (``accounts/lookup``, ``accounts/:id/statuses`` with
``Link``, ``statuses/:id``, ``/context``, ``/history``, media files) on a raw socket, so it can
misbehave below HTTP: bodies that lie about their length, trickle, stop, or decode to GiBs.

* :mod:`.wire`: the socket server; requests in, :class:`~.wire.Answer` bytes out, every
  exchange logged with what was sent;
* :mod:`.world`: the towns (one inventoried account per behaviour) and their statuses;
* :mod:`.api`: routes and Mastodon's entities, as a well-behaved instance answers;
* :mod:`.misbehaviour`: what each town sends instead (mostly in its stage post's thread);
* :mod:`.codings`: bombs, several gzip members, raw deflate, gzip header comments.

A second listener, the *mirror*, is the other host that the ``redirect`` town sends clients to;
it serves the same world without misbehaving and logs what it is sent (never a token).

Use::

    with HostileServer(max_body_bytes=4 * MIB) as server:
        town = server.world.by_behaviour("gzipbomb")
        ... capture with api_base=server.base_url and town.token in town.token_env ...
        server.requests        # what the instance was asked, and what it answered
        server.mirror_requests # what the other host was asked
"""

from __future__ import annotations

from typing import Self

from tests.fakes.hostile.api import HostileApi
from tests.fakes.hostile.codings import MIB
from tests.fakes.hostile.misbehaviour import MISBEHAVIOURS, warm
from tests.fakes.hostile.wire import Answer, Listener, Request
from tests.fakes.hostile.world import BROKEN, FOCUSED, NIGHT, ODD_BUT_FINE, Town, World
from tests.fakes.loopback import Running

__all__ = [
    "BROKEN",
    "FOCUSED",
    "MIB",
    "NIGHT",
    "ODD_BUT_FINE",
    "Answer",
    "HostileServer",
    "Request",
    "Town",
    "World",
]


class HostileServer(Running):
    """The hostile instance and its mirror, each on a port of 127.0.0.1 the OS chose."""

    def __init__(self, *, max_body_bytes: int = 4 * MIB) -> None:
        warm()
        self.world = World()
        self._mirror = Listener(HostileApi(self.world, lambda: self._mirror.base_url))
        self._main = Listener(
            HostileApi(
                self.world,
                lambda: self._main.base_url,
                mirror_url=lambda: self._mirror.base_url,
                misbehaviours=MISBEHAVIOURS,
                max_body_bytes=max_body_bytes,
            )
        )

    @property
    def base_url(self) -> str:
        return self._main.base_url

    @property
    def mirror_url(self) -> str:
        return self._mirror.base_url

    @property
    def requests(self) -> list[Request]:
        return list(self._main.requests)

    @property
    def mirror_requests(self) -> list[Request]:
        return list(self._mirror.requests)

    def towns(self, behaviours: tuple[str, ...] = NIGHT) -> list[Town]:
        return [self.world.by_behaviour(b) for b in behaviours]

    def start(self) -> Self:
        self._mirror.start()
        self._main.start()
        return self

    def stop(self) -> None:
        self._main.stop()
        self._mirror.stop()
