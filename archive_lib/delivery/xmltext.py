"""Text for XML documents: every value written as a character XML 1.0 can hold.

Platform values may hold control characters or lone surrogates that no XML document can carry;
they are written as ``\\uXXXX`` escapes, so the document stays well-formed and the value
readable. Element trees are built with :mod:`xml.etree.ElementTree`, which escapes markup.
"""

from __future__ import annotations

import re

_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(value: object) -> str:
    """``str(value)`` with every character XML 1.0 cannot hold written as an escape."""
    return _NOT_XML.sub(lambda m: f"\\u{ord(m[0]):04x}", str(value))
