"""Graph API error answers of the fake: the envelope, and the 100/33 of a deleted object."""

from __future__ import annotations

import base64
from typing import Any

Body = dict[str, Any]


class GraphFailure(Exception):
    """An error answer: HTTP status and Graph error object."""

    def __init__(self, status: int, error: Body) -> None:
        super().__init__(error.get("message"))
        self.status = status
        self.error = error


def graph_error(
    code: int, message: str, *, kind: str = "OAuthException", subcode: int | None = None, **extra: Any
) -> Body:
    error: Body = {"message": message, "type": kind, "code": code}
    if subcode is not None:
        error["error_subcode"] = subcode
    error.update(extra)
    error["fbtrace_id"] = base64.urlsafe_b64encode(f"trace{code}{subcode}".encode()).decode()[:11]
    return error


def gone(object_id: str, kind: str = "GraphMethodException") -> GraphFailure:
    return GraphFailure(
        400,
        graph_error(
            100,
            f"Unsupported get request. Object with ID '{object_id}' does not exist, cannot be loaded due to "
            "missing permissions, or does not support this operation. Please read the Graph API "
            "documentation at https://developers.facebook.com/docs/graph-api",
            kind=kind,
            subcode=33,
        ),
    )
