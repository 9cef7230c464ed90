"""Documented Bluesky AppView bodies, for the fake's contract test.

Copied from /work/shared/reference/platform-apis.md sections 5.3-5.5: the thread from
MarshalX/atproto's test data (``tests/models/test_data/thread_view_post_with_embed_media.json``),
the author feed envelope from the lexicon with values from real responses quoted in
bluesky-social/atproto#2616 and #2134, the error bodies from the AppView's code. Long strings
are shortened with ``…``; keys, nesting and value types unchanged; the trimmed feed's
``"…": "…"`` placeholder keys are left out. They contain no secrets. Check a fake response with
:func:`tests.fakes.shape_check.shape_errors`.
"""

from __future__ import annotations

from typing import Any

THREAD: dict[str, Any] = {
    "thread": {
        "$type": "app.bsky.feed.defs#threadViewPost",
        "post": {
            "uri": "at://did:plc:kvwvcn5iqfooopmyzvb4qzba/app.bsky.feed.post/3kaheyt6vpc22",
            "cid": "bafyreigb666sdjyyaczcahxmf5tzh7dec6bwr3nhdab7llebn7vhsxzgr4",
            "author": {
                "did": "did:plc:kvwvcn5iqfooopmyzvb4qzba",
                "handle": "test.marshal.dev",
                "displayName": "I love Python 3",
                "avatar": "https://cdn.bsky.app/img/avatar/plain/did:plc:kvwvcn5iqfooopmyzvb4qzba/bafkreicwq…@jpeg",
                "viewer": {"muted": False, "blockedBy": False},
                "labels": [],
            },
            "record": {
                "$type": "app.bsky.feed.post",
                "text": "",
                "langs": ["en"],
                "createdAt": "2023-09-28T12:49:36.735Z",
                "embed": {
                    "$type": "app.bsky.embed.recordWithMedia",
                    "media": {
                        "$type": "app.bsky.embed.images",
                        "images": [
                            {
                                "alt": "",
                                "image": {
                                    "$type": "blob",
                                    "ref": {"$link": "bafkreic3cp5ky525…"},
                                    "mimeType": "image/jpeg",
                                    "size": 474482,
                                },
                            }
                        ],
                    },
                    "record": {
                        "$type": "app.bsky.embed.record",
                        "record": {
                            "cid": "bafyreier7l7l33k…",
                            "uri": "at://did:plc:kvwvcn5iqfooopmyzvb4qzba/app.bsky.feed.post/3kahesw26il2z",
                        },
                    },
                },
            },
            "embed": {
                "$type": "app.bsky.embed.recordWithMedia#view",
                "media": {
                    "$type": "app.bsky.embed.images#view",
                    "images": [
                        {
                            "thumb": "https://cdn.bsky.app/img/feed_thumbnail/plain/did:plc:…/bafkreic3…@jpeg",
                            "fullsize": "https://cdn.bsky.app/img/feed_fullsize/plain/did:plc:…/bafkreic3…@jpeg",
                            "alt": "",
                        }
                    ],
                },
                "record": {
                    "record": {
                        "$type": "app.bsky.embed.record#viewRecord",
                        "uri": "at://…/3kahesw26il2z",
                        "cid": "bafyreier7l7l33k…",
                        "author": {"did": "did:plc:kvwvcn5iqfooopmyzvb4qzba", "handle": "test.marshal.dev"},
                        "value": {
                            "text": "test",
                            "$type": "app.bsky.feed.post",
                            "langs": ["en"],
                            "createdAt": "2023-09-28T12:46:18.414Z",
                        },
                        "labels": [],
                        "indexedAt": "2023-09-28T12:46:18.414Z",
                        "embeds": [],
                    }
                },
            },
            "replyCount": 0,
            "repostCount": 0,
            "likeCount": 0,
            "indexedAt": "2023-09-28T12:49:36.735Z",
            "viewer": {},
            "labels": [],
        },
        "replies": [],
    }
}

AUTHOR_FEED: dict[str, Any] = {
    "cursor": "2024-06-28T02:59:07.446Z",
    "feed": [
        {
            "post": {
                "uri": "at://did:plc:4hqjfn7m6n5hno3doamuhgef/app.bsky.feed.post/3k3m7m74adt2g",
                "cid": "bafyreie53epntbfpgak7fv2vu2kwp4dffo4aqrqtfvrhiunhvull5ysoki",
                "author": {
                    "did": "did:plc:4hqjfn7m6n5hno3doamuhgef",
                    "handle": "yui.syui.ai",
                    "displayName": "ai",
                    "viewer": {"muted": False, "blockedBy": False},
                    "labels": [],
                },
                "record": {
                    "$type": "app.bsky.feed.post",
                    "createdAt": "2023-07-28T19:50:24.437Z",
                    "text": "…",
                    "reply": {
                        "parent": {"cid": "bafyreie2iwqnn4mct4xrqrbh…", "uri": "at://…"},
                        "root": {"cid": "…", "uri": "at://…"},
                    },
                },
                "replyCount": 0,
                "repostCount": 0,
                "likeCount": 0,
                "indexedAt": "2023-07-28T19:50:24.437Z",
                "labels": [],
            },
            "reply": {
                "root": {"$type": "app.bsky.feed.defs#postView"},
                "parent": {"$type": "app.bsky.feed.defs#postView"},
            },
        }
    ],
}

NOT_FOUND: dict[str, Any] = {"error": "NotFound", "message": "Post not found: at://…"}
PROFILE_NOT_FOUND: dict[str, Any] = {"error": "InvalidRequest", "message": "Profile not found"}
RATE_LIMITED: dict[str, Any] = {"error": "RateLimitExceeded", "message": "Rate Limit Exceeded"}
DELETED_PARENT: dict[str, Any] = {
    "$type": "app.bsky.feed.defs#notFoundPost",
    "uri": "at://…",
    "notFound": True,
}
BLOCKED: dict[str, Any] = {
    "$type": "app.bsky.feed.defs#blockedPost",
    "uri": "at://…",
    "blocked": True,
    "author": {"did": "did:plc:…"},
}
RATE_LIMIT_HEADERS = ("RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset", "RateLimit-Policy")
