"""Benchmark: a night's cost against the size of the archive.

Measures, with the fake Mastodon server on loopback and the file store:

* a first night capturing an account's whole history of H items (items/s, peak memory);
* a later night capturing N new items on top of that archive;
* the same later night on top of an archive ten times larger (10·H items of history).

The nightly capture runs as a real ``archivectl`` process; its wall time and peak resident
memory (the kernel's ``VmHWM`` of that process alone, see ``_peak.py``) are measured. The fake
server runs in this process on the same cores, so items/s include the platform's own time.
Figures are reported as ratios from one run: absolute numbers depend on the machine.

    .venv/bin/python bench/capture_bench.py            # H = 10,000, N = 10,000
    .venv/bin/python bench/capture_bench.py --history 2000 --new 2000   # a quick look
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import pathlib
import re
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass

REPO = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from archive_lib.runs import runs_of_night  # noqa: E402
from archive_lib.storage import FileStore  # noqa: E402
from tests.fakes.mastodon import FakeMastodon  # noqa: E402
from tests.fakes.mastodon_sample import populate_bulk  # noqa: E402

COMMENTS_PER_POST = 9  # ten items per thread


@dataclass
class Measure:
    label: str
    archive_items_before: int
    versions: int
    seconds: float
    items_per_second: float
    peak_rss_mib: float
    http_requests: int
    parts_listed: int  # items parts of the account in the store when the night began
    parts_read: int  # of those, the ones the night opened


def capture(inventory: pathlib.Path, store: str, night: dt.date, log: pathlib.Path) -> tuple[float, float]:
    """Run one night as a separate process; its wall time and its own peak RSS (MiB)."""
    command = [
        sys.executable,
        str(REPO / "bench" / "_peak.py"),
        "capture",
        "--inventory",
        str(inventory),
        "--store",
        store,
        "--run-date",
        night.isoformat(),
    ]
    start = time.perf_counter()
    with log.open("w") as err:
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=err)
        code = process.wait()
    seconds = time.perf_counter() - start
    if code != 0:
        raise SystemExit(f"capture of {night} failed (exit {code}); see {log}")
    peak = re.search(r"PEAK_RSS_KIB (\d+)", log.read_text())
    if not peak:
        raise SystemExit(f"no peak memory reported in {log}")
    return seconds, int(peak.group(1)) / 1024


def _parts_read(log: pathlib.Path) -> tuple[int, int]:
    """From the capture's log: items parts listed and read when it loaded its state."""
    match = re.search(r"(\d+) parts listed, (\d+) read", log.read_text())
    if not match:
        raise SystemExit(f"no state line in {log}")
    return int(match.group(1)), int(match.group(2))


def scenario(history: int, new: int, folder: pathlib.Path) -> list[Measure]:
    """History of ``history`` items captured on night 1; ``new`` items captured on night 2."""
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    night_1, night_2 = (now - dt.timedelta(days=1)).date(), now.date()
    store_url = (folder / "archive").as_uri()
    with FakeMastodon(now=now - dt.timedelta(days=200)) as fake:
        fake.limiter.enabled = False  # measure the archive, not the platform's throttle
        populate_bulk(
            fake,
            "kristianstad",
            history // (COMMENTS_PER_POST + 1),
            COMMENTS_PER_POST,
            spacing=dt.timedelta(minutes=30),
        )
        inventory = folder / "inventory.yaml"
        inventory.write_text(
            "organisation: Kristianstads kommun\n"
            "retention_classes: {bevaras: {keep: permanent}}\n"
            "accounts:\n"
            "  - {id: ks-mastodon, board: Kommunstyrelsen, platform: mastodon, handle: kristianstad,\n"
            f"     api_base: '{fake.base_url}', retention: bevaras,\n"
            "     responsible: Anna Andersson, substitute: Bo Berg}\n",
            encoding="utf-8",
        )
        fake.set_time(now - dt.timedelta(days=1))
        first_seconds, first_rss = capture(inventory, store_url, night_1, folder / "night-1.log")
        fake.set_time(now)
        populate_bulk(
            fake,
            "kristianstad",
            new // (COMMENTS_PER_POST + 1),
            COMMENTS_PER_POST,
            spacing=dt.timedelta(seconds=40),
        )
        second_seconds, second_rss = capture(inventory, store_url, night_2, folder / "night-2.log")
    store = FileStore(store_url)
    runs = {r["run_date"]: r for r in runs_of_night(store, night_1) + runs_of_night(store, night_2)}
    out = []
    for label, night, seconds, rss, before, log in (
        (f"first night, {history:,} items of history", night_1, first_seconds, first_rss, 0, "night-1.log"),
        (f"next night, {new:,} new items", night_2, second_seconds, second_rss, history, "night-2.log"),
    ):
        listed, read = _parts_read(folder / log)
        run = runs[night]
        versions = sum(
            v for k, v in run["counts"].items() if k in ("posts_new", "comments_new", "edited", "deleted")
        )
        out.append(
            Measure(
                label,
                before,
                versions,
                round(seconds, 2),
                round(versions / seconds, 1),
                round(rss, 1),
                run["http_requests"],
                listed,
                read,
            )
        )
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--history", type=int, default=10_000, help="items of history in the smaller archive")
    parser.add_argument("--new", type=int, default=10_000, help="new items in the measured night")
    parser.add_argument("--factor", type=int, default=10, help="how much larger the second archive is")
    args = parser.parse_args()
    resource.setrlimit(resource.RLIMIT_NOFILE, (4096, 4096))
    results = []
    for history in (args.history, args.history * args.factor):
        with tempfile.TemporaryDirectory(prefix="archive-bench-") as folder:
            print(f"archive of {history:,} items, then a night of {args.new:,} new items ...", flush=True)
            results.append(scenario(history, args.new, pathlib.Path(folder)))
    small, large = results
    print()
    print(
        f"{'night':<44} {'archive before':>14} {'versions':>9} {'seconds':>8} {'items/s':>8} "
        f"{'peak MiB':>9} {'requests':>9} {'parts read':>11}"
    )
    for measure in small + large:
        print(
            f"{measure.label:<44} {measure.archive_items_before:>14,} {measure.versions:>9,} "
            f"{measure.seconds:>8} {measure.items_per_second:>8} {measure.peak_rss_mib:>9} "
            f"{measure.http_requests:>9,} {measure.parts_read:>5} of {measure.parts_listed:<3}"
        )
    time_ratio = large[1].seconds / small[1].seconds
    memory_ratio = large[1].peak_rss_mib / small[1].peak_rss_mib
    print()
    print(
        f"next night on a {args.factor}x larger archive: time x{time_ratio:.2f}, "
        f"peak memory x{memory_ratio:.2f}, requests x{large[1].http_requests / small[1].http_requests:.2f}"
    )
    out = REPO / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "capture_bench.json").write_text(
        json.dumps(
            {
                "small": [asdict(m) for m in small],
                "large": [asdict(m) for m in large],
                "time_ratio": time_ratio,
                "memory_ratio": memory_ratio,
            },
            indent=2,
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
