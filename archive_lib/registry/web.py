"""The registrars' web view: search form, results, thread view and release-package download.

A FastAPI app with no logic of its own (it calls the same functions as ``archivectl``). Who may
use it is decided by the host: ``create_app`` takes the dependency that yields the signed-in
user, and every route requires it (the Airflow plugin passes Airflow's own). Everything
archived is rendered escaped; pages load nothing from elsewhere, run no scripts, and carry a
strict Content-Security-Policy.

Pages (and the release packages made here) speak the language the browser asks for first among
Swedish and English (``Accept-Language``), Swedish when it asks for neither; archived text is
shown as it is.

Item ids are whatever platforms chose: a Bluesky id is an ``at://did:plc:…/…`` URI, and an id
may hold ``..``, ``%``, spaces or any letter. A path segment cannot carry every such id (a
``/`` splits it; browsers and proxies resolve ``..`` and ``%2e%2e`` segments before we see
them), so the thread view takes the id as a query parameter: ``/thread?item=ID&account=A``
(``as_of=YYYY-MM-DD`` optional), and every page links there. ``/thread/{id}`` still opens the
same view for ids that fit in one path segment, so links handed out earlier keep working.

Who may do what is decided by role (:mod:`archive_lib.registry.roles`): registrars search, view,
release and mark items under secrecy; archivists also lift markings and read the access log.
Every search, thread view, release, marking and reading of the access log is recorded in the
access log under the signed-in user's name (:mod:`archive_lib.metadata.access`), written
before the answer goes out.
"""

from __future__ import annotations

import datetime as dt
import os
import pathlib
import tempfile
import threading
import urllib.parse
from collections.abc import Callable
from typing import Any

from fastapi import Depends, FastAPI, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.responses import FileResponse

from archive_lib.clock import local_day_end, local_day_start
from archive_lib.errors import ArchiveError, ConfigError
from archive_lib.evidence.signing import Signer
from archive_lib.language import Language, from_accept_language
from archive_lib.metadata.access import flush_access, read_access, record_access
from archive_lib.metadata.markings import active_markings, mark, secrecy_of, unmark
from archive_lib.registry.export import ExportRequest, make_export
from archive_lib.registry.render import render, stylesheet
from archive_lib.registry.roles import ARCHIVIST, REGISTRAR, WebRoles, may, web_roles
from archive_lib.registry.thread import ItemNotFoundError, load_thread
from archive_lib.search import SearchIndex, SearchQuery
from archive_lib.search.locate import locate_one
from archive_lib.settings import ENVIRONMENT
from archive_lib.storage import open_store

CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'self'"
)
_FIELDS = ("q", "board", "account", "author", "type", "event", "since", "until")


def create_app(
    current_user: Callable[..., Any],
    store_url: Callable[[], str],
    index_root: str | None = None,
    roles: Callable[[], WebRoles] | None = None,
    signer: Callable[[], Signer | None] = lambda: None,
) -> FastAPI:
    """The web view. ``current_user`` is a FastAPI dependency returning the signed-in user (an
    object with ``get_name()``) or refusing the request; ``store_url`` names the store;
    ``roles`` says which roles make a registrar and an archivist (default: from the environment);
    ``signer`` gives the signer of export log entries (None: unsigned)."""
    app = FastAPI(title="Records archive: registry", docs_url=None, redoc_url=None, openapi_url=None)
    index = _Indexes(store_url, index_root)
    role_names = roles or (lambda: web_roles(ENVIRONMENT))

    def registrar(request: Request, user: Any = Depends(current_user)) -> Any:  # noqa: B008
        return _require(request, user, role_names(), REGISTRAR)

    def archivist(request: Request, user: Any = Depends(current_user)) -> Any:  # noqa: B008
        return _require(request, user, role_names(), ARCHIVIST)

    @app.middleware("http")
    async def security_headers(request: Request, call_next: Any) -> Response:
        response: Response = await call_next(request)
        response.headers["Content-Security-Policy"] = CSP
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["Cache-Control"] = "no-store"
        response.headers["Vary"] = "Accept-Language"
        # The access events the request recorded are in the store before the answer goes out.
        await run_in_threadpool(flush_access)
        return response

    @app.get("/static/style.css")
    def style(user: Any = Depends(current_user)) -> Response:  # noqa: B008
        return Response(stylesheet(), media_type="text/css")

    @app.get("/", response_class=HTMLResponse)
    def search(request: Request, user: Any = Depends(registrar)) -> HTMLResponse:  # noqa: B008
        return _search_page(request, user, index)

    @app.get("/thread", response_class=HTMLResponse)
    def thread(
        request: Request,
        item: str,
        account: str | None = None,
        as_of: str | None = None,
        user: Any = Depends(registrar),  # noqa: B008
    ) -> HTMLResponse:
        return _thread_page(request, user, index(), item, account, as_of)

    @app.get("/thread/{item_id}", response_class=HTMLResponse)
    def thread_by_path(
        request: Request,
        item_id: str,
        account: str | None = None,
        as_of: str | None = None,
        user: Any = Depends(registrar),  # noqa: B008
    ) -> HTMLResponse:
        return _thread_page(request, user, index(), item_id, account, as_of)

    @app.post("/export")
    def export(
        request: Request,
        purpose: str = Form(...),
        reference: str = Form(...),
        item: list[str] = Form(...),  # noqa: B008
        user: Any = Depends(registrar),  # noqa: B008
    ) -> FileResponse:
        _same_origin(request)
        return _export_download(index(), purpose, reference, _name(user), _ids(item), signer, _words(request))

    @app.post("/mark")
    def mark_item(
        request: Request,
        item: str = Form(...),
        account: str = Form(...),
        ground: str = Form(...),
        reference: str = Form(...),
        note: str = Form(""),
        user: Any = Depends(registrar),  # noqa: B008
    ) -> Response:
        _same_origin(request)
        built = index()
        found = _locate(built, item, account)

        def act() -> None:
            mark(
                built.store,
                account_id=found["account_id"],
                item_id=item,
                ground=ground,
                reference=reference,
                note=note or None,
                actor=_name(user),
                at=dt.datetime.now(dt.UTC),
            )
            record_access(built.store, "mark", _name(user), items=[item], purpose=f"{ground} ({reference})")

        return _acted(request, act, item, found["account_id"])

    @app.post("/unmark")
    def unmark_item(
        request: Request,
        item: str = Form(...),
        account: str = Form(...),
        reason: str = Form(...),
        user: Any = Depends(archivist),  # noqa: B008
    ) -> Response:
        _same_origin(request)
        built = index()
        found = _locate(built, item, account)

        def act() -> None:
            account_id = found["account_id"]
            unmark(
                built.store,
                account_id=account_id,
                item_id=item,
                reason=reason,
                actor=_name(user),
                at=dt.datetime.now(dt.UTC),
            )
            record_access(built.store, "unmark", _name(user), items=[item], purpose=reason)

        return _acted(request, act, item, found["account_id"])

    @app.get("/access-log", response_class=HTMLResponse)
    def access_log(
        request: Request,
        since: str = "",
        until: str = "",
        who: str = "",
        user: Any = Depends(archivist),  # noqa: B008
    ) -> HTMLResponse:
        return _access_page(request, user, index().store, since, until, who)

    return app


def _require(request: Request, user: Any, roles: WebRoles, needed: str) -> Any:
    """``user``, when their role allows what needs ``needed``; else 403. Pages show what the
    role allows (``request.state.role``)."""
    role = roles.of(user)
    if not may(role, needed):
        raise HTTPException(403, f"only {needed}s may do this (see ARCHIVE_WEB_{needed.upper()}S)")
    request.state.role = role
    return user


def _locate(built: SearchIndex, item: str, account: str) -> dict[str, Any]:
    try:
        return locate_one(built, item, account or None)
    except ItemNotFoundError as e:
        raise HTTPException(404, str(e)) from e
    except ConfigError as e:
        raise HTTPException(400, str(e)) from e


def _acted(request: Request, act: Callable[[], None], item: str, account: str) -> Response:
    """Do ``act`` (a marking), then show the thread again; 400 with the reason when refused."""
    try:
        act()
    except ArchiveError as e:  # bad input (ConfigError) or refused (marked already, not marked)
        raise HTTPException(400 if isinstance(e, ConfigError) else 409, str(e)) from e
    base = request.scope.get("root_path", "").rstrip("/")
    query = urllib.parse.urlencode({"item": item, "account": account})
    return RedirectResponse(f"{base}/thread?{query}", status_code=303)


def _access_page(request: Request, user: Any, store: Any, since: str, until: str, who: str) -> HTMLResponse:
    form = {"since": since, "until": until, "who": who}
    try:
        start, end = _day(since), _day(until)
    except ConfigError as e:
        return _page(request, user, "web_access.html", 400, form=form, entries=[], error=str(e))
    entries = list(
        read_access(
            store,
            since=local_day_start(start) if start else None,
            until=local_day_end(end) if end else None,
            user=who.strip() or None,
        )
    )
    record_access(store, "access-log", _name(user), query={k: v for k, v in form.items() if v} or None)
    return _page(request, user, "web_access.html", form=form, entries=entries[::-1][:1000], error=None)


class _Indexes:
    """The search index of the store the host names, opened once per store URL and refreshed on use."""

    def __init__(self, store_url: Callable[[], str], index_root: str | None) -> None:
        self._store_url = store_url
        self._index_root = index_root
        self._indexes: dict[str, SearchIndex] = {}
        self._lock = threading.Lock()

    def __call__(self) -> SearchIndex:
        try:
            url = self._store_url()
        except ConfigError as e:
            raise HTTPException(503, f"the archive is not configured: {e}") from e
        with self._lock:
            try:
                if url not in self._indexes:
                    self._indexes[url] = SearchIndex(open_store(url), self._index_root)
                self._indexes[url].refresh()
            except ArchiveError as e:
                raise HTTPException(503, f"the archive cannot be read now: {e}") from e
            return self._indexes[url]


def _words(request: Request) -> Language:
    return from_accept_language(request.headers.get("accept-language"))


def _page(request: Request, user: Any, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    base = request.scope.get("root_path", "").rstrip("/")
    role = getattr(request.state, "role", None)
    words = _words(request)
    html = render(template, words, base=base, user=_name(user), role=role, **context)
    return HTMLResponse(html, status_code=status, headers={"Content-Language": words.code})


def _search_page(request: Request, user: Any, index: Callable[[], SearchIndex]) -> HTMLResponse:
    form = {name: request.query_params.get(name, "") for name in _FIELDS}
    if not any(form.values()):
        return _page(request, user, "web_search.html", form=form, results=None, error=None)
    try:
        query = SearchQuery(
            text=form["q"],
            boards=_one(form["board"]),
            accounts=_one(form["account"]),
            authors=_one(form["author"]),
            item_types=_one(form["type"]),
            events=_one(form["event"]),
            since=_day(form["since"]),
            until=_day(form["until"]),
        )
        built = index()
        results = built.search(query)
    except ConfigError as e:
        return _page(request, user, "web_search.html", 400, form=form, results=None, error=str(e))
    markings = active_markings(built.store)
    for hit in results.hits:
        hit["parts"] = _marked(hit["snippet"], hit["highlights"])
        hit["secrecy"] = secrecy_of(markings, hit["account_id"], hit["item_id"])
    record_access(
        built.store, "search", _name(user), items=[h["item_id"] for h in results.hits], query=query.describe()
    )
    return _page(request, user, "web_search.html", form=form, results=results, error=None)


def _thread_page(
    request: Request, user: Any, built: SearchIndex, item_id: str, account: str | None, as_of: str | None
) -> HTMLResponse:
    try:
        found = load_thread(built.store, built, item_id, as_of=_day(as_of or ""), account_id=account or None)
    except ItemNotFoundError as e:
        raise HTTPException(404, str(e)) from e
    except ConfigError as e:
        raise HTTPException(400, str(e)) from e
    record_access(
        built.store,
        "show",
        _name(user),
        items=[item_id],
        query={"account": found.account_id, "as_of": found.as_of.isoformat() if found.as_of else None},
    )
    focus = next(item for _, item in found.items() if item.item_id == found.focus)
    return _page(request, user, "web_thread.html", thread=found, focus=focus)


def _ids(items: list[str]) -> tuple[str, ...]:
    """Item ids from the form's ``account/id`` values."""
    return tuple(sorted({entry.split("/", 1)[-1] for entry in items}))


def _export_download(
    built: SearchIndex,
    purpose: str,
    reference: str,
    made_by: str,
    item_ids: tuple[str, ...],
    signer: Callable[[], Signer | None],
    words: Language,
) -> FileResponse:
    try:
        exported = make_export(
            built.store,
            built,
            ExportRequest(purpose, reference, made_by, item_ids=item_ids),
            pathlib.Path(tempfile.mkdtemp(prefix="archive-export-")) / "package.zip",
            signer=signer(),
            words=words,
        )
    except ItemNotFoundError as e:
        raise HTTPException(404, str(e)) from e
    except ArchiveError as e:
        raise HTTPException(400, str(e)) from e
    record_access(built.store, "export", made_by, items=exported.item_ids, purpose=purpose)
    return FileResponse(
        exported.path,
        media_type="application/zip",
        filename=f"export-{exported.export_id}.zip",
        background=BackgroundTask(_remove, exported.path),
    )


def _same_origin(request: Request) -> None:
    """Refuse a form posted from another site (the sign-in cookie would go with it)."""
    origin = request.headers.get("origin")
    if origin and origin != "null" and urllib.parse.urlsplit(origin).netloc != request.headers.get("host"):
        raise HTTPException(403, "cross-site request refused")


def _name(user: Any) -> str:
    getter = getattr(user, "get_name", None)
    return str(getter() if callable(getter) else user)


def _one(value: str) -> tuple[str, ...]:
    return (value.strip(),) if value.strip() else ()


def _day(value: str) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ConfigError(f"{value!r} is not a date YYYY-MM-DD") from None


def _marked(text: str, highlights: list[tuple[int, int]]) -> list[tuple[str, bool]]:
    """``text`` cut into (part, highlighted) pieces; the template escapes every piece."""
    parts, at = [], 0
    for start, end in sorted(highlights):
        if start >= at:
            parts.append((text[at:start], False))
            parts.append((text[start:end], True))
            at = end
    parts.append((text[at:], False))
    return [p for p in parts if p[0]]


def _remove(path: pathlib.Path) -> None:
    path.unlink(missing_ok=True)
    os.rmdir(path.parent)
