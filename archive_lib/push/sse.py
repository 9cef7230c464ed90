"""Server-sent events read from a byte stream that arrives in arbitrary chunks.

Follows the HTML Standard's event-stream rules as far as a client of Mastodon's streaming API
needs them: lines end in LF, CRLF or CR; a line starting with ``:`` is a comment (Mastodon's
``:)`` greeting and ``:thump`` heartbeat); ``event:`` names the event; ``data:`` lines are joined
with LF; a blank line ends the event. A field's value loses one leading space. Chunks may split
anywhere, a line, a CRLF or a UTF-8 sequence included (Mastodon writes ``event:`` and ``data:``
in separate writes). Each event keeps its exact bytes, for the archive.

Lines and events are bounded: a line longer than ``max_line`` or an event longer than
``max_event`` raises :class:`StreamTooLarge` (the caller reconnects), so a stream that never
sends a line end cannot fill memory.
"""

from __future__ import annotations

from dataclasses import dataclass

MAX_LINE = 1024 * 1024
MAX_EVENT = 4 * 1024 * 1024


@dataclass(frozen=True)
class SseEvent:
    """One dispatched event: its name (``message`` when none was given), data and raw bytes."""

    name: str
    data: str
    raw: bytes


class StreamTooLarge(Exception):
    """A line or an event exceeded its bound."""


class SseParser:
    """Feed chunks with :meth:`feed`; it returns the events each chunk completes."""

    def __init__(self, *, max_line: int = MAX_LINE, max_event: int = MAX_EVENT) -> None:
        self.max_line = max_line
        self.max_event = max_event
        self.comments = 0  # heartbeats and other comments seen
        self._buffer = b""
        self._raw: list[bytes] = []
        self._raw_size = 0
        self._name = ""
        self._data: list[str] = []
        self._cr_pending = False  # the last chunk ended in CR: an LF starting the next one belongs to it

    def feed(self, chunk: bytes) -> list[SseEvent]:
        events: list[SseEvent] = []
        if self._cr_pending and chunk.startswith(b"\n"):
            chunk = chunk[1:]  # the LF of a CRLF split between two chunks
            if self._raw:  # (after an event's last line it is not part of the next event)
                self._add_raw(b"\n")
        self._cr_pending = False
        self._buffer += chunk
        while True:
            end, width = _line_end(self._buffer)
            if end < 0:
                if len(self._buffer) > self.max_line:
                    raise StreamTooLarge(f"a line longer than {self.max_line} bytes")
                return events
            consumed, line = self._buffer[: end + width], self._buffer[:end]
            self._buffer = self._buffer[end + width :]
            self._cr_pending = consumed.endswith(b"\r") and not self._buffer
            self._add_raw(consumed)
            event = self._line(line)
            if event is not None:
                events.append(event)

    def _add_raw(self, data: bytes) -> None:
        self._raw.append(data)
        self._raw_size += len(data)
        if self._raw_size > self.max_event:
            raise StreamTooLarge(f"an event longer than {self.max_event} bytes")

    def _line(self, line: bytes) -> SseEvent | None:
        text = line.decode("utf-8", "replace")
        if not text:
            return self._dispatch()
        if text.startswith(":"):
            self.comments += 1
            if not self._data and not self._name:
                self._raw, self._raw_size = [], 0  # a comment between events is not part of one
            return None
        name, _, value = text.partition(":")
        if value.startswith(" "):
            value = value[1:]
        if name == "event":
            self._name = value
        elif name == "data":
            self._data.append(value)
        return None

    def _dispatch(self) -> SseEvent | None:
        raw = b"".join(self._raw)
        name, data = self._name, self._data
        self._raw, self._raw_size, self._name, self._data = [], 0, "", []
        if not data:
            return None  # the standard: an event without data is not dispatched
        return SseEvent(name or "message", "\n".join(data), raw)


def _line_end(buffer: bytes) -> tuple[int, int]:
    """Where the first line of ``buffer`` ends and how many bytes the line end takes; (-1, 0)."""
    lf, cr = buffer.find(b"\n"), buffer.find(b"\r")
    if cr < 0 and lf < 0:
        return -1, 0
    if cr < 0 or (0 <= lf < cr):
        return lf, 1
    if cr + 1 < len(buffer) and buffer[cr + 1 : cr + 2] == b"\n":
        return cr, 2
    return cr, 1
