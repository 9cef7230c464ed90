"""Documented Graph API response bodies (Facebook Pages, Instagram), to keep the fake honest.

Copied from /work/shared/reference/platform-apis.md sections 1.3-1.6 and 2.3-2.4, which copied
and trimmed them from the sources named above each constant (long strings shortened with ``…``;
keys, nesting and value types unchanged). The ``debug_token`` body is the one in Meta's
"Debugging access tokens" guide (developers.facebook.com/docs/facebook-login/guides/access-tokens/debugging).
The tokens in them are the fixtures' own placeholders (``access_token=access_token``).

The shape check is :func:`tests.fakes.mastodon_reference.shape_errors`: every key of the
reference must be in the response with the same JSON type, recursively.
"""

from __future__ import annotations

from typing import Any

from tests.fakes.mastodon_reference import shape_errors

__all__ = ["shape_errors"]

# [fixture] sns-sdks/python-facebook:testdata/facebook/apidata/posts/feeds_default_fields_p1.json
FEED_PAGE: dict[str, Any] = {
    "data": [
        {
            "id": "19292868552_10158349356748553",
            "message": "Singaporean logistics company Ninja Van …",
            "created_time": "2021-07-09T19:09:52+0000",
            "updated_time": "2021-07-12T01:03:23+0000",
            "permalink_url": "https://www.facebook.com/19292868552/posts/10158349356748553/",
            "status_type": "added_photos",
            "full_picture": "https://scontent-ssn1-1.xx.fbcdn.net/v/t1.6435-9/p720x720/2118…_n.jpg?…",
            "shares": {"count": 10},
            "attachments": {
                "data": [
                    {
                        "media_type": "photo",
                        "type": "photo",
                        "media": {
                            "image": {
                                "height": 720,
                                "src": "https://scontent-ssn1-1.xx.fbcdn.net/…",
                                "width": 720,
                            }
                        },
                        "target": {
                            "id": "10158349355013553",
                            "url": "https://www.facebook.com/FacebookforDevelopers/photos/a.441861428552/10158349355013553/?type=3",
                        },
                        "url": "https://www.facebook.com/FacebookforDevelopers/photos/…/?type=3",
                    }
                ]
            },
            "comments": {
                "data": [],
                "summary": {"order": "chronological", "total_count": 13, "can_comment": True},
            },
            "reactions": {"data": [], "summary": {"total_count": 125, "viewer_reaction": "NONE"}},
        }
    ],
    "paging": {
        "cursors": {"before": "before", "after": "after"},
        "next": "https://graph.facebook.com/v10.0/19292868552/feed?access_token=access_token&pretty=0&fields=…&limit=5&after=after",
    },
}

# [fixture] sns-sdks/python-facebook:testdata/facebook/apidata/posts/feed_fields_p1.json (time-based)
TIME_PAGE: dict[str, Any] = {
    "data": [
        {
            "id": "4_10113477241177441",
            "message": "Happy July 4th! 🇺🇸",
            "created_time": "2021-07-04T19:50:58+0000",
        }
    ],
    "paging": {
        "previous": "https://graph.facebook.com/v10.0/4/posts?access_token=access_token&pretty=0"
        "&fields=id%2Cmessage%2Ccreated_time&__previous=1&since=1625428258&until&__paging_token=__paging_token",
        "next": "https://graph.facebook.com/v10.0/4/posts?access_token=access_token&pretty=0"
        "&fields=id%2Cmessage%2Ccreated_time&until=1624385168&since&__paging_token=__paging_token&__previous",
    },
}

# [fixture] sns-sdks/python-facebook:testdata/facebook/apidata/comments/comments_p1.json
COMMENTS_PAGE: dict[str, Any] = {
    "data": [
        {
            "comment_count": 2,
            "created_time": "2021-08-10T19:38:44+0000",
            "like_count": 0,
            "message": "Can someone from Instagram please assist me …",
            "permalink_url": "https://www.facebook.com/19292868552/posts/10158407654328553/?comment_id=10158407903973553",
        }
    ],
    "paging": {
        "cursors": {"before": "before", "after": "after"},
        "next": "https://graph.facebook.com/v11.0/19292868552_10158407654328553/comments?access_token=access_token&…",
    },
    "summary": {"order": "chronological", "total_count": 18, "can_comment": True},
}

# [fixture] sns-sdks/python-facebook:testdata/facebook/models/comment.json
COMMENT: dict[str, Any] = {
    "id": "2954961744718970_2966313500250461",
    "message": "My Nice Car ",
    "created_time": "2021-07-23T08:35:18+0000",
    "from": {"name": "Kun Liu", "id": "2711636948859886"},
    "comment_count": 0,
    "like_count": 0,
    "is_hidden": False,
    "is_private": False,
    "can_comment": True,
    "can_hide": True,
    "can_remove": True,
    "permalink_url": "https://www.facebook.com/2121008874780932/posts/2954961744718970/?comment_id=2966313500250461",
    "attachment": {
        "type": "photo",
        "media": {"image": {"height": 403, "src": "https://scontent-gmp1-1.xx.fbcdn.net/…", "width": 720}},
        "target": {
            "id": "909150133277173",
            "url": "https://www.facebook.com/photo.php?fbid=909150133277173&…",
        },
        "url": "https://www.facebook.com/photo.php?fbid=909150133277173&…",
    },
}

# [doc] developers.facebook.com/docs/graph-api/guides/error-handling
ERROR: dict[str, Any] = {
    "error": {
        "message": "Message describing the error",
        "type": "OAuthException",
        "code": 190,
        "error_subcode": 460,
        "fbtrace_id": "EJplcsCHuLu",
    }
}

# [issue] facebook/facebook-nodejs-business-sdk#97
THROTTLED: dict[str, Any] = {
    "error": {
        "message": "(#4) Application request limit reached",
        "type": "OAuthException",
        "is_transient": True,
        "code": 4,
        "fbtrace_id": "FlQgl+5U8pF",
    }
}

# platform-apis.md 1.5 (deleted object)
GONE: dict[str, Any] = {
    "error": {
        "message": "Unsupported get request. Object with ID '540404695989874_1615521528478180' "
        "does not exist, …",
        "type": "GraphMethodException",
        "code": 100,
        "error_subcode": 33,
        "fbtrace_id": "AOnt4Qsn1QWbXFTzrVVBhV0",
    }
}

# [doc] the rate-limiting page (percentages, BUC keyed by the object id)
APP_USAGE: dict[str, Any] = {"call_count": 28, "total_time": 25, "total_cputime": 25}
BUC_USAGE: dict[str, Any] = {
    "19292868552": [
        {
            "type": "pages",
            "call_count": 100,
            "total_cputime": 25,
            "total_time": 25,
            "estimated_time_to_regain_access": 19,
        }
    ]
}

# [doc] debugging access tokens (the API endpoint's answer)
DEBUG_TOKEN: dict[str, Any] = {
    "data": {
        "app_id": "{app-id}",
        "type": "USER",
        "application": "{app-name}",
        "data_access_expires_at": 1576687825,
        "expires_at": 1570820400,
        "is_valid": True,
        "scopes": ["pages_show_list", "public_profile"],
        "granular_scopes": [{"scope": "pages_show_list", "target_ids": ["{page-1-app-can-access-id}"]}],
        "user_id": "10215241773831025",
    }
}

# [fixture] sns-sdks/python-facebook:testdata/instagram/apidata/users/medias_p1.json
IG_MEDIA_PAGE: dict[str, Any] = {
    "data": [
        {
            "id": "17896622936197745",
            "comments_count": 6,
            "like_count": 2,
            "media_type": "IMAGE",
            "media_url": "https://scontent-gmp1-1.cdninstagram.com/v/t51.29350-15/236077088_…_n.jpg?…",
            "permalink": "https://www.instagram.com/p/CSgdWACBeKr/",
            "timestamp": "2021-08-13T08:02:40+0000",
        }
    ],
    "paging": {
        "cursors": {"before": "before", "after": "after"},
        "next": "https://graph.facebook.com/v6.0/17841406338772941/media?access_token=access_token&…&limit=2&after=after",
    },
}

# [fixture] sns-sdks/python-facebook:testdata/instagram/apidata/medias/comments_p1.json
IG_COMMENTS_PAGE: dict[str, Any] = {
    "data": [{"timestamp": "2020-06-01T10:56:52+0000", "text": "Beautiful!", "id": "17858154961981086"}],
    "paging": {
        "cursors": {"after": "after"},
        "next": "https://graph.facebook.com/v11.0/17846368219941692/comments?access_token=access_token&pretty=0&limit=2&after=after",
    },
}

# [fixture] sns-sdks/python-facebook:testdata/instagram/models/ig_comment.json
IG_COMMENT: dict[str, Any] = {
    "id": "17892250648466172",
    "text": "@ikroskun  Hey, guys",
    "timestamp": "2020-02-24T09:15:16+0000",
    "username": "ikroskun",
    "like_count": 1,
    "hidden": False,
    "media": {"id": "17846368219941692"},
    "user": {"id": "17841406338772941"},
    "replies": {
        "data": [
            {"timestamp": "2020-02-24T09:18:08+0000", "text": "@ikroskun Nice", "id": "17845747489952795"}
        ]
    },
}

# [fixture] sns-sdks/python-facebook:testdata/instagram/apidata/comments/replies.json
IG_REPLIES: dict[str, Any] = {
    "data": [
        {"timestamp": "2020-08-07T03:30:06+0000", "text": "@lixiangguodu123 nihao", "id": "17847314687296283"}
    ]
}

# [issue] jstolpe/blog_code#4
IG_GONE: dict[str, Any] = {
    "error": {
        "message": "Unsupported get request. Object with ID 'MEDIA-ID' does not exist, cannot be loaded "
        "due to missing permissions, or does not support this operation",
        "type": "IGApiException",
        "code": 100,
        "error_subcode": 33,
        "fbtrace_id": "AkLl12hQO-eJrTGPABAL-o6",
    }
}
