"""What registrars get out of the hostile archive is found, and inert wherever it lands.

* search finds the backdated comment (created in the year 99);
* CSV (``search --format csv``, a package's ``items.csv``) has no cell a spreadsheet takes for a
  formula: none starts with ``=``, ``+``, ``-`` or ``@`` unprefixed, and the text is still there;
* terminal output (``show``, ``search``) holds no raw control character (ESC, BEL, CR ...) and no
  bidirectional override, whatever the authors wrote;
* a release package's file names are safe to unpack anywhere, and unique;
* the web view opens the threads of ids full of ``/``, ``..`` and ``:``, following its own links
  as a browser does.
"""

from __future__ import annotations

import csv
import html
import io
import json
import re
import socket
import threading
import urllib.request
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlencode, urljoin

import pytest

from tests.fakes.hostile import world as hostile
from tests.hostile.conftest import HostileArchive, Registrar

FORMULA_START = ("=", "+", "-", "@")
#: C0 controls but the line feed, DEL, C1 controls, and the bidirectional embeddings, overrides
#: and isolates (a name with U+202E reads backwards on a terminal).
UNSAFE_ON_A_TERMINAL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def test_search_finds_the_backdated_comment(registrar: Registrar, hostile_archive: HostileArchive) -> None:
    hits = json.loads(registrar.commands["search ancient"].ok())
    old = hostile_archive.town("year99")
    assert [(h["account_id"], h["text"]) for h in hits] == [(old.account_id, hostile.ANCIENT_TEXT)]
    assert hits[0]["created_at"].startswith("0099-01-01")


def test_search_csv_has_no_formula_cells(registrar: Registrar) -> None:
    rows = _parse_csv(registrar.commands["search csv"].ok())
    assert len(rows) > 20
    _no_formulas(rows)


def test_the_packages_items_csv_has_no_formula_cells(registrar: Registrar) -> None:
    registrar.commands["export ordinary"].ok()
    with zipfile.ZipFile(registrar.packages["ordinary"]) as package:
        text = package.read("items.csv").decode("utf-8-sig")
    _no_formulas(_parse_csv(text))


def _parse_csv(text: str) -> list[list[str]]:
    try:
        return list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as error:  # a spreadsheet would split the row there
        raise AssertionError(
            f"the CSV does not parse ({error}): a cell holds an unquoted line break"
        ) from None


def _no_formulas(rows: list[list[str]]) -> None:
    cells = [cell for row in rows for cell in row]
    formulas = [cell for cell in cells if cell.startswith(FORMULA_START)]
    assert formulas == []
    # Neutralised, not dropped: each text is still there, behind at most one character.
    for text in (*hostile.FORMULAS, hostile.FORMULA_NAME):
        assert any(cell.endswith(text) and len(cell) - len(text) <= 1 for cell in cells), text


@pytest.mark.parametrize("command", ["search table", "show"])
def test_terminal_output_holds_no_control_characters(registrar: Registrar, command: str) -> None:
    outputs = {k: c for k, c in registrar.commands.items() if k.startswith(command)}
    assert outputs
    for name, done in outputs.items():
        text = done.ok()
        found = sorted({f"U+{ord(c):04X}" for c in UNSAFE_ON_A_TERMINAL.findall(text)})
        assert found == [], f"{name}: {found}"
    shown = "\n".join(done.stdout for done in outputs.values())
    # The hostile items are shown all the same (their harmless words at least).
    for words in ("RÖTT", "Överskriven rad", "Jag bifogar fakturan"):
        assert words in shown, words


def test_package_file_names_are_safe_and_unique(registrar: Registrar) -> None:
    for name, path in registrar.packages.items():
        registrar.commands[f"export {name}"].ok()
        with zipfile.ZipFile(path) as package:
            names = package.namelist()
            manifest = json.loads(package.read("manifest.json"))
        assert len(names) == len(set(names)), names
        assert any(n.startswith("threads/") for n in names)
        for entry in names:
            folder, _, file = entry.rpartition("/")
            assert folder in ("", "threads"), entry
            assert file and file not in (".", "..") and ".." not in file, entry
            assert not re.search(r"[:\\\x00-\x1f\x7f]", entry), entry
        assert {f["path"] for f in manifest["files"]} == set(names) - {"manifest.json"}
        pages = [n for n in names if n.startswith("threads/") and n.endswith(".html")]
        assert len(pages) == len(manifest["threads"]), "two threads were written under one name"


# -- the web view -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Registrar:
    """A signed-in user with Airflow's role USER, which makes a registrar by default."""

    role: str = "User"

    def get_name(self) -> str:
        return "registrar"


def _registrar_user() -> _Registrar:
    return _Registrar()


@pytest.fixture(scope="module")
def web(hostile_archive: HostileArchive) -> Iterator[str]:
    """The registrars' web view over the hostile archive, served on loopback."""
    import uvicorn

    from archive_lib.registry.web import create_app

    index = hostile_archive.folder / "web-index"
    app = create_app(_registrar_user, lambda: hostile_archive.store_url, str(index))
    listening = socket.create_server(("127.0.0.1", 0))  # requests wait in its backlog until served
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listening]}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listening.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        listening.close()


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=60) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(errors="replace")


@pytest.mark.parametrize(
    "item_id", [hostile.TRAVERSAL_POST, hostile.TRAVERSAL_REPLY, hostile.BLUESKY_POST, hostile.BLUESKY_REPLY]
)
def test_the_web_view_opens_the_thread_of_any_id(
    web: str, hostile_archive: HostileArchive, item_id: str
) -> None:
    town = hostile_archive.town("traversal")
    page = f"{web}/?{urlencode({'account': town.account_id})}"
    status, body = _get(page)
    assert status == 200, body
    links = [html.unescape(h) for h in re.findall(r'href="([^"]*/thread[/?][^"]*)"', body)]
    assert len(links) == len(town.statuses), links
    status_of = {s.id: s for s in town.statuses}
    opened = {}
    for link in links:
        code, thread = _get(urljoin(page, link))  # resolved as a browser resolves it
        assert code == 200, f"{link}: HTTP {code}"
        opened.update({i: thread for i in status_of if f'id="item-{html.escape(i)}"' in thread})
    assert item_id in opened, f"no thread link opened the thread holding {item_id!r}"
    assert status_of[item_id].text in html.unescape(opened[item_id])
