"""``make demo``: one night of capture on the embedded defaults, against a bundled sample platform.

1. starts the fake Mastodon server with realistic Swedish content of Kristianstads kommun
   (two municipal accounts, citizens' questions and answers, an edit, a deletion, images), and
   the fake Graph API with the municipality's Facebook Page and Instagram account;
2. writes an inventory for it under ``.demo/``;
3. runs the ``capture_social_media`` DAG once with Airflow's embedded defaults (SQLite metadata
   database in ``.demo/airflow``) into the file store ``.demo/archive``;
4. prints what was captured and where;
5. signs every manifest with a demo key generated under ``.demo/keys/`` (kept there, never
   committed) and timestamps each signature at a Time-Stamp Authority started on 127.0.0.1 with
   its own test CA (``.demo/tsa/``), then verifies the archive as an outsider would and prints
   the commands to do it yourself.

Nothing leaves this machine: the platform and the TSA are on 127.0.0.1.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import pathlib
import shutil
import stat
import subprocess
import sys
import textwrap
from collections import Counter

REPO = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from archive_lib.clock import SystemClock, stockholm_date  # noqa: E402
from archive_lib.metadata.runs import runs_of_night  # noqa: E402
from archive_lib.storage import FileStore  # noqa: E402
from tests.fakes.bluesky import FakeBluesky  # noqa: E402
from tests.fakes.bluesky_sample import populate_demo as populate_bluesky_demo  # noqa: E402
from tests.fakes.graph_sample import populate_demo as populate_graph_demo  # noqa: E402
from tests.fakes.graph_server import FakeGraph  # noqa: E402
from tests.fakes.mastodon import FakeMastodon  # noqa: E402
from tests.fakes.mastodon_sample import populate_demo  # noqa: E402
from tests.fakes.youtube import FakeYouTube  # noqa: E402
from tests.fakes.youtube_sample import populate_demo as populate_youtube_demo  # noqa: E402
from tests.helpers import read_items  # noqa: E402
from tests.tsa import LoopbackTsa  # noqa: E402

DEMO = REPO / ".demo"
BIN = pathlib.Path(sys.executable).parent

INVENTORY = """\
# The account inventory (förteckning) of the demo: two boards' Mastodon accounts, a Facebook Page,
# an Instagram account, a YouTube channel and a Bluesky account.
organisation: Kristianstads kommun
contact: arkiv@kristianstad.example
retention_classes:
  bevaras: {{keep: permanent}}
  gallras-efter-2-ar: {{keep_years: 2, decision: "KS 2026/123"}}
accounts:
  - id: ks-mastodon
    board: Kommunstyrelsen
    platform: mastodon
    handle: kristianstad
    api_base: {api_base}
    responsible: Anna Andersson
    substitute: Bo Berg
    retention: bevaras
  - id: bibliotek-mastodon
    board: Kultur- och fritidsnämnden
    platform: mastodon
    handle: kristianstadbibliotek
    api_base: {api_base}
    responsible: Cecilia Ek
    substitute: Dan Dahl
    retention: gallras-efter-2-ar
  - id: ks-facebook
    board: Kommunstyrelsen
    platform: facebook
    handle: "{page_id}"
    api_base: {graph_base}
    token_env: DEMO_GRAPH_TOKEN
    responsible: Anna Andersson
    substitute: Bo Berg
    retention: bevaras
  - id: ks-instagram
    board: Kommunstyrelsen
    platform: instagram
    handle: "{instagram_id}"
    api_base: {graph_base}
    token_env: DEMO_GRAPH_TOKEN
    responsible: Anna Andersson
    substitute: Bo Berg
    retention: bevaras
  - id: ks-youtube
    board: Kommunstyrelsen
    platform: youtube
    handle: "{youtube_handle}"
    api_base: {youtube_base}
    token_env: DEMO_YOUTUBE_KEY
    responsible: Anna Andersson
    substitute: Bo Berg
    retention: bevaras
  - id: ks-bluesky
    board: Kommunstyrelsen
    platform: bluesky
    handle: {bluesky_handle}
    api_base: {bluesky_base}
    responsible: Anna Andersson
    substitute: Bo Berg
    retention: gallras-efter-2-ar
"""


def main() -> int:
    _fresh(DEMO / "archive")
    _fresh(DEMO / "index")  # derived from the archive above, so it goes with it
    (DEMO / "airflow").mkdir(parents=True, exist_ok=True)
    night = stockholm_date(SystemClock().now())
    key_file = _demo_key()
    _fresh(DEMO / "tsa")
    with (
        FakeMastodon() as fake,
        FakeGraph() as graph,
        FakeYouTube() as youtube,
        FakeBluesky() as bluesky,
        LoopbackTsa(DEMO / "tsa") as tsa,
    ):
        info = populate_demo(fake)
        graph_info = populate_graph_demo(graph)
        youtube_info = populate_youtube_demo(youtube)
        bluesky_info = populate_bluesky_demo(bluesky)
        inventory = DEMO / "inventory.yaml"
        inventory.write_text(
            INVENTORY.format(
                api_base=fake.base_url,
                graph_base=graph.api_base,
                page_id=graph_info["page"].id,
                instagram_id=graph_info["instagram"].id,
                youtube_handle=youtube_info["handle"],
                youtube_base=youtube.base_url,
                bluesky_handle=bluesky_info["handle"],
                bluesky_base=bluesky.base_url,
            ),
            encoding="utf-8",
        )
        store_url = (DEMO / "archive").as_uri()
        env = {
            **os.environ,
            "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
            "AIRFLOW_HOME": str(DEMO / "airflow"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__DAGS_FOLDER": str(REPO / "dags"),
            "AIRFLOW__CORE__PARALLELISM": "4",
            "AIRFLOW__API__HOST": "127.0.0.1",
            "ARCHIVE_INVENTORY": str(inventory),
            "ARCHIVE_STORE": store_url,
            "ARCHIVE_INDEX_DIR": str(DEMO / "index"),  # the registrars' search index, refreshed by the DAG
            "DEMO_GRAPH_TOKEN": graph_info["token"],  # valid only on the sample Graph server
            "DEMO_YOUTUBE_KEY": youtube_info["key"],  # valid only on the sample YouTube server
            "ARCHIVE_SIGNING_KEY": str(key_file),  # the demo's own key: manifests are signed
            "ARCHIVE_TSA_URL": tsa.url,  # and their signatures timestamped by the loopback TSA
            "ARCHIVE_TSA_CA": str(tsa.ca),
        }
        posts = sum(len(p) for p in info["posts"].values())
        print(
            f"Sample platform: fake Mastodon at {fake.base_url} "
            f"({posts} posts and {len(info['comments'])} comments of Kristianstads kommun)"
        )
        print(
            f"Sample platform: fake Graph API at {graph.api_base} (a Facebook Page with "
            f"{len(graph_info['facebook_posts'])} posts, an Instagram account with "
            f"{len(graph_info['instagram_posts'])} posts)"
        )
        print(
            f"Sample platform: fake YouTube at {youtube.base_url} ({len(youtube_info['videos'])} videos, "
            f"{len(youtube_info['comments'])} comments); fake Bluesky at {bluesky.base_url} "
            f"({len(bluesky_info['posts'])} posts, {len(bluesky_info['comments'])} replies)"
        )
        print(f"Inventory:       {inventory.relative_to(REPO)}")
        print(f"Store:           {store_url}")
        print(
            "Running the capture_social_media DAG once with Airflow's embedded defaults (SQLite) ...",
            flush=True,
        )
        _run([str(BIN / "airflow"), "db", "migrate"], env, DEMO / "airflow" / "migrate.log")
        log = DEMO / "airflow" / "dags-test.log"
        code = _run(
            [str(BIN / "airflow"), "dags", "test", "capture_social_media", night.isoformat()],
            env,
            log,
            check=False,
        )
    _report(FileStore(store_url), night, log, code)
    _audit(store_url, inventory, night)
    _verify(store_url, key_file, tsa.ca)
    return 0 if code == 0 else 1


def _demo_key() -> pathlib.Path:
    """The demo's signing key: made once under .demo/keys/ (git-ignored), kept for later demos."""
    from archive_lib.evidence.keys import generate_signing_key, private_pem

    path = DEMO / "keys" / "demo-signing-key.pem"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.parent.chmod(0o700)
        path.write_bytes(private_pem(generate_signing_key()))
        path.chmod(0o600)
    return path


def _verify(store_url: str, key_file: pathlib.Path, ca: pathlib.Path) -> None:
    """Check the demo archive's evidence as an outsider would, and say how to do it by hand."""
    from archive_lib.audit.verify import verify_store
    from archive_lib.evidence.keys import load_signing_key
    from archive_lib.evidence.timestamps import load_trust_anchors

    store = FileStore(store_url)
    result = verify_store(store, anchors=load_trust_anchors(ca), want_timestamps=True)
    key_id = load_signing_key(key_file).key_id
    manifest = next(k for k in store.list("manifests/") if k.endswith(".json"))
    root = store.root
    print()
    print(
        f"Evidence: every manifest signed with the demo key {key_id} ({key_file.relative_to(REPO)}) and "
        f"timestamped by a TSA on 127.0.0.1; verified: "
        + ("everything holds." if result.ok else f"{len(result.problems)} problems.")
    )
    print(f"  check it all offline:  .venv/bin/archivectl verify --store {store_url} --tsa-ca {ca}")
    print("  or one manifest with openssl alone:")
    print(
        f"    openssl pkeyutl -verify -pubin -inkey {root}/keys/{key_id}.pem -rawin "
        f"-in {root}/{manifest} -sigfile {root}/{manifest}.sig"
    )
    print(f"    openssl ts -verify -data {root}/{manifest}.sig -in {root}/{manifest}.tsr -CAfile {ca}")


def _fresh(folder: pathlib.Path) -> None:
    """Remove the previous demo archive (its files are read-only by design)."""
    if folder.exists():
        for path in folder.rglob("*"):
            if path.is_dir():
                path.chmod(path.stat().st_mode | stat.S_IWUSR)
        shutil.rmtree(folder)


def _run(command: list[str], env: dict[str, str], log: pathlib.Path, *, check: bool = True) -> int:
    with log.open("w") as out:
        code = subprocess.run(command, env=env, stdout=out, stderr=subprocess.STDOUT, check=False).returncode
    if code and check:
        print(log.read_text()[-4000:])
        raise SystemExit(f"{' '.join(command[1:])} failed (exit {code}); the log is {log}")
    return code


def _report(store: FileStore, night: dt.date, log: pathlib.Path, code: int) -> None:
    print()
    print(f"The night of {night}: " + ("every account captured." if code == 0 else f"see {log}"))
    for run in runs_of_night(store, night):
        counts = run["counts"]
        print(
            f"  {run['account_id']:<20} {run['status']:<6} {counts['posts_new']:>3} posts, "
            f"{counts['comments_new']:>3} comments, {counts['edited']} edits, "
            f"{counts['media_files']} media files, "
            f"{run['http_requests']} requests, {run['bytes_stored']:,} bytes"
        )
        for warning in run["warnings"] or []:
            print(
                textwrap.fill(f"warning: {warning}", 100, initial_indent="      ", subsequent_indent="      ")
            )
        if run["error"]:
            print(f"      error: {run['error']}")
    rows = read_items(store)
    print()
    print("Store layout (read-only files; retention and tags in hidden .NAME.meta.json beside each):")
    keys = sorted(store.list(""))
    shown = [k for k in keys if "ks-mastodon" in k or not k.startswith(("warc/", "metadata/", "manifests/"))]
    for key in shown:
        print(f"  {key}")
    print(f"  ... and {len(keys) - len(shown)} more objects of the other accounts")
    print()
    print("A few captured comments (Parquet metadata, one row per item version):")
    comments = [r for r in rows if r["item_type"] == "comment" and not r["author_is_account"]]
    for row in sorted(comments, key=lambda r: r["created_at"])[:5]:
        print(f"  {row['created_at']:%Y-%m-%d %H:%M} {row['author_name']}: {row['text'][:70]}")
        print(f"      → {row['warc_key'].rsplit('/', 1)[-1]} offset {row['warc_offset']}")
    events = Counter(r["event"] for r in rows)
    print()
    print(
        f"{len(rows)} item versions ({', '.join(f'{n} {e}' for e, n in sorted(events.items()))}) "
        f"in {store.url}"
    )
    print("Look closer: .venv/bin/archivectl runs --store " + store.url)
    print(
        f"Search it:   ARCHIVE_INDEX_DIR=.demo/index .venv/bin/archivectl search --store {store.url} badhus"
    )


def _audit(store_url: str, inventory: pathlib.Path, night: dt.date) -> None:
    """The archivist's audit of the demo archive: one HTML page (and its JSON) under .demo/audit/."""
    from archive_lib.audit import AuditOptions, audit_period, run_audit
    from archive_lib.audit.html import render_html
    from archive_lib.inventory import load_inventory

    # Six weeks back, so the sample platform's questions and answers are all in the period.
    period = audit_period(night - dt.timedelta(days=42), night, SystemClock().now())
    report = run_audit(
        FileStore(store_url), load_inventory(inventory), period, options=AuditOptions(full=True)
    )
    folder = DEMO / "audit"
    folder.mkdir(exist_ok=True)
    page = folder / f"audit-{night}.html"
    page.write_text(render_html(report), encoding="utf-8")
    (folder / f"audit-{night}.json").write_text(
        json.dumps(report.to_json(), ensure_ascii=False, indent=2), encoding="utf-8"
    )
    print()
    print(f"Audit: {report.summary()}")
    print(f"  the archivist's report: {page} (open it in a browser)")
    print(
        f"  the same from the command line: .venv/bin/archivectl audit --store {store_url} "
        f"--inventory {inventory.relative_to(REPO)} --since {period.since} --full --out audit.html"
    )
    print(
        "Deliver to the e-archive (E-ARK SIP), the record signed with the demo key: "
        f"ARCHIVE_SIGNING_KEY={(DEMO / 'keys' / 'demo-signing-key.pem').relative_to(REPO)} "
        f".venv/bin/archivectl deliver --store {store_url} "
        f"--inventory {inventory.relative_to(REPO)} --board Kommunstyrelsen --since {night} --until {night} "
        "--submission-agreement 'KS 2026/1' --out .demo/delivery"
    )


if __name__ == "__main__":
    raise SystemExit(main())
