"""JSON entities of the fake Mastodon server, shaped like Mastodon's REST serializers.

Field names, order and nullability follow mastodon/mastodon:app/serializers/rest/
(``status_serializer.rb``, ``account_serializer.rb``, ``media_attachment_serializer.rb``,
``status_edit_serializer.rb``, ``poll_serializer.rb``) and the entity pages of
mastodon/documentation. Relationship fields (``favourited``, ``reblogged``, ``muted``,
``bookmarked``, ``filtered``; ``pinned`` on the viewer's own statuses) appear only for a user
token, exactly as in Mastodon; anonymous and app-token responses do not carry them.
"""

from __future__ import annotations

import hashlib
import math
from typing import Any

from tests.fakes.mastodon_clock import format_timestamp
from tests.fakes.mastodon_html import inline_html
from tests.fakes.mastodon_state import (
    Account,
    MastodonState,
    Media,
    Poll,
    Revision,
    Status,
    Viewer,
)

JSON = dict[str, Any]
_BASE83 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz#$%*+,-.:;=?@[]^_{|}~"
_SMALL_PIXELS = 640 * 360  # MediaAttachment IMAGE_STYLES[:small][:pixels]


def blurhash_for(data: bytes) -> str:
    """A well-formed 4x3-component BlurHash string derived from the file's bytes.

    Not a real image hash (the fake decodes no images), but the same length and alphabet.
    """
    digest = hashlib.sha256(data).digest()
    size_flag = _BASE83[(4 - 1) + (3 - 1) * 9]
    return size_flag + "".join(_BASE83[byte % 83] for byte in digest[:27])


def _dimensions(width: int, height: int) -> JSON:
    return {"width": width, "height": height, "size": f"{width}x{height}", "aspect": width / height}


def media_meta(media: Media) -> JSON:
    """``meta`` as Paperclip fills it: ``original`` and the ``small`` preview (area 640x360)."""
    if not media.width or not media.height:
        return {}
    width, height = media.width, media.height
    if width * height > _SMALL_PIXELS:
        scale = math.sqrt(_SMALL_PIXELS / (width * height))
        small_w, small_h = max(1, round(width * scale)), max(1, round(height * scale))
    else:
        small_w, small_h = width, height
    return {
        "original": _dimensions(width, height),
        "small": _dimensions(small_w, small_h),
        "focus": {"x": 0.0, "y": 0.0},
    }


def preview_card(
    url: str,
    title: str,
    description: str = "",
    *,
    provider_name: str = "",
    image: str | None = None,
) -> JSON:
    """A PreviewCard (``card``) for a link, with every field Mastodon 4.x sends."""
    return {
        "url": url,
        "title": title,
        "description": description,
        "language": "sv",
        "type": "link",
        "author_name": "",
        "author_url": "",
        "provider_name": provider_name,
        "provider_url": "",
        "html": "",
        "width": 0,
        "height": 0,
        "image": image,
        "image_description": "",
        "embed_url": "",
        "blurhash": None,
        "published_at": None,
        "authors": [],
    }


class Renderer:
    """Renders records for one request: the instance's URLs and the viewer are fixed."""

    def __init__(self, state: MastodonState, base_url: str, files_url: str, viewer: Viewer):
        self.state = state
        self.base_url = base_url
        self.files_url = files_url
        self.viewer = viewer

    # ---------------------------------------------------------------- accounts

    def account_url(self, account: Account) -> str:
        """The account's profile page."""
        if account.domain is None:
            return f"{self.base_url}/@{account.username}"
        return f"https://{account.domain}/@{account.username}"

    def account_uri(self, account: Account) -> str:
        """The account's ActivityPub id."""
        if account.domain is None:
            return f"{self.base_url}/users/{account.username}"
        return f"https://{account.domain}/users/{account.username}"

    def account(self, account: Account) -> JSON:
        """An Account entity."""
        avatar = f"{self.files_url}/avatars/original/missing.png"
        header = f"{self.files_url}/headers/original/missing.png"
        body: JSON = {
            "id": str(account.id),
            "username": account.username,
            "acct": account.acct,
            "display_name": account.display_name,
            "locked": account.locked,
            "bot": account.bot,
            "discoverable": account.discoverable,
            "indexable": account.discoverable,
            "group": account.group,
            "created_at": format_timestamp(
                account.created_at.replace(hour=0, minute=0, second=0, microsecond=0)
            ),
            "note": account.note,
            "url": self.account_url(account),
            "uri": self.account_uri(account),
            "avatar": avatar,
            "avatar_static": avatar,
            "header": header,
            "header_static": header,
            "followers_count": account.followers_count,
            "following_count": account.following_count,
            "statuses_count": account.statuses_count,
            "last_status_at": (
                account.last_status_at.date().isoformat() if account.last_status_at else None
            ),
            "hide_collections": None,
        }
        if account.domain is None:
            body["noindex"] = False
        body["emojis"] = []
        if account.domain is None:
            body["roles"] = []
        body["fields"] = [
            {"name": name, "value": inline_html(value, base_url=self.base_url), "verified_at": None}
            for name, value in account.fields
        ]
        return body

    # ------------------------------------------------------------------- media

    def media_url(self, media: Media, style: str) -> str:
        """Where the fake serves the file (on the files host, not the API host)."""
        return (
            f"{self.files_url}/system/media_attachments/files/{media.partition}/"
            f"{style}/{media.key}.{media.extension}"
        )

    def media(self, media: Media, owner: Account) -> JSON:
        """A MediaAttachment entity."""
        remote_url = None
        if owner.domain is not None:
            remote_url = (
                f"https://{owner.domain}/system/media_attachments/files/{media.partition}/"
                f"original/{media.key}.{media.extension}"
            )
        url, preview_url = self.media_url(media, "original"), self.media_url(media, "small")
        if media.needs_redownload and owner.domain is not None:
            # REST::MediaAttachmentSerializer: ``media_proxy_url(object.id, :original)``.
            url = f"{self.base_url}/media_proxy/{media.id}/original"
            preview_url = f"{self.base_url}/media_proxy/{media.id}/small"
        return {
            "id": str(media.id),
            "type": media.type,
            "url": url,
            "preview_url": preview_url,
            "remote_url": remote_url,
            "preview_remote_url": None,
            "text_url": None,
            "meta": media_meta(media),
            "description": media.description,
            "blurhash": blurhash_for(media.data),
        }

    def poll(self, poll: Poll) -> JSON:
        """A Poll entity (no votes: the fake has no voting)."""
        now = self.state.clock.now()
        body: JSON = {
            "id": str(poll.id),
            "expires_at": format_timestamp(poll.expires_at),
            "expired": now >= poll.expires_at,
            "multiple": poll.multiple,
            "votes_count": 0,
            "voters_count": 0,
            "options": [{"title": title, "votes_count": 0} for title in poll.options],
            "emojis": [],
        }
        if self.viewer.signed_in:
            body["voted"] = False
            body["own_votes"] = []
        return body

    # ---------------------------------------------------------------- statuses

    def status_urls(self, status: Status) -> tuple[str, str | None]:
        """``(uri, url)`` of a status; boosts get the ``/activity`` form (remote ones no url)."""
        account = status.account
        if account.domain is None:
            uri = f"{self.base_url}/users/{account.username}/statuses/{status.id}"
            if status.reblog_of_id is not None:
                return f"{uri}/activity", f"{uri}/activity"
            return uri, f"{self.base_url}/@{account.username}/{status.id}"
        uri = f"https://{account.domain}/users/{account.username}/statuses/{status.id}"
        if status.reblog_of_id is not None:
            return f"{uri}/activity", None
        return uri, f"https://{account.domain}/@{account.username}/{status.id}"

    def _mentions(self, revision: Revision) -> list[JSON]:
        mentioned = []
        for account_id in sorted(set(revision.mention_ids)):
            account = self.state.accounts[account_id]
            mentioned.append(
                {
                    "id": str(account.id),
                    "username": account.username,
                    "url": self.account_url(account),
                    "acct": account.acct,
                }
            )
        return mentioned

    def quote(self, status: Status, *, shallow: bool) -> JSON | None:
        """The ``quote`` of a status (Mastodon 4.4+): a Quote entity, or inside a quote a
        ShallowQuote (https://docs.joinmastodon.org/entities/Quote/, /entities/ShallowQuote/);
        the quoted status is shown only while the quote is ``accepted``."""
        if status.quote_of_id is None:
            return None
        quoted = self.state.statuses[status.quote_of_id]
        state = "deleted" if quoted.gone else status.quote_state
        shown = state == "accepted"
        if shallow:
            return {"state": state, "quoted_status_id": str(quoted.id) if shown else None}
        return {"state": state, "quoted_status": self.status(quoted, shallow_quote=True) if shown else None}

    def status(self, status: Status, *, shallow_quote: bool = False) -> JSON:
        """A Status entity as the viewer sees it (``shallow_quote``: as quoted inside a quote)."""
        revision = status.current
        uri, url = self.status_urls(status)
        reblog = None
        if status.reblog_of_id is not None:
            reblog = self.status(self.state.statuses[status.reblog_of_id])
        body: JSON = {
            "id": str(status.id),
            "created_at": format_timestamp(status.created_at),
            "in_reply_to_id": str(status.in_reply_to_id) if status.in_reply_to_id else None,
            "in_reply_to_account_id": (
                str(status.in_reply_to_account_id) if status.in_reply_to_account_id else None
            ),
            "sensitive": revision.sensitive,
            "spoiler_text": revision.spoiler_text,
            "visibility": status.visibility,
            "language": status.language,
            "uri": uri,
            "url": url,
            "replies_count": status.replies_count,
            "reblogs_count": status.reblogs_count,
            "favourites_count": status.favourites_count,
            "quotes_count": status.quotes_count,
            "edited_at": format_timestamp(status.edited_at) if status.edited_at else None,
        }
        if self.viewer.signed_in:
            body.update(favourited=False, reblogged=False, muted=False, bookmarked=False)
            owner = self.viewer.account_id == status.account.id
            if owner and status.reblog_of_id is None and status.visibility != "direct":
                body["pinned"] = status.pinned
        body["content"] = revision.content
        if self.viewer.signed_in:
            body["filtered"] = []
        body["reblog"] = reblog
        if status.account.domain is None and status.application is not None:
            body["application"] = {"name": status.application, "website": None}
        body["account"] = self.account(status.account)
        body["media_attachments"] = [self.media(item, status.account) for item in revision.media]
        body["mentions"] = self._mentions(revision)
        body["tags"] = [
            {"name": tag.lower(), "url": f"{self.base_url}/tags/{tag.lower()}"}
            for tag in revision.tags
        ]
        body["emojis"] = []
        body["quote"] = self.quote(status, shallow=shallow_quote)
        body["card"] = dict(status.card) if status.card is not None else None
        body["poll"] = self.poll(revision.poll) if revision.poll is not None else None
        return body

    def status_edit(self, status: Status, revision: Revision) -> JSON:
        """A StatusEdit entity (one element of ``/history``)."""
        body: JSON = {
            "content": revision.content,
            "spoiler_text": revision.spoiler_text,
            "sensitive": revision.sensitive,
            "created_at": format_timestamp(revision.at),
        }
        if revision.poll is not None:
            body["poll"] = {"options": [{"title": title} for title in revision.poll.options]}
        body["account"] = self.account(status.account)
        body["media_attachments"] = [self.media(item, status.account) for item in revision.media]
        body["emojis"] = []
        return body
