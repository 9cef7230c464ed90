"""The registrars' web view, served by a real ``airflow api-server`` with the plugin loaded.

One server for the module (SimpleAuthManager; users ``registrar`` with Airflow's role USER,
``archivist`` with ADMIN and ``viewer`` with VIEWER), on a loopback port the OS gives it (it
binds port 0 and names the port once it listens), over a copy of the registrar archive (the
tests mark items and the web view logs access in it); the browser test drives Debian's chromium
through Playwright.
"""

from __future__ import annotations

import json
import os
import pathlib
import re
import secrets
import shutil
import struct
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from tests.conftest import REPO
from tests.helpers import EVENT_TIMEOUT
from tests.prodlike.processes import START_TIMEOUT, ProcessGroup
from tests.registrar_fixtures import SCRIPT_TEXT, RegistrarArchive

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@dataclass
class Server:
    base: str
    token: str  # the registrar's
    store_url: str = ""
    tokens: dict[str, str] = field(default_factory=dict)  # every user's, by name


def _english(url: str, **kw: Any) -> tuple[int, dict[str, str], bytes]:
    """A request from an English-speaking browser (the view speaks Swedish by default)."""
    return _request(url, **{**kw, "headers": {"Accept-Language": "en", **(kw.get("headers") or {})}})


def _request(
    url: str, *, token: str | None = None, data: bytes | None = None, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, data=data, headers=dict(headers or {}))
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=EVENT_TIMEOUT) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


@pytest.fixture(scope="module")
def server(registrar_archive: RegistrarArchive, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    home = tmp_path_factory.mktemp("airflow-web")
    (home / "dags").mkdir()
    users = ("registrar", "archivist", "viewer")
    passwords = {user: secrets.token_urlsafe(16) for user in users}
    (home / "passwords.json").write_text(json.dumps(passwords))
    shutil.copytree(registrar_archive.folder / "archive", home / "archive")
    store_url = (home / "archive").as_uri()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
    env.update(
        PATH=f"{pathlib.Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
        AIRFLOW_HOME=str(home),
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
        AIRFLOW__CORE__DAGS_FOLDER=str(home / "dags"),
        AIRFLOW__CORE__PLUGINS_FOLDER=str(REPO / "plugins"),
        AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=f"sqlite:///{home}/airflow.db",
        AIRFLOW__API__HOST="127.0.0.1",
        AIRFLOW__API__PORT="0",  # the OS picks a free port as the server binds it
        AIRFLOW__API__WORKERS="1",
        AIRFLOW__API_AUTH__JWT_SECRET=secrets.token_urlsafe(64),
        AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS="registrar:user,archivist:admin,viewer:viewer",
        AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE=str(home / "passwords.json"),
        ARCHIVE_STORE=store_url,
        ARCHIVE_INDEX_DIR=str(home / "index"),
        PYTHONPATH=str(REPO),
    )
    airflow = str(pathlib.Path(sys.executable).parent / "airflow")
    subprocess.run(
        [airflow, "db", "migrate"], env=env, check=True, capture_output=True, timeout=START_TIMEOUT
    )
    processes = ProcessGroup(home / "logs")
    try:
        api = processes.start("api-server", [airflow, "api-server"], env, watch=True)
        # uvicorn prints this once the app has started and the socket listens, with its port.
        base = api.wait_for_line(r"Uvicorn running on (http://127\.0\.0\.1:\d+)").group(1)
        status, _, answer = _request(f"{base}/api/v2/monitor/health")
        assert status == 200, answer
        tokens = {}
        for user, password in passwords.items():
            body = json.dumps({"username": user, "password": password}).encode()
            status, _, answer = _request(
                f"{base}/auth/token", data=body, headers={"Content-Type": "application/json"}
            )
            assert status in (200, 201), answer
            tokens[user] = json.loads(answer)["access_token"]
        yield Server(base, tokens["registrar"], store_url, tokens)
    finally:
        processes.stop_all()


def test_anonymous_requests_are_refused(server: Server) -> None:
    for path in ("/registry/", "/registry/?q=badhus", "/registry/thread/1", "/registry/static/style.css"):
        status, _, _ = _request(server.base + path)
        assert status in (401, 403), path
    status, _, _ = _request(server.base + "/registry/", token="not-a-token")
    assert status in (401, 403)
    form = urllib.parse.urlencode({"purpose": "x", "reference": "y", "item": "1"}).encode()
    status, _, _ = _request(server.base + "/registry/export", data=form)
    assert status in (401, 403)
    # The same pages answer a signed-in user, with a strict policy.
    status, headers, body = _request(server.base + "/registry/?q=badhus", token=server.token)
    assert status == 200 and "<mark>Badhuset</mark> stänger för renovering" in body.decode()
    assert "default-src 'none'" in headers["content-security-policy"]


def test_the_page_speaks_the_language_the_browser_asks_for(server: Server) -> None:
    def page(accept: str | None) -> tuple[dict[str, str], str]:
        asked = {"Accept-Language": accept} if accept else {}
        status, headers, body = _request(
            server.base + "/registry/?q=badhus", token=server.token, headers=asked
        )
        assert status == 200
        return {k.lower(): v for k, v in headers.items()}, body.decode()

    for accept in (None, "sv-SE,sv;q=0.9,en;q=0.8", "de-DE,de;q=0.9"):  # Swedish unless English is asked
        headers, body = page(accept)
        assert headers["content-language"] == "sv" and "Accept-Language" in headers["vary"]
        assert '<html lang="sv">' in body and "3 träffar; de 3 nyaste visas." in body, accept
    headers, body = page("en-GB,en;q=0.9,sv;q=0.5")
    assert headers["content-language"] == "en" and '<html lang="en">' in body
    assert "3 items match; newest 3 shown." in body and "<mark>Badhuset</mark> stänger för renovering" in body


def test_the_plugin_is_in_airflows_menu(server: Server) -> None:
    status, _, body = _request(server.base + "/api/v2/plugins", token=server.token)
    assert status == 200
    plugins = {p["name"]: p for p in json.loads(body)["plugins"]}
    assert plugins["registrar_views"]["external_views"][0]["href"] == "/registry/"


def test_release_package_download(
    server: Server, registrar_archive: RegistrarArchive, tmp_path: pathlib.Path
) -> None:
    item = registrar_archive.ids["question"]
    form = urllib.parse.urlencode(
        [("purpose", "Begäran"), ("reference", "KS 2026/9"), ("item", f"ks-mastodon/{item}")]
    ).encode()
    status, headers, body = _request(server.base + "/registry/export", token=server.token, data=form)
    assert status == 200 and headers["content-type"] == "application/zip"
    (tmp_path / "p.zip").write_bytes(body)
    with zipfile.ZipFile(tmp_path / "p.zip") as package:
        manifest = json.loads(package.read("manifest.json"))
    assert manifest["made_by"] == "registrar" and manifest["item_ids"] == [item]
    elsewhere = {"Origin": "http://evil.example"}
    status, _, _ = _request(
        server.base + "/registry/export", token=server.token, data=form, headers=elsewhere
    )
    assert status == 403


def test_a_script_in_a_comment_is_shown_as_text_in_a_browser(
    server: Server, registrar_archive: RegistrarArchive, tmp_path: pathlib.Path
) -> None:
    from playwright.sync_api import sync_playwright

    assert pathlib.Path(CHROMIUM).exists(), "install Debian's chromium: apt-get install chromium"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_FLAGS, headless=True, timeout=EVENT_TIMEOUT * 1000
        )
        try:
            context = browser.new_context(
                locale="sv-SE", extra_http_headers={"Authorization": f"Bearer {server.token}"}
            )
            # Every wait below is for an event (load, a URL); the timeout only ends a broken one.
            context.set_default_timeout(EVENT_TIMEOUT * 1000)
            page = context.new_page()
            console: list[str] = []
            page.on("console", lambda message: console.append(message.text))
            requests: list[str] = []
            page.on("request", lambda request: requests.append(request.url))

            page.goto(f"{server.base}/registry/?q=titta")
            assert "1 träff; 1 visas." in page.inner_text("body")  # a Swedish browser: Swedish words
            assert SCRIPT_TEXT in page.inner_text("table")
            page.click("text=tråd")
            # The click only starts the navigation: wait until the thread page itself has loaded
            # (the search page is loaded already, so waiting for "a load state" would not wait).
            page.wait_for_url(re.compile(r"/registry/thread\?item="))
            assert "/registry/thread?item=" in page.url
            body = page.inner_text("body")
            assert SCRIPT_TEXT in body and "Badhuset stänger för renovering" in body
            assert page.evaluate("window.pwned") is None and page.title() != "pwned"
            assert page.locator("script").count() == 0
            # The stylesheet applied (not blocked by the policy) and nothing came from elsewhere.
            assert page.evaluate("getComputedStyle(document.body).fontFamily") == "sans-serif"
            assert not [m for m in console if "Content Security Policy" in m], console
            assert all(url.startswith(server.base) for url in requests), requests
        finally:
            browser.close()


def test_marking_and_the_access_log_by_role(server: Server, registrar_archive: RegistrarArchive) -> None:
    from archive_lib.metadata.access import read_access
    from archive_lib.metadata.markings import active_markings
    from archive_lib.storage import FileStore

    item = registrar_archive.ids["question"]
    registrar, archivist, viewer = (server.tokens[u] for u in ("registrar", "archivist", "viewer"))
    ground = "OSL 26 kap. 1 §"
    # A viewer is signed in to Airflow but is neither registrar nor archivist.
    assert _english(server.base + "/registry/?q=badhus", token=viewer)[0] == 403
    form = urllib.parse.urlencode(
        {"item": item, "account": "ks-mastodon", "ground": ground, "reference": "KS 2026/91"}
    ).encode()
    assert _english(server.base + "/registry/mark", token=viewer, data=form)[0] == 403
    status, _, body = _english(server.base + "/registry/mark", token=registrar, data=form)
    # Answered by the thread page, after the redirect.
    assert status == 200 and f"secrecy: <bdi>{ground}</bdi>" in body.decode()
    assert "Lift the secrecy marking" not in body.decode()  # a registrar may not unmark
    store = FileStore(server.store_url)
    assert active_markings(store)[("ks-mastodon", item)].marked_by == "registrar"
    assert _english(server.base + "/registry/mark", token=registrar, data=form)[0] == 409  # marked already
    status, _, body = _english(server.base + "/registry/?q=badhus", token=registrar)
    assert status == 200 and f"secrecy: <bdi>{ground}</bdi>" in body.decode()

    unmark = urllib.parse.urlencode({"item": item, "account": "ks-mastodon", "reason": "Prövat"}).encode()
    assert _english(server.base + "/registry/unmark", token=registrar, data=unmark)[0] == 403
    assert _english(server.base + "/registry/access-log", token=registrar)[0] == 403
    elsewhere = {"Origin": "http://evil.example"}
    assert (
        _english(server.base + "/registry/unmark", token=archivist, data=unmark, headers=elsewhere)[0] == 403
    )
    status, _, body = _english(server.base + "/registry/unmark", token=archivist, data=unmark)
    assert (
        status == 200 and "secrecy:" not in body.decode() and "Mark this item under secrecy" in body.decode()
    )
    assert ("ks-mastodon", item) not in active_markings(store)

    status, _, body = _english(server.base + "/registry/access-log?who=registrar", token=archivist)
    page = body.decode()
    assert status == 200 and "Access log" in page and ">mark<" in page and ">search<" in page
    acts = [(e.user, e.action) for e in read_access(store)]
    for act in [
        ("registrar", "mark"),
        ("registrar", "search"),
        ("registrar", "show"),
        ("archivist", "unmark"),
    ]:
        assert act in acts, act
    assert ("archivist", "access-log") in acts and not any(user == "viewer" for user, _ in acts)
    marked = next(e for e in read_access(store) if e.action == "mark")
    assert marked.items == [item] and "KS 2026/91" in (marked.purpose or "")


def test_the_thread_view_joins_moderation_notes(
    server: Server, registrar_archive: RegistrarArchive, tmp_path: pathlib.Path
) -> None:
    from archive_lib.cli.main import main

    doomed = registrar_archive.ids["doomed"]
    query = urllib.parse.urlencode({"item": doomed, "account": "ks-mastodon"})
    status, _, body = _english(f"{server.base}/registry/thread?{query}", token=server.token)
    assert status == 200 and "deleted with no moderation note" in body.decode()
    note = ["moderation", "note", "--item", doomed, "--action", "deleted", "--by", "Eva Moderator"]
    note += ["--ground", "BBS-lagen 5 §", "--at", "2026-11-20T15:30+01:00"]
    assert main([*note, "--store", server.store_url, "--index", str(tmp_path / "index")]) == 0
    status, _, body = _english(f"{server.base}/registry/thread?{query}", token=server.token)
    page = body.decode()
    assert status == 200 and "deleted with no moderation note" not in page
    assert (
        "moderation: deleted by <bdi>Eva Moderator</bdi>, 20 Nov 2026, 15:30, ground <bdi>BBS-lagen 5 §</bdi>"
        in page
    )


def test_screenshots_of_the_swedish_web_view(
    server: Server, registrar_archive: RegistrarArchive, tmp_path: pathlib.Path
) -> None:
    """Search results and a thread as a Swedish registrar's browser shows them, saved as PNG
    (in the test's temporary folder) for a person to look at; laid out without overflow."""
    from playwright.sync_api import sync_playwright

    assert pathlib.Path(CHROMIUM).exists(), "install Debian's chromium: apt-get install chromium"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_FLAGS, headless=True, timeout=EVENT_TIMEOUT * 1000
        )
        try:
            context = browser.new_context(
                locale="sv-SE",
                viewport={"width": 1280, "height": 900},
                extra_http_headers={"Authorization": f"Bearer {server.token}"},
            )
            context.set_default_timeout(EVENT_TIMEOUT * 1000)
            page = context.new_page()

            page.goto(f"{server.base}/registry/?q=badhus")
            assert page.get_attribute("html", "lang") == "sv" and page.title() == "Sök i arkivet"
            body = page.inner_text("body")
            assert "3 träffar; de 3 nyaste visas." in body and "Lämna ut dessa handlingar" in body
            first_row = page.locator("table tr").nth(1)
            when = first_row.locator("td").first
            assert SWEDISH_STAMP.fullmatch(when.inner_text().strip())
            assert when.evaluate(LINES) == 1  # a date and time on one line, never broken
            assert "insamlad 2026-11-2" in first_row.inner_text()
            _assert_swedish_and_laid_out(page)
            results = _screenshot(page, tmp_path / "sok-badhus.png")

            page.locator("tr", has_text="Tack för beskedet").get_by_role("link", name="tråd").click()
            page.wait_for_url(re.compile(r"/registry/thread\?item="))
            body = page.inner_text("body")
            assert page.inner_text("h1").startswith("Tråd ")
            assert "Badhuset stänger för renovering från måndag." in body  # archived text as it was
            assert "skapad 2026-11-10 kl. 09.00" in body  # 08:00 UTC, in Stockholm time
            assert "redigerad" in body and "raderad" in body and "alla insamlade versioner" in body
            _assert_swedish_and_laid_out(page)
            thread = _screenshot(page, tmp_path / "trad.png")
            assert results != thread
        finally:
            browser.close()


#: How many lines the text of an element takes on screen.
LINES = """(el) => {
    const range = document.createRange();
    range.selectNodeContents(el);
    return range.getClientRects().length;
}"""
SWEDISH_STAMP = re.compile(r"\d{4}-\d{2}-\d{2} kl\. \d{2}\.\d{2}")
#: Words of the English interface that a Swedish page must not show.
ENGLISH = ("items match", "Search the archive", "captured", "created", "thread", "nights seen", "Release")


def _assert_swedish_and_laid_out(page: Any) -> None:
    text = page.inner_text("body")
    found = [w for w in ENGLISH if re.search(rf"\b{w}\b", text)]
    assert not found, found
    # Nothing wider than the window: no line of the interface runs off the page.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def _screenshot(page: Any, path: pathlib.Path) -> bytes:
    page.screenshot(path=str(path), full_page=True)
    data = path.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    width, height = struct.unpack(">II", data[16:24])  # the IHDR chunk
    assert width == 1280 and height >= 300, (width, height)
    return data
