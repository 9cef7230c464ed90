"""The fake Graph API's world: Pages, their posts and comments, Instagram accounts, tokens, faults.

Everything is in memory and changed through plain methods (tests run in the same process as
the server). Times come from the shared :class:`~tests.fakes.mastodon_clock.FakeClock`. Ids look
like Graph's: a Page ``104738251234567``, a post ``{page-id}_{local-id}``, a comment
``{post-local-id}_{comment-local-id}``, Instagram objects 17 digits (``17896622936197745``).
Nothing is ever removed: a deleted object stays, marked, so that it answers 100/33.
"""

from __future__ import annotations

import datetime as dt
import itertools
import threading
from dataclasses import dataclass, field
from typing import Any

from tests.fakes.mastodon_clock import FakeClock, as_utc


def graph_time(moment: dt.datetime) -> str:
    """Graph's timestamp format: ``2026-11-20T09:15:03+0000``."""
    return as_utc(moment).strftime("%Y-%m-%dT%H:%M:%S+0000")


@dataclass
class File:
    """A file on the fake CDN."""

    name: str
    data: bytes
    content_type: str


@dataclass
class Person:
    """A Facebook user; ``shares_profile=False`` hides who they are from the Page (no ``from``)."""

    id: str
    name: str
    shares_profile: bool = True


@dataclass
class Attachment:
    kind: str  # photo, video_inline, share, album
    target_id: str
    url: str
    title: str | None = None
    description: str | None = None
    file: File | None = None
    children: list[Attachment] = field(default_factory=list)


@dataclass
class FbPage:
    id: str
    name: str
    username: str
    instagram_id: str | None = None


@dataclass
class FbPost:
    id: str
    page_id: str
    author: str  # a Page id or a person's id
    message: str | None
    created: dt.datetime
    updated: dt.datetime
    attachments: list[Attachment] = field(default_factory=list)
    hidden: bool = False
    deleted: bool = False
    story: str | None = None


@dataclass
class FbComment:
    id: str
    post_id: str
    parent_id: str | None  # a comment id, None for a top-level comment
    author: str
    message: str
    created: dt.datetime
    attachment: Attachment | None = None
    hidden: bool = False
    deleted: bool = False


@dataclass
class IgUser:
    id: str
    username: str
    name: str
    page_id: str | None = None


@dataclass
class IgMedia:
    id: str
    user_id: str
    caption: str | None
    media_type: str  # IMAGE, VIDEO, CAROUSEL_ALBUM
    created: dt.datetime
    shortcode: str
    file: File | None = None
    children: list[IgMedia] = field(default_factory=list)
    product_type: str = "FEED"
    copyrighted_music: bool = False  # the API then omits media_url
    deleted: bool = False
    age_gated: bool = False  # the API returns no comments


@dataclass
class IgComment:
    id: str
    media_id: str
    parent_id: str | None
    user_id: str
    username: str
    text: str
    created: dt.datetime
    hidden: bool = False
    deleted: bool = False
    restricted: bool = False  # by a restricted user: not returned until approved


@dataclass
class Token:
    value: str
    profile_id: str  # the Page the token belongs to
    scopes: tuple[str, ...]
    expires_at: dt.datetime | None = None  # None: never (a long-lived Page token)
    data_access_expires_at: dt.datetime | None = None
    invalidated: bool = False  # password changed, app removed ...


@dataclass
class Fault:
    """An injected answer for the next ``count`` API requests whose path contains ``match``."""

    code: int | None  # a Graph error code; None: a bare HTTP error from a proxy
    status: int
    count: int
    match: str | None = None
    subcode: int | None = None
    message: str | None = None
    regain_minutes: int | None = None


class GraphWorld:
    """The fake's data and its switches (see the module docstring)."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.lock = threading.RLock()
        self.pages: dict[str, FbPage] = {}
        self.people: dict[str, Person] = {}
        self.posts: dict[str, FbPost] = {}
        self.comments: dict[str, FbComment] = {}
        self.ig_users: dict[str, IgUser] = {}
        self.media: dict[str, IgMedia] = {}
        self.ig_comments: dict[str, IgComment] = {}
        self.tokens: dict[str, Token] = {}
        self.files: dict[str, File] = {}
        self.faults: list[Fault] = []
        self.count_extra: dict[str, int] = {}  # added to a post's total_count (count drift)
        self.short_pages = False  # pages of 0, 1, 2 items that still carry a next
        self.repeat_cursor = False  # every next carries the first page's cursor (a loop)
        self.usage: dict[str, int] | None = None  # fixed usage percentages for the headers
        self.ppca = False  # the token reads as Page Public Content Access: comments lose id and from
        self.calls = 0
        self._numbers = itertools.count(1)

    def number(self) -> int:
        return next(self._numbers)

    # -- Facebook -------------------------------------------------------------------------

    def add_page(self, name: str, username: str) -> FbPage:
        page = FbPage(str(104738251200000 + self.number() * 7919), name, username)
        self.pages[page.id] = page
        return page

    def add_person(self, name: str, *, shares_profile: bool = True) -> Person:
        person = Person(str(2711636948800000 + self.number() * 104729), name, shares_profile)
        self.people[person.id] = person
        return person

    def add_file(self, name: str, data: bytes, content_type: str) -> File:
        file = File(f"{self.number()}_{name}", data, content_type)
        self.files[file.name] = file
        return file

    def photo(self, file: File, description: str | None = None) -> Attachment:
        target = str(10158349355013553 + self.number() * 31)
        return Attachment(
            "photo", target, f"https://www.facebook.com/photo.php?fbid={target}", None, description, file
        )

    def album(self, photos: list[Attachment], title: str) -> Attachment:
        target = str(10158349355013553 + self.number() * 31)
        url = f"https://www.facebook.com/media/set/?set=a.{target}"
        return Attachment("album", target, url, title, None, None, photos)

    def share(self, url: str, title: str, description: str | None = None) -> Attachment:
        return Attachment("share", url, url, title, description)

    def post(
        self,
        page: FbPage,
        message: str | None,
        *,
        at: dt.datetime | None = None,
        author: Person | None = None,
        attachments: list[Attachment] | None = None,
    ) -> FbPost:
        when = as_utc(at or self.clock.now())
        local = 10158349356748553 + self.number() * 9973
        post = FbPost(
            f"{page.id}_{local}",
            page.id,
            author.id if author else page.id,
            message,
            when,
            when,
            attachments or [],
        )
        self.posts[post.id] = post
        return post

    def comment(
        self,
        on: FbPost | FbComment,
        author: Person | FbPage,
        message: str,
        *,
        at: dt.datetime | None = None,
        attachment: Attachment | None = None,
    ) -> FbComment:
        post = on if isinstance(on, FbPost) else self.posts[on.post_id]
        when = as_utc(at or self.clock.now())
        local = 2966313500250461 + self.number() * 7727
        comment = FbComment(
            f"{post.id.split('_')[1]}_{local}",
            post.id,
            on.id if isinstance(on, FbComment) else None,
            author.id,
            message,
            when,
            attachment,
        )
        self.comments[comment.id] = comment
        post.updated = max(post.updated, when)  # activity moves a post's updated_time
        return comment

    def edit(self, obj: FbPost | FbComment | IgMedia | IgComment, text: str) -> None:
        if isinstance(obj, FbPost):
            obj.message = text
            obj.updated = self.clock.now()
        elif isinstance(obj, FbComment):
            obj.message = text
        elif isinstance(obj, IgMedia):
            obj.caption = text
        else:
            obj.text = text

    def delete(self, obj: FbPost | FbComment | IgMedia | IgComment) -> None:
        obj.deleted = True

    def hide(self, obj: FbComment | IgComment, hidden: bool = True) -> None:
        obj.hidden = hidden

    def replies_of(self, comment_id: str) -> list[FbComment]:
        return [c for c in self.comments.values() if c.parent_id == comment_id and not c.deleted]

    def comments_of(self, post_id: str, *, stream: bool) -> list[FbComment]:
        """A post's live comments, chronological; ``stream``: every depth, else top level only."""
        if stream:
            found = [c for c in self.comments.values() if c.post_id == post_id and not c.deleted]
            # A reply below a deleted comment goes with it.
            found = [c for c in found if self._attached(c)]
        else:
            found = [
                c
                for c in self.comments.values()
                if c.post_id == post_id and c.parent_id is None and not c.deleted
            ]
        return sorted(found, key=lambda c: (c.created, c.id))

    def is_gone(self, obj: object) -> bool:
        """Deleted, or below something deleted (a comment of a deleted post is gone too)."""
        if getattr(obj, "deleted", False):
            return True
        if isinstance(obj, FbComment):
            return self.posts[obj.post_id].deleted or not self._attached(obj)
        if isinstance(obj, IgComment):
            parent = self.ig_comments.get(obj.parent_id or "")
            return self.media[obj.media_id].deleted or (parent is not None and parent.deleted)
        return False

    def _attached(self, comment: FbComment) -> bool:
        parent = comment.parent_id
        while parent is not None:
            above = self.comments[parent]
            if above.deleted:
                return False
            parent = above.parent_id
        return True

    # -- Instagram ------------------------------------------------------------------------

    def add_ig_user(self, username: str, name: str, page: FbPage | None = None) -> IgUser:
        user = IgUser(str(17841406338700000 + self.number() * 13), username, name, page.id if page else None)
        self.ig_users[user.id] = user
        if page is not None:
            page.instagram_id = user.id
        return user

    def ig_media(
        self,
        user: IgUser,
        caption: str | None,
        *,
        files: list[File],
        media_type: str | None = None,
        at: dt.datetime | None = None,
        product_type: str = "FEED",
    ) -> IgMedia:
        when = as_utc(at or self.clock.now())
        kind = media_type or ("CAROUSEL_ALBUM" if len(files) > 1 else "IMAGE")
        shortcode = f"C{self.number():06d}xKr"
        media = IgMedia(self._ig_id(), user.id, caption, kind, when, shortcode, product_type=product_type)
        if kind == "CAROUSEL_ALBUM":
            media.children = [
                IgMedia(self._ig_id(), user.id, None, _kind(f), when, f"{shortcode}{n}", file=f)
                for n, f in enumerate(files)
            ]
        else:
            media.file = files[0] if files else None
        self.media[media.id] = media
        for child in media.children:
            self.media[child.id] = child
        return media

    def ig_comment(
        self,
        on: IgMedia | IgComment,
        user_id: str,
        username: str,
        text: str,
        *,
        at: dt.datetime | None = None,
        restricted: bool = False,
    ) -> IgComment:
        when = as_utc(at or self.clock.now())
        if isinstance(on, IgComment):
            # Instagram has one level of replies: a reply to a reply joins the top-level comment.
            top = on if on.parent_id is None else self.ig_comments[on.parent_id]
            media_id, parent = top.media_id, top.id
        else:
            media_id, parent = on.id, None
        comment = IgComment(
            self._ig_id(), media_id, parent, user_id, username, text, when, restricted=restricted
        )
        self.ig_comments[comment.id] = comment
        return comment

    def ig_comments_of(self, media_id: str) -> list[IgComment]:
        media = self.media[media_id]
        if media.age_gated:
            return []
        found = [
            c
            for c in self.ig_comments.values()
            if c.media_id == media_id and c.parent_id is None and not c.deleted and not c.restricted
        ]
        return sorted(found, key=lambda c: (c.created, c.id))

    def ig_replies_of(self, comment_id: str) -> list[IgComment]:
        found = [
            c
            for c in self.ig_comments.values()
            if c.parent_id == comment_id and not c.deleted and not c.restricted
        ]
        return sorted(found, key=lambda c: (c.created, c.id))

    def ig_count(self, media_id: str) -> int:
        """``comments_count``: every comment and reply, those the API will not return included."""
        return sum(1 for c in self.ig_comments.values() if c.media_id == media_id and not c.deleted)

    def _ig_id(self) -> str:
        return str(17896622936197745 + self.number() * 101)

    # -- tokens and faults ----------------------------------------------------------------

    def add_token(self, value: str, profile: FbPage, **kw: Any) -> Token:
        scopes = (
            "pages_show_list",
            "pages_read_engagement",
            "pages_read_user_content",
            "instagram_basic",
            "instagram_manage_comments",
        )
        token = Token(value, profile.id, scopes, **kw)
        self.tokens[value] = token
        return token

    def inject(
        self,
        code: int | None,
        *,
        count: int = 1,
        match: str | None = None,
        status: int | None = None,
        subcode: int | None = None,
        message: str | None = None,
        regain_minutes: int | None = None,
    ) -> Fault:
        """Answer the next ``count`` matching API requests with Graph error ``code``.

        ``code=None`` with a ``status`` is a bare HTTP error (a proxy's 502 page).
        """
        if status is None:
            status = {1: 500, 2: 503}.get(code or 0, 400)
        fault = Fault(code, status, count, match, subcode, message, regain_minutes)
        with self.lock:
            self.faults.append(fault)
        return fault

    def take_fault(self, path: str) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.count > 0 and (fault.match is None or fault.match in path):
                    fault.count -= 1
                    return fault
        return None


def _kind(file: File) -> str:
    return "VIDEO" if file.content_type.startswith("video/") else "IMAGE"
