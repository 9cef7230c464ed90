"""Next-page markers of one listing walk, so that no listing can loop forever."""

from __future__ import annotations

from archive_lib.errors import PaginationLoopError


class PageTrail:
    """The next-page markers of one listing walk (URLs, cursors, page tokens).

    Every connector follows its platform's next page through one of these: a marker offered a
    second time means the listing loops (a ``Link: next`` pointing at itself, a cursor that comes
    back) and the walk cannot be complete, so it ends with :class:`PaginationLoopError` rather
    than asking again forever.
    """

    def __init__(self, listing: str) -> None:
        self._listing = listing
        self._seen: set[str] = set()

    def follow(self, marker: str) -> str:
        """``marker``, which must not have been followed before in this walk."""
        if marker in self._seen:
            raise PaginationLoopError(
                f"{self._listing}: the platform repeated a next-page cursor ({marker[:80]!r});"
                " the listing is incomplete"
            )
        self._seen.add(marker)
        return marker
