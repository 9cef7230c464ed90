"""Platform values in URL paths: one rule for every connector.

An id, a handle or a record key comes from the platform (or the inventory) and may hold any
character. Put into a path as it is, ``../../admin`` walks the URL up and ``a/b`` adds a segment;
:func:`segment` makes any value exactly one path segment, or refuses it.
"""

from __future__ import annotations

from urllib.parse import quote

from archive_lib.errors import ProtocolError


def segment(value: object, *, keep: str = "") -> str:
    """``value`` as one URL path segment: every reserved character percent-encoded, ``/`` too.

    ``keep`` may name characters a segment can hold as they are (RFC 3986 ``pchar``: ``:``,
    ``@``) where a readable URL matters more than a uniform one (a DID in a profile URL).

    An empty value, ``.`` and ``..`` cannot be one segment (servers and clients remove dot
    segments, RFC 3986 section 5.2.4, even when percent-encoded): they raise
    :class:`~archive_lib.errors.ProtocolError`, as any other answer that breaks the platform's
    documented API.
    """
    text = str(value)
    if text in ("", ".", ".."):
        raise ProtocolError(f"{text!r} cannot be a URL path segment")
    if set(keep) - set(":@"):
        raise ValueError(f"a path segment cannot keep {keep!r} unencoded")
    return quote(text, safe=keep)
