"""Graph API field expansion, as the fake Graph server parses it.

``fields=id,from{id,name},comments.filter(stream).limit(0).summary(true){id,message},attachments``
becomes a list of :class:`Field`: a name, optional nested fields (braces) and modifiers
(``.summary(true)``, ``.limit(0)``, ``.filter(stream)``, ``.order(…)``, ``.as(alias)``), in either
order (``comments{id}.limit(5)`` is accepted too, as Graph does).
"""

from __future__ import annotations

from dataclasses import dataclass, field


class FieldSyntaxError(ValueError):
    """The ``fields`` parameter does not parse (Graph answers error 100)."""


@dataclass
class Field:
    name: str
    children: list[Field] | None = None
    modifiers: dict[str, str] = field(default_factory=dict)

    @property
    def key(self) -> str:
        """The name the field has in the response (``.as(alias)`` renames it)."""
        return self.modifiers.get("as", self.name)


def parse_fields(text: str) -> list[Field]:
    """Parse a ``fields`` value; raises :class:`FieldSyntaxError`."""
    parser = _Parser(text)
    fields = parser.list()
    if parser.pos != len(text):
        raise FieldSyntaxError(f"unexpected {text[parser.pos]!r} at {parser.pos} in fields")
    return fields


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def list(self) -> list[Field]:
        out = [self.item()]
        while self.peek() == ",":
            self.pos += 1
            out.append(self.item())
        return out

    def name(self) -> str:
        start = self.pos
        while self.peek() and (self.peek().isalnum() or self.peek() in "_"):
            self.pos += 1
        if start == self.pos:
            raise FieldSyntaxError(f"expected a field name at {start}")
        return self.text[start : self.pos]

    def item(self) -> Field:
        item = Field(self.name().strip())
        while self.peek() in (".", "{"):
            if self.peek() == "{":
                self.pos += 1
                item.children = self.list()
                if self.peek() != "}":
                    raise FieldSyntaxError(f"unclosed brace at {self.pos}")
                self.pos += 1
            else:
                self.pos += 1
                modifier = self.name()
                if self.peek() != "(":
                    raise FieldSyntaxError(f"expected ( after .{modifier}")
                end = self.text.find(")", self.pos)
                if end < 0:
                    raise FieldSyntaxError(f"unclosed ( after .{modifier}")
                item.modifiers[modifier] = self.text[self.pos + 1 : end]
                self.pos = end + 1
        return item
