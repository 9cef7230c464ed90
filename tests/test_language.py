"""The registrars' own language: the catalogues, Swedish and English dates, the choice of language,
and renditions that speak it while archived text stays as it was.

The catalogues are checked as a translator and a packager meet them: every word the code and the
templates mark is in the template (``.pot``) and in both catalogues, Swedish translates every one
of them (no fuzzy entries, the same placeholders), and the compiled ``.mo`` files shipped in the
package say what the ``.po`` files say. ``make translations`` makes all of that true again.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gettext
import importlib.resources
import io
import json
import pathlib
import re
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from typing import Any

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po
from hypothesis import given
from hypothesis import strategies as st

from archive_lib.audit.html import render_html
from archive_lib.audit.report import KINDS, AuditReport, Period, Problem
from archive_lib.cli.main import main
from archive_lib.clock import STOCKHOLM, in_stockholm
from archive_lib.errors import ConfigError
from archive_lib.language import (
    DOMAIN,
    MAX_HEADER,
    N_,
    SUPPORTED,
    from_accept_language,
    from_setting,
    language,
)
from archive_lib.registry.export import ExportRequest, make_export
from archive_lib.registry.pdf import find_font, thread_pdf
from archive_lib.registry.render import render
from archive_lib.registry.thread import load_thread
from archive_lib.registry.web import _marked
from archive_lib.search import SearchIndex, SearchQuery
from tests.conftest import REPO
from tests.helpers import PROCESS_TIMEOUT
from tests.registrar_fixtures import SCRIPT_TEXT, RegistrarArchive

LOCALE = pathlib.Path(str(importlib.resources.files("archive_lib") / "locale"))
PYBABEL = pathlib.Path(sys.executable).with_name("pybabel")
SWEDISH_STAMP = re.compile(r"\d{4}-\d{2}-\d{2} kl\. \d{2}\.\d{2}")


def _ids(catalog: Catalog) -> set[Any]:
    return {m.id for m in catalog if m.id}


def _po(code: str) -> Catalog:
    with (LOCALE / code / "LC_MESSAGES" / f"{DOMAIN}.po").open("rb") as handle:
        return read_po(handle, locale=code)


@contextlib.contextmanager
def untranslated(code: str = "sv") -> Iterator[list[str]]:
    """Every message asked of ``code``'s catalogue that it does not hold, while the block runs."""
    missed: list[str] = []

    class Recorder(gettext.NullTranslations):
        def gettext(self, message: str) -> str:
            missed.append(message)
            return message

        def ngettext(self, singular: str, plural: str, n: int) -> str:
            missed.append(singular)
            return singular if n == 1 else plural

    translations = language(code).translations
    translations.add_fallback(Recorder())
    try:
        yield missed
    finally:
        translations._fallback = None


# -- the catalogues -----------------------------------------------------------------------------


def test_the_catalogues_hold_every_word_the_code_marks(tmp_path: pathlib.Path) -> None:
    pot = tmp_path / "archive.pot"
    subprocess.run(
        [
            str(PYBABEL),
            "-q",
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "html",
            "--no-location",
            "-o",
            str(pot),
            ".",
        ],
        cwd=REPO,
        check=True,
        capture_output=True,
        timeout=PROCESS_TIMEOUT,
    )
    with pot.open("rb") as handle:
        marked = _ids(read_po(handle))
    assert len(marked) > 150  # the web view, the renditions and the audit report
    with (LOCALE / f"{DOMAIN}.pot").open("rb") as handle:
        assert _ids(read_po(handle)) == marked, "the template is out of date: run make translations"
    for code in SUPPORTED:
        assert _ids(_po(code)) == marked, f"the {code} catalogue is out of date: run make translations"


def test_swedish_translates_every_message() -> None:
    catalog = _po("sv")
    assert not catalog.fuzzy
    for message in catalog:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        assert strings and all(strings), f"untranslated in sv: {message.id!r}"
        assert not message.fuzzy, f"fuzzy in sv (check the translation): {message.id!r}"
        original = "".join(message.id) if isinstance(message.id, tuple) else message.id
        # The templates trust a translation as they trust themselves (Jinja2's i18n extension):
        # it may add no markup, no entity and no quote that could end an attribute.
        for char in "<>&\"'":
            assert char not in "".join(strings) or char in original, (char, message.id)
    problems = [(m.id, errors) for m, errors in catalog.check() if errors]
    assert not problems, problems  # placeholders as in the English (python-format)


@pytest.mark.parametrize("code", SUPPORTED)
def test_the_compiled_catalogues_say_what_the_po_files_say(code: str) -> None:
    mo = LOCALE / code / "LC_MESSAGES" / f"{DOMAIN}.mo"
    assert mo.is_file(), f"{mo} is missing: run make translations"
    with mo.open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    checked = 0
    for message in _po(code):
        if not message.id:
            continue
        if isinstance(message.id, tuple):
            for n, form in ((1, 0), (2, 1)):
                expected = message.string[form] or message.id[form]
                assert compiled.ngettext(message.id[0], message.id[1], n) == expected, message.id
        else:
            assert compiled.gettext(message.id) == (message.string or message.id), message.id
        checked += 1
    assert checked > 150


def test_the_catalogues_are_shipped_in_the_package() -> None:
    """Committed with the code (hatchling packs what git does not ignore), so the wheel and an
    editable ``make install`` both hold them."""
    files = [p for code in SUPPORTED for p in (LOCALE / code / "LC_MESSAGES").glob(f"{DOMAIN}.*")]
    assert sorted(p.suffix for p in files) == [".mo", ".mo", ".po", ".po"]
    ignored = subprocess.run(
        ["git", "check-ignore", *map(str, files)], cwd=REPO, capture_output=True, text=True, check=False
    )
    assert ignored.stdout == "", ignored.stdout
    assert language("sv").gettext("Search the archive") == "Sök i arkivet"


def test_an_unknown_language_is_refused() -> None:
    for value in ("de", "svenska", ""):
        with pytest.raises(ConfigError, match="sv or en"):
            language(value)
    with pytest.raises(ConfigError, match="'fi'"):
        from_setting("fi")
    assert from_setting(None).code == "sv" and from_setting(" EN ").code == "en"


# -- dates, numbers and the browser's choice ---------------------------------------------------------


def test_dates_in_swedish_and_english_style_in_stockholm_time() -> None:
    sv, en = language("sv"), language("en")
    winter = dt.datetime(2026, 11, 27, 11, 0, tzinfo=dt.UTC)
    summer = dt.datetime(2026, 7, 1, 10, 5, tzinfo=dt.UTC)
    assert sv.stamp(winter) == "2026-11-27 kl. 12.00" and en.stamp(winter) == "27 Nov 2026, 12:00"
    assert sv.stamp(summer) == "2026-07-01 kl. 12.05" and en.stamp(summer) == "1 Jul 2026, 12:05"
    assert sv.stamp("2026-11-27T11:00:00+00:00") == sv.stamp(winter)
    assert sv.stamp(dt.datetime(2026, 11, 27, 11, 0)) == sv.stamp(winter)  # naive means UTC
    assert sv.stamp(None) == "" and sv.stamp(dt.date(2026, 11, 27)) == "2026-11-27"
    # Past the calendar's end Stockholm's date does not exist: UTC, and said so.
    assert sv.stamp(dt.datetime(9999, 12, 31, 23, 30, tzinfo=dt.UTC)) == "9999-12-31 kl. 23.30 UTC"
    assert sv.stamp(dt.datetime(99, 1, 2, 3, 4, tzinfo=dt.UTC)).startswith("0099-01-02 kl. ")
    assert (sv.month(dt.date(2026, 11, 1)), en.month(dt.date(2026, 11, 1))) == (
        "november 2026",
        "November 2026",
    )
    assert (sv.weekday(dt.date(2026, 11, 27)), en.weekday(dt.date(2026, 11, 27))) == ("fredag", "Friday")
    assert sv.number(1234567) == "1\u00a0234\u00a0567" and en.number(1234567) == "1,234,567"
    assert sv.number(12.25, 1) == "12,2" and sv.percent(0.853) == "85\u00a0%" and en.percent(0.853) == "85%"


@given(st.datetimes(timezones=st.just(dt.UTC)))
def test_every_moment_reads_in_swedish_style(moment: dt.datetime) -> None:
    text = language("sv").stamp(moment)
    local = in_stockholm(moment)
    assert SWEDISH_STAMP.fullmatch(text.removesuffix(" UTC")), text
    assert text.endswith(" UTC") == (local.tzinfo != STOCKHOLM)
    assert text.startswith(f"{local.year:04d}-{local:%m-%d} kl. {local:%H.%M}")


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, "sv"),
        ("", "sv"),
        ("sv-SE,sv;q=0.9,en-US;q=0.8,en;q=0.7", "sv"),
        ("en-GB,en;q=0.9", "en"),
        ("en-US", "en"),
        ("de-DE,de;q=0.9", "sv"),  # neither: the default
        ("de-DE, en;q=0.5", "en"),
        ("fr;q=1, en;q=0.4, sv;q=0.5", "sv"),
        ("en;q=0, sv;q=0.1", "sv"),
        ("en;q=0", "sv"),  # not acceptable
        ("*", "sv"),
        ("EN", "en"),
        ("en;q=abc, en;q=2", "sv"),  # unreadable weights are passed over
        ("\x00\x1b[2J, <script>", "sv"),
        ("sv;q=0.1, " * 100 + "en", "sv"),  # only the first entries are read
        ("x" * (MAX_HEADER - 2) + ",en", "sv"),  # only the first characters are read
    ],
)
def test_the_browser_chooses_the_language(header: str | None, expected: str) -> None:
    assert from_accept_language(header).code == expected


# -- renditions --------------------------------------------------------------------------------


def _web_pages(archive: RegistrarArchive, index: SearchIndex, code: str) -> tuple[str, str]:
    """The search results for *badhus* and the thread of the edited comment, as the web view
    renders them in ``code``."""
    results = index.search(SearchQuery("badhus"))
    for hit in results.hits:
        hit["parts"] = _marked(hit["snippet"], hit["highlights"])
        hit["secrecy"] = None  # the web view joins the markings (none here)
    form = dict.fromkeys(("q", "board", "account", "author", "type", "event", "since", "until"), "")
    words = language(code)
    page = render("web_search.html", words, base="", user="Rita", form=form, results=results, error=None)
    thread = load_thread(index.store, index, archive.ids["edited"])
    focus = next(item for _, item in thread.items() if item.item_id == thread.focus)
    return page, render("web_thread.html", words, base="", user="Rita", thread=thread, focus=focus)


@pytest.fixture
def index(registrar_archive: RegistrarArchive, tmp_path: pathlib.Path) -> SearchIndex:
    built = SearchIndex(registrar_archive.store, tmp_path / "index")
    built.refresh()
    return built


def test_the_web_view_speaks_swedish_and_leaves_archived_text_alone(
    registrar_archive: RegistrarArchive, index: SearchIndex
) -> None:
    with untranslated() as missed:
        results, thread = _web_pages(registrar_archive, index, "sv")
    assert missed == []
    assert '<html lang="sv">' in results and "<title>Sök i arkivet</title>" in results
    assert "3 träffar; de 3 nyaste visas." in results and ">tråd</a>" in results
    assert "<mark>Badhuset</mark> stänger för renovering" in results
    assert "placeholder='badhus, \"en fras\", simsk*, -ord'" in results
    assert re.search(r"<td class=\"when\">\d{4}-\d{2}-\d{2} kl\. \d{2}\.\d{2}</td>", results)
    for english in ("items match", ">thread<", "captured ", "Release these items", "any state"):
        assert english not in results, english
    assert "Tråd <bdi>" in thread and "redigerad 2026-11-21 kl. " in thread
    assert "Simskolan börjar den 19 januari, inte den 12." in thread  # archived text as it was
    assert "Simskolan börjar den 12 januari." in thread  # and its earlier version
    assert '<span class="marker deleted">raderad</span>' in thread
    assert "&lt;script&gt;" in thread and escaped(SCRIPT_TEXT) in thread
    for english in ("created ", "nights seen", "version 2 · edited", "every version captured"):
        assert english not in thread, english


def escaped(text: str) -> str:
    """``text`` as autoescaped HTML holds it."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("'", "&#39;")


def test_the_web_view_in_english(registrar_archive: RegistrarArchive, index: SearchIndex) -> None:
    results, thread = _web_pages(registrar_archive, index, "en")
    assert '<html lang="en">' in results and "3 items match; newest 3 shown." in results
    assert re.search(r"<td class=\"when\">\d{1,2} Nov 2026, \d{2}:\d{2}</td>", results)
    assert (
        "Thread <bdi>" in thread and "edited 21 Nov 2026, " in thread and "every version captured" in thread
    )
    assert "Simskolan börjar den 19 januari, inte den 12." in thread
    assert "träff" not in results and "skapad" not in thread


@pytest.mark.parametrize("code", SUPPORTED)
def test_release_package_renditions_in_either_language(
    registrar_archive: RegistrarArchive, index: SearchIndex, tmp_path: pathlib.Path, code: str
) -> None:
    request = ExportRequest(
        "Begäran", "KS 2026/77", "Rita Registrator", item_ids=(registrar_archive.ids["edited"],)
    )
    now = dt.datetime(2026, 11, 27, 11, 0, tzinfo=dt.UTC)
    with untranslated(code) as missed:
        result = make_export(
            index.store, index, request, tmp_path / "p.zip", now=lambda: now, words=language(code)
        )
    assert code == "en" or missed == []
    with zipfile.ZipFile(result.path) as package:
        manifest = json.loads(package.read("manifest.json"))
        page = package.read(manifest["threads"][0]["files"][0]).decode()
        header = package.read("items.csv").decode("utf-8-sig").splitlines()[0]
    assert manifest["language"] == code and f'<html lang="{code}">' in page
    assert header.startswith('"platform","account_id"')  # the data files keep the archive's names
    assert "Simskolan börjar den 19 januari, inte den 12." in page
    if code == "sv":
        assert (
            f"Utlämnande {result.export_id} · diarienummer <bdi>KS 2026/77</bdi> · gjort 2026-11-27 kl. 12.00"
            in page
        )
    else:
        assert (
            f"Export {result.export_id} · reference <bdi>KS 2026/77</bdi> · made 27 Nov 2026, 12:00" in page
        )


def test_pdf_rendition_words_come_from_the_catalogue(
    registrar_archive: RegistrarArchive, index: SearchIndex
) -> None:
    font = find_font()
    assert font is not None, "install fonts-dejavu-core (scripts/system-deps.sh)"
    thread = load_thread(index.store, index, registrar_archive.ids["edited"])
    made = dt.datetime(2026, 11, 27, 11, 0, tzinfo=dt.UTC)
    with untranslated() as missed:
        swedish, _ = thread_pdf(thread, font, header="Utlämnande", made_at=made, words=language("sv"))
    assert missed == []
    english, _ = thread_pdf(thread, font, header="Export", made_at=made, words=language("en"))
    assert b"/Lang (sv)" in swedish and b"/Lang (en)" in english
    assert io.BytesIO(swedish).read(5) == b"%PDF-"


# -- the audit report ------------------------------------------------------------------------------


def _report_with_every_problem() -> AuditReport:
    """A report holding one problem of every kind, a gallring candidate, a comment count gap and a
    failing token: every table the HTML report can show."""
    night = dt.date(2026, 11, 21)
    generated = dt.datetime(2026, 11, 27, 11, 0, tzinfo=dt.UTC)
    period = Period(night, night, generated, generated, generated)
    missing = Problem.said(
        "night_missing",
        N_("no run of %(account)s for the night of %(night)s"),
        {"account": "ks-mastodon", "night": night},
        account_id="ks-mastodon",
        run_date=night,
    )
    others = [
        Problem(kind, "as the store said it", key="warc/x.warc.gz")
        for kind in KINDS
        if kind != "night_missing"
    ]
    return AuditReport(
        period=period,
        generated_at=generated,
        store_url="file:///arkiv",
        inventory_path="/etc/arkiv/forteckning.yaml",
        organisation="Kristianstads kommun",
        accounts=[{"id": "ks-mastodon", "board": "Kommunstyrelsen"}],
        nights={"ks-mastodon": {night.isoformat(): "missing"}},
        night_details={"ks-mastodon": {night.isoformat(): {"detail": "no run"}}},
        problems=[missing, *others],
        fixity={
            "mode": "sample",
            "period_days": 90,
            "slice": 3,
            "objects_total": 12345,
            "objects_verified": 140,
            "share_verified": 140 / 12345,
            "bytes_read": 5 * 2**20,
            "bytes_in_manifests": 7 * 2**30,
            "warc_records_checked": 1000,
            "pointers_checked": 900,
            "protection_checked": 140,
        },
        retention={
            "classes": {
                "bevaras": {
                    "permanent": True,
                    "keep_years": None,
                    "decision": None,
                    "objects": 10,
                    "bytes": 10,
                    "expired": 0,
                },
                "gallras-efter-2-ar": {
                    "permanent": False,
                    "keep_years": 2,
                    "decision": "KS 2026/123",
                    "objects": 3,
                    "bytes": 2048,
                    "expired": 1,
                },
            },
            "candidates": [
                {
                    "key": "warc/a.warc.gz",
                    "retention_class": "gallras-efter-2-ar",
                    "retain_until": "2026-11-01",
                    "decision": "KS 2026/123",
                }
            ],
            "candidates_total": 1,
        },
        comment_counts=[
            {
                "account_id": "ks-mastodon",
                "run_date": "2026-11-21",
                "post_id": "1",
                "reported": 5,
                "captured": 3,
                "explanation": None,
            }
        ],
        credentials={
            "ks-mastodon": {
                "latest_status": "expired",
                "latest_night": "2026-11-21",
                "failures_in_a_row": 2,
                "expires_at": None,
            }
        },
        response_times={},
        response_boards={},
        response_items={},
    )


def test_the_audit_report_speaks_swedish_and_quotes_what_it_found() -> None:
    report = _report_with_every_problem()
    missing = report.problems[0]
    assert missing.detail == "no run of ks-mastodon for the night of 2026-11-21"  # JSON and logs: English
    assert report.to_json()["problems"][0]["detail"] == missing.detail
    with untranslated() as missed:
        page = render_html(report)
    assert missed == []  # every heading, column, kind's meaning and detail template is in the catalogue
    assert "ingen körning av ks-mastodon för natten 2026-11-21" in page
    assert "skapad 2026-11-27 kl. 12.00 (svensk tid)" in page
    assert "12\u00a0345" in page and "7,0\u00a0GiB" in page and "1,1\u00a0%" in page  # Swedish numbers
    assert "Kandidater för gallring (1)" in page and "2 år" in page and "misslyckanden i rad" in page
    assert ">har gått ut</span>" in page  # the token's status, "expired" in the runs table
    assert "as the store said it" in page  # what the checks found is quoted as it is
    english = render_html(report, language("en"))
    assert "no run of ks-mastodon for the night of 2026-11-21" in english and "12,345" in english
    assert "generated 27 Nov 2026, 12:00 (Stockholm)" in english


def test_a_bad_language_setting_is_refused_before_anything_is_made(
    registrar_archive: RegistrarArchive,
    tmp_path: pathlib.Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = tmp_path / "p.zip"
    export = ["export", "--store", registrar_archive.store_url, "--index", str(tmp_path / "index")]
    export += ["--purpose", "Begäran", "--reference", "KS 2026/1", "--out", str(out), "--item", "1"]
    monkeypatch.setenv("ARCHIVE_LANGUAGE", "de")
    assert main(export) == 2
    assert "language 'de' is not available: choose sv or en" in capsys.readouterr().err
    inventory = str(registrar_archive.folder / "inventory.yaml")
    assert main(["audit", "--store", registrar_archive.store_url, "--inventory", inventory]) == 2
    assert "language 'de'" in capsys.readouterr().err
    assert not out.exists() and not (tmp_path / "index").exists()
    with pytest.raises(SystemExit) as usage:  # the option itself offers only sv and en
        main([*export, "--language", "fi"])
    assert usage.value.code == 2
