"""Benchmark: a night's cost against the size of the archive.

Measures, with the fake Mastodon server on loopback and the file store:

* a first night capturing an account's whole history of H items (items/s, peak memory);
* a later night capturing N new items on top of that archive;
* the same later night on top of an archive ten times larger (10·H items of history);
* first nights of more sizes (``--first-nights``, by default 1,000,000 items), so that a first
  night's peak memory can be read against its size: 10·H, 100·H and more items.

The later night runs three times (``--repeat``), each on a fresh copy of the store as the first
night left it; the median times and the highest peak memory are reported.

Each night runs as a real ``archivectl`` process. Measured for that process alone: wall time,
CPU time (user + system: the archive's own work, whatever the fake server costs), and peak
resident memory (the kernel's ``VmHWM``, see ``_peak.py``). The fake server runs in this process
on the same cores, so wall time and items/s include the platform's own time. Figures are
reported as ratios from one run: absolute numbers depend on the machine.

    .venv/bin/python bench/capture_bench.py            # H = 10,000, N = 10,000, and 1,000,000
    .venv/bin/python bench/capture_bench.py --history 2000 --new 2000 --first-nights ''  # a quick look
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import pathlib
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass

REPO = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from archive_lib.metadata.runs import runs_of_night  # noqa: E402
from archive_lib.storage import FileStore  # noqa: E402
from tests.fakes.mastodon import FakeMastodon  # noqa: E402
from tests.fakes.mastodon_sample import populate_bulk  # noqa: E402

COMMENTS_PER_POST = 9  # ten items per thread
INVENTORY = """\
organisation: Kristianstads kommun
retention_classes: {{bevaras: {{keep: permanent}}}}
accounts:
  - {{id: ks-mastodon, board: Kommunstyrelsen, platform: mastodon, handle: kristianstad,
     api_base: '{api_base}', retention: bevaras, responsible: Anna Andersson, substitute: Bo Berg}}
"""


@dataclass
class Night:
    label: str
    archive_items_before: int
    versions: int
    seconds: float
    cpu_seconds: float
    items_per_second: float
    peak_rss_mib: float
    http_requests: int
    parts_listed: int  # items parts of the account in the store when the night began
    parts_read: int  # of those, the ones the night opened


@dataclass
class Process:
    seconds: float
    cpu_seconds: float
    peak_rss_mib: float
    parts_listed: int
    parts_read: int


def capture(inventory: pathlib.Path, store: str, night: dt.date, log: pathlib.Path) -> Process:
    """Run one night as its own process and measure it."""
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
        _, status, usage = os.wait4(process.pid, 0)  # CPU times are the child's own
    seconds = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    text = log.read_text()
    if code != 0:
        raise SystemExit(f"capture of {night} failed (exit {code}); see {log}")
    peak = re.search(r"PEAK_RSS_KIB (\d+)", text)
    state = re.search(r"(\d+) parts listed, (\d+) read", text)
    if not peak or not state:
        raise SystemExit(f"the capture's log {log} lacks its peak memory or state line")
    return Process(
        seconds,
        usage.ru_utime + usage.ru_stime,
        int(peak.group(1)) / 1024,
        int(state.group(1)),
        int(state.group(2)),
    )


def first_night(fake: FakeMastodon, history: int, now: dt.datetime, folder: pathlib.Path) -> Process:
    """An account with ``history`` items on ``fake``, captured the night before ``now``."""
    fake.limiter.enabled = False  # measure the archive, not the platform's throttle
    threads = history // (COMMENTS_PER_POST + 1)
    populate_bulk(fake, "kristianstad", threads, COMMENTS_PER_POST, spacing=dt.timedelta(minutes=30))
    inventory = folder / "inventory.yaml"
    inventory.write_text(INVENTORY.format(api_base=fake.base_url), encoding="utf-8")
    fake.set_time(now - dt.timedelta(days=1))
    night = (now - dt.timedelta(days=1)).date()
    return capture(inventory, (folder / "archive").as_uri(), night, folder / "night-1.log")


def measured_night(label: str, store: FileStore, night: dt.date, measured: Process, before: int) -> Night:
    """The figures of one night: the process's own, and the counts from its runs row."""
    [run] = [r for r in runs_of_night(store, night) if r["status"] == "ok"]
    versions = sum(run["counts"][k] for k in ("posts_new", "comments_new", "edited", "deleted"))
    return Night(
        label,
        before,
        versions,
        round(measured.seconds, 2),
        round(measured.cpu_seconds, 2),
        round(versions / measured.seconds, 1),
        round(measured.peak_rss_mib, 1),
        run["http_requests"],
        measured.parts_listed,
        measured.parts_read,
    )


def first_night_only(history: int, folder: pathlib.Path) -> Night:
    """A first night of ``history`` items and nothing else."""
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    with FakeMastodon(now=now - dt.timedelta(days=200)) as fake:
        measured = first_night(fake, history, now, folder)
    store = FileStore((folder / "archive").as_uri())
    night = (now - dt.timedelta(days=1)).date()
    return measured_night(f"first night, {history:,} items of history", store, night, measured, 0)


def scenario(history: int, new: int, repeat: int, folder: pathlib.Path) -> list[Night]:
    """History of ``history`` items captured on night 1; ``new`` items captured on night 2.

    Night 2 runs ``repeat`` times, each on a fresh copy of the store as night 1 left it; the
    median wall and CPU times and the highest peak memory are reported.
    """
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    night_1, night_2 = (now - dt.timedelta(days=1)).date(), now.date()
    after_night_1 = folder / "archive"
    inventory = folder / "inventory.yaml"
    with FakeMastodon(now=now - dt.timedelta(days=200)) as fake:
        first = first_night(fake, history, now, folder)
        fake.set_time(now)
        threads = new // (COMMENTS_PER_POST + 1)
        populate_bulk(fake, "kristianstad", threads, COMMENTS_PER_POST, spacing=dt.timedelta(seconds=40))
        seconds = []
        for attempt in range(repeat):
            copy = folder / f"archive-{attempt}"
            shutil.copytree(after_night_1, copy)
            seconds.append(capture(inventory, copy.as_uri(), night_2, folder / f"night-2-{attempt}.log"))
    second = Process(
        statistics.median(p.seconds for p in seconds),
        statistics.median(p.cpu_seconds for p in seconds),
        max(p.peak_rss_mib for p in seconds),
        seconds[0].parts_listed,
        seconds[0].parts_read,
    )
    store = FileStore((folder / "archive-0").as_uri())
    return [
        measured_night(f"first night, {history:,} items of history", store, night_1, first, 0),
        measured_night(f"next night, {new:,} new items", store, night_2, second, history),
    ]


def sizes(text: str) -> list[int]:
    """``10000,100000`` as numbers (an empty text: none)."""
    return [int(part.replace("_", "")) for part in text.split(",") if part.strip()]


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--history", type=int, default=10_000, help="items of history in the smaller archive")
    parser.add_argument("--new", type=int, default=10_000, help="new items in the measured night")
    parser.add_argument("--factor", type=int, default=10, help="how much larger the second archive is")
    parser.add_argument("--repeat", type=int, default=3, help="runs of the measured night (median reported)")
    parser.add_argument(
        "--first-nights",
        type=sizes,
        default=[1_000_000],
        metavar="N,N,...",
        help="first nights of these sizes too, measured alone (default 1000000; '' for none)",
    )
    args = parser.parse_args()
    resource.setrlimit(resource.RLIMIT_NOFILE, (4096, 4096))
    results = []
    for history in (args.history, args.history * args.factor):
        with tempfile.TemporaryDirectory(prefix="archive-bench-") as folder:
            print(f"archive of {history:,} items, then a night of {args.new:,} new items ...", flush=True)
            results.append(scenario(history, args.new, args.repeat, pathlib.Path(folder)))
    small, large = results
    firsts = {small[0].versions: small[0], large[0].versions: large[0]}
    for history in args.first_nights:
        if history in (args.history, args.history * args.factor):
            continue
        with tempfile.TemporaryDirectory(prefix="archive-bench-") as folder:
            print(f"a first night of {history:,} items ...", flush=True)
            night = first_night_only(history, pathlib.Path(folder))
            firsts[night.versions] = night
    print()
    print(
        f"{'night':<40} {'archive before':>14} {'versions':>9} {'wall s':>7} {'CPU s':>6} {'items/s':>8} "
        f"{'peak MiB':>9} {'requests':>9} {'parts read':>11}"
    )
    for n in small + large:
        print(
            f"{n.label:<40} {n.archive_items_before:>14,} {n.versions:>9,} {n.seconds:>7} {n.cpu_seconds:>6} "
            f"{n.items_per_second:>8} {n.peak_rss_mib:>9} {n.http_requests:>9,} "
            f"{n.parts_read:>5} of {n.parts_listed:<4}"
        )
    ratios = {
        "wall time": large[1].seconds / small[1].seconds,
        "CPU time": large[1].cpu_seconds / small[1].cpu_seconds,
        "peak memory": large[1].peak_rss_mib / small[1].peak_rss_mib,
        "requests": large[1].http_requests / small[1].http_requests,
    }
    print()
    print(
        f"next night on a {args.factor}x larger archive: "
        + ", ".join(f"{name} x{value:.2f}" for name, value in ratios.items())
    )
    first_nights = first_night_figures([firsts[k] for k in sorted(firsts)])
    out = REPO / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "capture_bench.json").write_text(
        json.dumps(
            {
                "small": [asdict(n) for n in small],
                "large": [asdict(n) for n in large],
                "ratios": ratios,
                "first_nights": first_nights,
            },
            indent=2,
        )
    )
    return 0


def first_night_figures(nights: list[Night]) -> list[dict[str, object]]:
    """Print a first night's peak memory against its size, as ratios to the smallest one."""
    base = nights[0]
    print()
    print(
        f"{'first night':>14} {'wall s':>8} {'CPU s':>8} {'items/s':>8} {'peak MiB':>9} "
        f"{'peak x':>7} {'items x':>8}"
    )
    figures: list[dict[str, object]] = []
    for n in nights:
        ratio, size = n.peak_rss_mib / base.peak_rss_mib, n.versions / base.versions
        print(
            f"{n.versions:>14,} {n.seconds:>8} {n.cpu_seconds:>8} {n.items_per_second:>8} "
            f"{n.peak_rss_mib:>9} {ratio:>7.2f} {size:>8.0f}"
        )
        figures.append({**asdict(n), "peak_ratio": ratio})
    if len(nights) > 1:
        top = nights[-1]
        per_item = (top.peak_rss_mib - base.peak_rss_mib) * 2**20 / (top.versions - base.versions)
        print(
            f"a first night of {top.versions:,} items peaks at {top.peak_rss_mib:.0f} MiB,"
            f" x{top.peak_rss_mib / base.peak_rss_mib:.2f} the peak of one of {base.versions:,} items:"
            f" {per_item:.0f} bytes more per item captured"
        )
    return figures


if __name__ == "__main__":
    raise SystemExit(main())
