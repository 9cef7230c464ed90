"""Documented Mastodon response bodies, and a shape check that keeps the fake honest.

The bodies are copied from /work/shared/reference/platform-apis.md section 4.3, which copied and
trimmed them from the sources named above each constant (long strings shortened with ``…``; keys,
nesting and value types unchanged). mastodon/documentation was read at commit
2903485da54a20f1da5e7dfb8b34712e6196e8f7 (2026-07-02). They contain no secrets.

:func:`shape_errors` compares a response with a reference body: every key of the reference must
be present with the same JSON type, recursively; ``null`` in the reference accepts anything, and
``null`` in the response is accepted where the entity documentation marks the attribute nullable
(:data:`NULLABLE`).
"""

from __future__ import annotations

from typing import Any

from tests.fakes import shape_check

# [doc] mastodon/documentation:content/en/entities/Status.md (example, trimmed in
# platform-apis.md; ``edited_at`` added there from the Mastodon.py cassette below).
STATUS: dict[str, Any] = {
    "id": "103270115826048975",
    "created_at": "2019-12-08T03:48:33.901Z",
    "edited_at": None,
    "in_reply_to_id": None,
    "in_reply_to_account_id": None,
    "sensitive": False,
    "spoiler_text": "",
    "visibility": "public",
    "language": "en",
    "uri": "https://mastodon.social/users/Gargron/statuses/103270115826048975",
    "url": "https://mastodon.social/@Gargron/103270115826048975",
    "replies_count": 5,
    "reblogs_count": 6,
    "favourites_count": 11,
    "quotes_count": 2,
    "content": (
        "<p>&quot;I lost my inheritance with one wrong digit on my sort code&quot;</p>"
        '<p><a href="https://www.theguardian.com/…" rel="nofollow noopener noreferrer" '
        'target="_blank"><span class="invisible">https://www.</span><span class="ellipsis">'
        'theguardian.com/money/2019/dec</span><span class="invisible">/07/…</span></a></p>'
    ),
    "reblog": None,
    "application": {"name": "Web", "website": None},
    "account": {
        "id": "1",
        "username": "Gargron",
        "acct": "Gargron",
        "display_name": "Eugen",
        "url": "https://mastodon.social/@Gargron",
        "bot": False,
        "created_at": "2016-03-16T14:34:26.392Z",
    },
    "media_attachments": [],
    "mentions": [],
    "tags": [],
    "emojis": [],
    "card": None,
    "poll": None,
    "quote": None,
}

# [doc] mastodon/documentation:content/en/entities/MediaAttachment.md (image example, trimmed).
MEDIA_ATTACHMENT: dict[str, Any] = {
    "id": "22345792",
    "type": "image",
    "url": (
        "https://files.mastodon.social/media_attachments/files/022/345/792/original/57859aede991da25.jpeg"
    ),
    "preview_url": (
        "https://files.mastodon.social/media_attachments/files/022/345/792/small/57859aede991da25.jpeg"
    ),
    "remote_url": None,
    "text_url": "https://mastodon.social/media/2N4uvkuUtPVrkZGysms",
    "meta": {
        "original": {"width": 640, "height": 480, "size": "640x480", "aspect": 1.3333333333333333},
        "focus": {"x": -0.27, "y": 0.51},
    },
    "description": "test media description",
    "blurhash": "UFBWY:8_0Jxv4mx]t8t64.%M-:IUWGWAt6M}",
}

# [fixture] halcy/Mastodon.py:tests/cassettes/test_fetch_next_previous.yaml — first element of
# ``GET /api/v1/accounts/117020565966271181/statuses?limit=5`` (a user token reading its own
# statuses, hence ``pinned`` and ``filtered``). The trimmed account's ``"…": "…"`` placeholder
# key is left out.
LISTING_ELEMENT: dict[str, Any] = {
    "id": "117020580518794573",
    "created_at": "2026-08-01T13:52:34.108Z",
    "in_reply_to_id": None,
    "in_reply_to_account_id": None,
    "sensitive": True,
    "spoiler_text": "",
    "visibility": "unlisted",
    "language": "en",
    "uri": "http://localhost:3000/ap/users/117020565966271181/statuses/117020580518794573",
    "url": "http://localhost:3000/@mastodonpy_test/117020580518794573",
    "replies_count": 0,
    "reblogs_count": 0,
    "favourites_count": 0,
    "quotes_count": 0,
    "edited_at": None,
    "pinned": False,
    "content": "<p>Toot number 9!</p>",
    "filtered": [],
    "reblog": None,
    "application": {"name": "Mastodon.py test suite", "website": None},
    "account": {
        "id": "117020565966271181",
        "username": "mastodonpy_test",
        "acct": "mastodonpy_test",
    },
    "media_attachments": [],
    "mentions": [],
    "tags": [],
    "emojis": [],
    "quote": None,
    "card": None,
    "poll": None,
}

# Same cassette: the response headers of that listing (values illustrative of the format).
LISTING_HEADERS: dict[str, str] = {
    "link": (
        "<http://localhost:3000/api/v1/accounts/117020565966271181/statuses?limit=5&"
        'max_id=117020580489281910>; rel="next", <http://localhost:3000/api/v1/accounts/'
        '117020565966271181/statuses?limit=5&min_id=117020580518794573>; rel="prev"'
    ),
    "x-ratelimit-limit": "300",
    "x-ratelimit-remaining": "299",
    "x-ratelimit-reset": "2026-08-01T13:55:00.029100Z",
}

# [doc] mastodon/documentation:content/en/methods/statuses.md, "Get parent and child statuses
# in context" (statuses trimmed to their first four attributes in the docs themselves).
CONTEXT: dict[str, Any] = {
    "ancestors": [
        {
            "id": "103188938570975982",
            "created_at": "2019-11-23T19:44:00.124Z",
            "in_reply_to_id": None,
            "in_reply_to_account_id": None,
        }
    ],
    "descendants": [
        {
            "id": "103189026958574542",
            "created_at": "2019-11-23T20:06:36.011Z",
            "in_reply_to_id": "103189005915505698",
            "in_reply_to_account_id": "634458",
        }
    ],
}

# [doc] mastodon/documentation:content/en/methods/statuses.md, "View edit history of a status"
# (StatusEdit has no ``id``; oldest first). HISTORY_POLL_ELEMENT is a later element of the same
# example, after a poll was added by an edit.
HISTORY: list[dict[str, Any]] = [
    {
        "content": "<p>this is a status that will be edited</p>",
        "spoiler_text": "",
        "sensitive": False,
        "created_at": "2022-09-04T23:22:13.704Z",
        "account": {"id": "14715", "username": "trwnh", "acct": "trwnh"},
        "media_attachments": [],
        "emojis": [],
    },
    {
        "content": "<p>this is a status that has been edited</p>",
        "spoiler_text": "",
        "sensitive": False,
        "created_at": "2022-09-04T23:22:42.555Z",
        "account": {"id": "14715", "username": "trwnh", "acct": "trwnh"},
        "media_attachments": [],
        "emojis": [],
    },
]
HISTORY_POLL_ELEMENT: dict[str, Any] = {
    "content": ("<p>this is a status that has been edited three times. this time a poll has been added.</p>"),
    "spoiler_text": "",
    "sensitive": False,
    "created_at": "2022-09-05T00:01:48.160Z",
    "poll": {"options": [{"title": "cool"}, {"title": "uncool"}, {"title": "spiderman"}]},
    "account": {"id": "14715", "username": "trwnh", "acct": "trwnh"},
    "media_attachments": [],
    "emojis": [],
}

# [doc] mastodon/documentation:content/en/entities/Status.md — the example's ``account``
# (fields trimmed to the attributes every Mastodon 4.x server sends to anonymous readers).
ACCOUNT: dict[str, Any] = {
    "id": "1",
    "username": "Gargron",
    "acct": "Gargron",
    "display_name": "Eugen",
    "locked": False,
    "bot": False,
    "discoverable": True,
    "group": False,
    "created_at": "2016-03-16T14:34:26.392Z",
    "note": "<p>Developer of Mastodon and administrator of mastodon.social. …</p>",
    "url": "https://mastodon.social/@Gargron",
    "avatar": "https://files.mastodon.social/accounts/avatars/000/000/001/original/d96d39a0abb45b92.jpg",
    "avatar_static": (
        "https://files.mastodon.social/accounts/avatars/000/000/001/original/d96d39a0abb45b92.jpg"
    ),
    "header": "https://files.mastodon.social/accounts/headers/000/000/001/original/c91b871f294ea63e.png",
    "header_static": (
        "https://files.mastodon.social/accounts/headers/000/000/001/original/c91b871f294ea63e.png"
    ),
    "followers_count": 322930,
    "following_count": 459,
    "statuses_count": 61323,
    "last_status_at": "2019-12-10T08:14:44.811Z",
    "emojis": [],
    "fields": [
        {
            "name": "Patreon",
            "value": '<a href="https://www.patreon.com/mastodon" rel="me nofollow noopener '
            'noreferrer" target="_blank"><span class="invisible">https://www.</span>'
            '<span class="">patreon.com/mastodon</span><span class="invisible"></span></a>',
            "verified_at": None,
        }
    ],
}

# [doc] mastodon/documentation:content/en/entities/Error.md and methods/statuses.md (404);
# [src] mastodon/mastodon:config/initializers/rack_attack.rb (429 body).
NOT_FOUND: dict[str, Any] = {"error": "Record not found"}
TOO_MANY_REQUESTS: dict[str, Any] = {"error": "Too many requests"}

# Attributes the entity pages mark nullable (or that are null in real responses when a value is
# absent): a response may carry null there even though the reference shows a value.
NULLABLE = frozenset(
    {
        "in_reply_to_id",
        "in_reply_to_account_id",
        "edited_at",
        "reblog",
        "language",
        "url",
        "application",
        "website",
        "card",
        "poll",
        "quote",
        "remote_url",
        "text_url",
        "preview_url",
        "description",
        "blurhash",
        "meta",
        "last_status_at",
        "verified_at",
        "image",
    }
)


def shape_errors(actual: Any, reference: Any, path: str = "$", *, require_examples: bool = True) -> list[str]:
    """Where ``actual`` lacks a key of ``reference`` or has another JSON type; empty if it conforms.

    The shared check of :mod:`tests.fakes.shape_check` with Mastodon's nullable keys.
    """
    return shape_check.shape_errors(
        actual, reference, path, nullable=NULLABLE, require_examples=require_examples
    )
