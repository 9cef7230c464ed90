"""Instagram business and creator accounts through the Graph API (Instagram API with Facebook Login).

What a night reads, for one account (``handle`` is the Instagram user id, ``17841…``):

1. ``GET /debug_token?input_token=…``: whether the token is valid and when it expires.
2. ``GET /{ig-user-id}?fields=id,username,name``: the account (100/33: there is none).
3. ``GET /{ig-user-id}/media?fields=…&limit=100`` to the end: every post (image, video,
   carousel, reel) with its ``comments_count``.
4. ``GET /{ig-media-id}/comments?fields=…,replies{…}``: the top-level comments, each with its
   replies inline; where the inline replies have a ``next``, ``GET /{ig-comment-id}/replies``.
   Instagram has one level of replies. Read for posts in the re-check window, new posts, and
   posts whose ``comments_count`` moved.
5. ``GET /{object-id}?fields=…``: archived posts and comments a complete walk lacked; error
   100/33 confirms a deletion.
6. The files: ``media_url`` of each post or carousel child, once each.

Captions and comments are plain text and stored verbatim. Nothing on Instagram carries an edit
time: an edit is noticed when the digest changes and dated by the night that saw it.

Blind spots, reported where they show: the API does not return comments by users the account
has restricted, comments on age-gated media, or comments on ads; it omits ``media_url`` for
videos with copyrighted music. When a post's ``comments_count`` exceeds the comments returned,
the night records a warning.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar

from archive_lib.connectors.base import (
    CapturePlan,
    Incomplete,
    Observation,
    ThreadChecked,
    content_digest,
)
from archive_lib.connectors.graph import (
    RULES,
    GraphObjectGone,
    node,
    pages,
    usable,
)
from archive_lib.connectors.graph_walk import GraphWalk, Node
from archive_lib.connectors.paths import segment
from archive_lib.connectors.policy import HttpRules
from archive_lib.errors import AccountNotFoundError, ProtocolError
from archive_lib.models import ItemSnapshot, ItemType, MediaFile, RecordRef
from archive_lib.values import Fields, mapping

CHILD_FIELDS = "id,media_type,media_url,permalink,thumbnail_url,timestamp"
POST_FIELDS = (
    "id,caption,media_type,media_product_type,media_url,thumbnail_url,permalink,shortcode,timestamp,"
    f"username,comments_count,like_count,children{{{CHILD_FIELDS}}}"
)
COMMENT_FIELDS = "id,text,timestamp,username,from{id,username},hidden,like_count,parent_id,media{id}"
COMMENTS_PAGE = 50


class InstagramConnector(GraphWalk):
    """The Graph walk of one Instagram professional account for one night."""

    platform: ClassVar[str] = "instagram"
    http_rules: ClassVar[HttpRules] = RULES
    post_fields: ClassVar[str] = POST_FIELDS
    comment_fields: ClassVar[str] = COMMENT_FIELDS
    created_field: ClassVar[str] = "timestamp"

    user_id = ""
    username = ""

    def capture(self, plan: CapturePlan) -> Iterator[Observation]:
        yield from self.start(plan, "Instagram")
        self._user()
        yield from self.walk_posts(f"{self.api}/{segment(self.user_id)}/media")

    def post(self, post: Node, snap: ItemSnapshot) -> Iterator[Observation]:
        yield from self.item(snap)
        if post.get("media_type") == "VIDEO" and not post.get("media_url"):
            yield Incomplete(
                f"post {snap.item_id}: Instagram returned no video file (media_url is withheld "
                "for videos with copyrighted music); the post's text and thumbnail are archived"
            )

    def _user(self) -> None:
        try:
            url = f"{self.api}/{segment(self.account.handle)}"
            data, _ = node(self.http, url, {"fields": "id,username,name"})
        except GraphObjectGone as exc:
            raise AccountNotFoundError(f"Instagram has no account {self.account.handle} ({exc})") from exc
        if "id" not in data:
            raise ProtocolError(f"Graph returned no id for Instagram account {self.account.handle}")
        self.user_id, self.username = str(data["id"]), str(data.get("username") or "")

    def post_thread(self, post: Node, record: RecordRef) -> Iterator[Observation]:
        """The thread, and a warning when Instagram counts comments it did not return."""
        post_id = str(post["id"])
        complete = False
        for observation in self.read_thread(post, record):
            complete = complete or isinstance(observation, ThreadChecked)
            yield observation
        reported = self.reported_comments(post)
        if complete and reported is not None:
            live = len(self.live_comments(post_id))
            if reported > live:
                yield Incomplete(
                    f"post {post_id}: Instagram counts {reported} comments but returned {live}; the API "
                    "does not return comments by restricted users or on age-gated posts"
                )

    def thread(self, post: Node, record: RecordRef) -> Iterator[tuple[Node, RecordRef] | int]:
        params: dict[str, str | int] = {
            "fields": f"{COMMENT_FIELDS},replies{{{COMMENT_FIELDS}}}",
            "limit": COMMENTS_PAGE,
        }
        for page in pages(self.http, f"{self.api}/{segment(post['id'])}/comments", params):
            for comment in page.data:
                yield comment, page.record
                if not usable(comment):
                    continue  # the walk notes it; its replies cannot be asked for
                replies = comment.get("replies")
                inline = replies.get("data") if isinstance(replies, dict) else None
                paging = replies.get("paging") if isinstance(replies, dict) else None
                if isinstance(paging, dict) and paging.get("next"):
                    url = f"{self.api}/{segment(comment['id'])}/replies"
                    for reply_page in pages(
                        self.http, url, {"fields": COMMENT_FIELDS, "limit": COMMENTS_PAGE}
                    ):
                        for reply in reply_page.data:
                            yield _reply_of(reply, comment), reply_page.record
                elif isinstance(inline, list):
                    for reply in inline:
                        if isinstance(reply, dict):
                            yield _reply_of(reply, comment), page.record

    def reported_comments(self, post: Node) -> int | None:
        count = post.get("comments_count")
        return count if isinstance(count, int) else None

    def snapshot(self, data: Node, record: RecordRef, item_type: ItemType, post_id: str) -> ItemSnapshot:
        fields = Fields()
        author = mapping(data.get("from"))
        url: str | None
        if item_type == "post":
            text = fields.text("text", data.get("caption"))
            media = tuple(_files(data))
            author_id, handle, parent_id, hidden = self.user_id, self.username, None, None
            url = fields.opt_text("url", data.get("permalink"))
        else:
            text = fields.text("text", data.get("text"))
            media = ()
            author_id = fields.ident("author_id", author.get("id")) or ""
            handle = fields.text("author_handle", data.get("username") or author.get("username"))
            parent_id = fields.ident("parent_id", data.get("parent_id")) or post_id
            hidden = fields.flag("hidden", data["hidden"]) if "hidden" in data else None
            url = None
        return ItemSnapshot(
            item_id=data["id"],
            item_type=item_type,
            post_id=post_id,
            parent_id=parent_id,
            author_id=author_id,
            author_name=handle,
            author_handle=handle,
            author_is_account=(author_id == self.user_id) if author_id else handle == self.username,
            text=text,
            url=url,
            created_at=fields.time("created_at", data.get("timestamp")),
            edited_at=None,
            content_sha256=content_digest(text=text, media=media),
            record=record,
            media=media,
            hidden=hidden,
            unparsed=tuple(fields.unparsed),
        )


def _reply_of(reply: dict[str, Any], comment: dict[str, Any]) -> dict[str, Any]:
    """A reply knows its comment (``parent_id``) even where the fields did not ask for it."""
    return reply if reply.get("parent_id") else {**reply, "parent_id": comment["id"]}


def _files(post: dict[str, Any]) -> list[MediaFile]:
    children = post.get("children")
    items = children.get("data") if isinstance(children, dict) else None
    sources = [c for c in items if isinstance(c, dict)] if isinstance(items, list) else [post]
    out = []
    for source in sources:
        kind = str(source.get("media_type") or "unknown")
        url = source.get("media_url") or (source.get("thumbnail_url") if kind == "VIDEO" else None)
        file_url = url if isinstance(url, str) and url else None
        out.append(MediaFile(str(source.get("id")), kind, file_url, None))
    return out
