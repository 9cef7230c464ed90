"""The web view over the hostile archive: any id opens its thread, names stay in their place.

The same real ``airflow api-server`` as tests/test_web.py (its ``server`` fixture), serving the
hostile archive instead: in this module, ``registrar_archive`` is that archive.
"""

from __future__ import annotations

import html
import json
import pathlib
import re
import urllib.parse
import zipfile

import pytest

from tests import test_web
from tests.registrar_fixtures import ODD_ID, SPOOFED_NAME, TRAVERSAL_ID, RegistrarArchive
from tests.test_web import CHROMIUM, CHROMIUM_FLAGS, Server, _request

server = test_web.server  # the same fixture: it serves this module's registrar_archive


@pytest.fixture(scope="module")
def registrar_archive(hostile_archive: RegistrarArchive) -> RegistrarArchive:
    return hostile_archive


def get(server: Server, path: str) -> str:
    status, _, body = _request(server.base + path, token=server.token)
    assert status == 200, (path, body[:500])
    return body.decode()


def thread_links(page: str) -> list[str]:
    return [html.unescape(h) for h in re.findall(r'<a href="([^"]*/thread[^"]*)">tråd</a>', page)]


def assert_isolated(page: str, text: str) -> None:
    escaped = html.escape(text)
    assert escaped in page
    assert page.count(escaped) == page.count(f"<bdi>{escaped}</bdi>")


def test_any_id_opens_its_thread_by_query(server: Server, registrar_archive: RegistrarArchive) -> None:
    ids = registrar_archive.ids
    cases = [
        (ids["bluesky_reply"], "ks-bluesky", "Ny cykelväg längs Helge å."),
        (ids["bluesky_post"], None, "Bra!"),
        (TRAVERSAL_ID, "ks-youtube", "Budget 2027 förklarad"),
        (ODD_ID, None, "Lördagsöppet"),
    ]
    for item, account, expected in cases:
        query = {"item": item, **({"account": account} if account else {})}
        page = get(server, "/registry/thread?" + urllib.parse.urlencode(query))
        assert expected in page, item
        assert f'<input type="hidden" name="item" value="{html.escape(item)}">' in page
    # A link handed out before, an ordinary id in the path, still opens its thread.
    page = get(server, f"/registry/thread/{ids['formula']}?account=ks-mastodon")
    assert "Budgeten för 2027 är klar." in page
    status, _, _ = _request(server.base + "/registry/thread?item=404404", token=server.token)
    assert status == 404
    anonymous = server.base + "/registry/thread?" + urllib.parse.urlencode({"item": TRAVERSAL_ID})
    assert _request(anonymous)[0] in (401, 403)  # signed-in users only, as every route


def test_result_links_open_every_thread(server: Server, registrar_archive: RegistrarArchive) -> None:
    ids = registrar_archive.ids
    opened = {}
    for account in ("ks-mastodon", "ks-bluesky", "ks-youtube"):
        results = get(server, f"/registry/?account={account}")
        for link in thread_links(results):
            assert link.startswith("/registry/thread?item=")
            item = urllib.parse.parse_qs(urllib.parse.urlsplit(link).query)["item"][0]
            opened[item] = get(server, link)
    assert set(opened) == {
        ids[role]
        for role in (
            *("mastodon_post", "formula", "plus", "minus", "at", "escape", "fake_deleted"),
            *("bluesky_post", "bluesky_reply", "youtube_traversal", "youtube_odd", "youtube_comment"),
        )
    }
    assert "Tråd <bdi>../../etc/passwd</bdi>" in opened[TRAVERSAL_ID]  # Swedish: no Accept-Language
    assert f"Tråd <bdi>{html.escape(ODD_ID)}</bdi>" in opened[ODD_ID]


def test_author_names_are_isolated_in_results_and_threads(server: Server) -> None:
    for path in ("/registry/?account=ks-mastodon", "/registry/?account=ks-bluesky"):
        results = get(server, path)
        assert_isolated(results, SPOOFED_NAME)
        for link in thread_links(results):
            assert_isolated(get(server, link), SPOOFED_NAME)


def test_release_package_from_the_web_for_hostile_ids(
    server: Server, registrar_archive: RegistrarArchive, tmp_path: pathlib.Path
) -> None:
    ids = registrar_archive.ids
    items = [f"ks-bluesky/{ids['bluesky_reply']}", f"ks-youtube/{TRAVERSAL_ID}"]
    form = urllib.parse.urlencode(
        [("purpose", "Begäran"), ("reference", "KS 2026/13"), *[("item", i) for i in items]]
    ).encode()
    status, _, body = _request(server.base + "/registry/export", token=server.token, data=form)
    assert status == 200, body[:500]
    (tmp_path / "p.zip").write_bytes(body)
    with zipfile.ZipFile(tmp_path / "p.zip") as package:
        names = package.namelist()
        manifest = json.loads(package.read("manifest.json"))
    assert sorted(manifest["item_ids"]) == sorted([ids["bluesky_reply"], TRAVERSAL_ID])
    threads = [name for name in names if name.startswith("threads/")]
    assert threads and all(re.fullmatch(r"threads/[A-Za-z0-9_-]+\.(html|pdf)", n) for n in threads)


def test_in_a_browser_hostile_ids_open_and_a_spoofed_name_reorders_nothing(
    server: Server, registrar_archive: RegistrarArchive
) -> None:
    from playwright.sync_api import sync_playwright

    ids = registrar_archive.ids
    assert pathlib.Path(CHROMIUM).exists(), "install Debian's chromium: apt-get install chromium"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS, headless=True)
        try:
            # An English browser gets the English interface (and the same protections).
            context = browser.new_context(
                locale="en-GB", extra_http_headers={"Authorization": f"Bearer {server.token}"}
            )
            page = context.new_page()

            page.goto(f"{server.base}/registry/?account=ks-bluesky")
            page.locator("tr", has_text="Bra!").get_by_role("link", name="thread").click()
            # A click only starts the navigation: wait for the thread page itself.
            page.wait_for_url(re.compile(r"/registry/thread\?item="))
            assert "/registry/thread?item=at%3A%2F%2Fdid%3Aplc%3A" in page.url
            assert "Ny cykelväg längs Helge å." in page.inner_text("body")

            page.goto(f"{server.base}/registry/?account=ks-youtube")
            page.locator("tr", has_text="Budget 2027 förklarad").get_by_role("link", name="thread").click()
            page.wait_for_url(re.compile(r"/registry/thread\?item="))
            assert "Thread ../../etc/passwd" in page.inner_text("h1")
            assert page.url.startswith(f"{server.base}/registry/thread?")  # not resolved away

            # The as-of form keeps the id too.
            page.fill("input[name=as_of]", "2026-11-20")
            page.get_by_role("button", name="Show").click()
            page.wait_for_url(re.compile(r"as_of=2026-11-20"))
            assert "as it was on 2026-11-20" in page.inner_text("body")
            assert "Budget 2027 förklarad" in page.inner_text("body")

            # Laid out, the words after a name with an RTL override stay after it.
            page.goto(f"{server.base}/registry/thread?item={ids['formula']}")
            line = page.locator(f'[id="item-{ids["formula"]}"] .meta').first
            name_right, created_left = line.evaluate(
                """(el) => {
                    const name = el.querySelector('strong').getBoundingClientRect();
                    const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
                    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
                        const at = node.data.indexOf('created');
                        if (at >= 0) {
                            const range = document.createRange();
                            range.setStart(node, at);
                            range.setEnd(node, at + 'created'.length);
                            return [name.right, range.getBoundingClientRect().left];
                        }
                    }
                    return null;
                }"""
            )
            assert created_left >= name_right, (name_right, created_left)
        finally:
            browser.close()
