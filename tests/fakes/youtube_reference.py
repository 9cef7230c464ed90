"""Documented YouTube Data API v3 bodies, for the fake's contract test.

Copied from /work/shared/reference/platform-apis.md sections 3.3 and 3.5, which copied and
trimmed them from sns-sdks/python-youtube's test data (``testdata/apidata/…``) and a real
quota error quoted in bperel/youtube-caption-indicator#1 (long strings shortened with ``…``;
keys, nesting and value types unchanged). They contain no secrets. Check a fake response with
:func:`tests.fakes.shape_check.shape_errors`.
"""

from __future__ import annotations

from typing import Any

# testdata/apidata/channels/info.json + modeldata/channels/channel_content_details.json
CHANNELS: dict[str, Any] = {
    "kind": "youtube#channelListResponse",
    "etag": "DovVRc4nTNzGShQkXoC7R2ab3JQ",
    "pageInfo": {"totalResults": 1, "resultsPerPage": 5},
    "items": [
        {
            "kind": "youtube#channel",
            "etag": "Cxi25U626ZmPs7h8MsS4D8GzfV8",
            "id": "UC_x5XG1OV2P6uZZ5FSM9Ttw",
            "snippet": {
                "title": "Google Developers",
                "customUrl": "@googledevelopers",
                "publishedAt": "2007-08-23T00:34:43Z",
                "country": "US",
                "thumbnails": {"default": {"url": "https://yt3.ggpht.com/…", "width": 88, "height": 88}},
            },
            "contentDetails": {"relatedPlaylists": {"uploads": "UU_x5XG1OV2P6uZZ5FSM9Ttw"}},
        }
    ],
}

# testdata/apidata/playlist_items/playlist_items_paged_1.json, with the item's contentDetails
# from modeldata/playlist_items/playlist_item_content_details.json
PLAYLIST_ITEMS: dict[str, Any] = {
    "kind": "youtube#playlistItemListResponse",
    "etag": '"j6xRRd8dTPVVptg711_CSPADRfg/P4kQiZH0w8ID3LMajA0LjTQAypg"',
    "nextPageToken": "CAoQAA",
    "pageInfo": {"totalResults": 13, "resultsPerPage": 10},
    "items": [
        {
            "kind": "youtube#playlistItem",
            "etag": '"j6xRRd8dTPVVptg711_CSPADRfg/Qq9nexxDsu-O8I8Z-OYt-i7VhGw"',
            "id": "UExPVTJYTFl4bXNJS3BhVjhoMEFHRTA1c28wZkF3d2ZUdy41NkI0NEY2RDEwNTU3Q0M2",
            "snippet": {
                "publishedAt": "2019-11-21T22:17:43.000Z",
                "channelId": "UC_x5XG1OV2P6uZZ5FSM9Ttw",
                "title": "Welcome from Google Developers - Pittsburgh ML Summit ‘19",
                "description": "Kyle Paul, …",
                "thumbnails": {
                    "default": {
                        "url": "https://i.ytimg.com/vi/CvTApw9X8aA/default.jpg",
                        "width": 120,
                        "height": 90,
                    }
                },
                "channelTitle": "Google Developers",
                "playlistId": "PLOU2XLYxmsIKpaV8h0AGE05so0fAwwfTw",
                "position": 0,
                "resourceId": {"kind": "youtube#video", "videoId": "CvTApw9X8aA"},
            },
            "contentDetails": {"videoId": "D-lhorsDlUQ", "videoPublishedAt": "2019-03-21T20:37:49.000Z"},
        }
    ],
}

# modeldata/videos/video_api_response.json: counts are strings. ``dislikeCount`` is left out:
# YouTube stopped returning it to public callers in December 2021 (platform-apis.md 3.3).
VIDEO_STATISTICS: dict[str, Any] = {
    "statistics": {"viewCount": "7920", "likeCount": "190", "favoriteCount": "0", "commentCount": "32"}
}

# testdata/apidata/comment_threads/comment_threads_by_video_paged_1.json
COMMENT_THREADS: dict[str, Any] = {
    "kind": "youtube#commentThreadListResponse",
    "etag": '"j6xRRd8dTPVVptg711_CSPADRfg/mj64hlcyhnGGcJWAccdWisvf8MY"',
    "nextPageToken": "QURTSl9pMzdZOUVzMkI0czlmRmNjSVBPcTBTdzVzajUy…",
    "pageInfo": {"totalResults": 5, "resultsPerPage": 5},
    "items": [
        {
            "kind": "youtube#commentThread",
            "etag": '"j6xRRd8dTPVVptg711_CSPADRfg/-kLX-6-yrqngKqYMS46dOtyqEUE"',
            "id": "UgyZ1jqkHKYvi1-ruOZ4AaABAg",
            "snippet": {
                "videoId": "F1UP7wRCPH8",
                "topLevelComment": {
                    "kind": "youtube#comment",
                    "etag": '"j6xRRd8dTPVVptg711_CSPADRfg/qVtEMtZJzm2E2_ThbD7t3KLAsWc"',
                    "id": "UgyZ1jqkHKYvi1-ruOZ4AaABAg",
                    "snippet": {
                        "authorDisplayName": "himani agarwal",
                        "authorProfileImageUrl": "https://yt3.ggpht.com/a/AGF-l78…=s48-c-k-c0xffffffff-no-rj-mo",
                        "authorChannelUrl": "http://www.youtube.com/channel/UCzj-CjKYmGlZ7vTL-vOe57A",
                        "authorChannelId": {"value": "UCzj-CjKYmGlZ7vTL-vOe57A"},
                        "videoId": "F1UP7wRCPH8",
                        "textDisplay": '<a href="http://google.com/">Google.com</a>',
                        "textOriginal": "Google.com",
                        "canRate": True,
                        "viewerRating": "none",
                        "likeCount": 0,
                        "publishedAt": "2019-11-26T15:51:44.000Z",
                        "updatedAt": "2019-11-26T15:51:44.000Z",
                    },
                },
                "canReply": True,
                "totalReplyCount": 0,
                "isPublic": True,
            },
        }
    ],
}

# testdata/apidata/comments/comments_by_parent_paged_1.json (pageInfo has no totalResults)
COMMENTS_BY_PARENT: dict[str, Any] = {
    "kind": "youtube#commentListResponse",
    "etag": '"j6xRRd8dTPVVptg711_CSPADRfg/WG_t4MaQHNzJKOhVkfr0prByYcE"',
    "nextPageToken": "R0FJeVZnbzBJTl9zNXRxNXlPWUNNaWtRQUJpQ3RNeW4wcFBtQWlBQktBTXdD…",
    "pageInfo": {"resultsPerPage": 2},
    "items": [
        {
            "kind": "youtube#comment",
            "etag": '"j6xRRd8dTPVVptg711_CSPADRfg/MKybcC4eKVsCy4dNSdJpsCB2f9I"',
            "id": "Ugw5zYU6n9pmIgAZWvN4AaABAg.91zT3cYb5B291za6voUoRh",
            "snippet": {
                "authorDisplayName": "kun liu",
                "authorChannelId": {"value": "UCNvMBmCASzTNNX8lW3JRMbw"},
                "textDisplay": "this is the third reply!",
                "textOriginal": "this is the third reply!",
                "parentId": "Ugw5zYU6n9pmIgAZWvN4AaABAg",
                "canRate": True,
                "viewerRating": "none",
                "likeCount": 0,
                "publishedAt": "2019-12-01T04:46:31.000Z",
                "updatedAt": "2019-12-01T04:46:31.000Z",
            },
        }
    ],
}

# testdata/error_response.json
ERROR_KEY_INVALID: dict[str, Any] = {
    "error": {
        "errors": [{"domain": "usageLimits", "reason": "keyInvalid", "message": "Bad Request"}],
        "code": 400,
        "message": "Bad Request",
    }
}

# bperel/youtube-caption-indicator#1 (a real response body)
ERROR_QUOTA: dict[str, Any] = {
    "error": {
        "code": 403,
        "message": "The request cannot be completed because you have exceeded your "
        '<a href="/youtube/v3/getting-started#quota">quota</a>.',
        "errors": [
            {
                "message": "The request cannot be completed because you have exceeded your "
                '<a href="/youtube/v3/getting-started#quota">quota</a>.',
                "domain": "youtube.quota",
                "reason": "quotaExceeded",
            }
        ],
    }
}
