"""Benchmark: the audit's fixity verification against the tools, ``sha256sum`` plus
``warcio check``, on the same files.

Builds an archive by capturing a bulk account from the fake Mastodon server into a file store
(WARC files rolled at ``--warc-mib``), then, on the same files:

* ``sha256sum`` of every stored object (read and hash, nothing else);
* ``warcio check`` of every WARC file (every record's block and payload digests);
* the audit's full fixity pass (``check_fixity(full=True)``): SHA-256 of every object compared
  with its manifest, every WARC record's block and payload digests (one streaming pass per file,
  the files spread over worker processes), every Parquet row's WARC pointer resolved, every
  object's sidecar and mode.

Each runs three times (``--repeat``) after one untimed warm-up, so all read from the page cache;
the medians are reported. The figure to quote is the audit's speed as a share of the two tools'
combined speed, ``(sha256sum + warcio check) / audit`` in time (above 1: the audit is faster than
running both tools), measured in the same run (absolute numbers depend on the machine).

    .venv/bin/python bench/fixity_bench.py                 # 8,000 threads, 80,000 items
    .venv/bin/python bench/fixity_bench.py --threads 300   # a quick look
"""

from __future__ import annotations

import argparse
import datetime as dt
import pathlib
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable

REPO = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from archive_lib.audit.fixity import POOL_MIN_BYTES, check_fixity  # noqa: E402
from archive_lib.audit.holdings import scan  # noqa: E402
from archive_lib.capture.account import CaptureOptions, capture_account  # noqa: E402
from archive_lib.inventory import parse_inventory  # noqa: E402
from archive_lib.storage import FileStore  # noqa: E402
from tests.fakes.mastodon import FakeMastodon  # noqa: E402
from tests.fakes.mastodon_sample import populate_bulk  # noqa: E402
from tests.helpers import FakeClock  # noqa: E402

INVENTORY = """\
organisation: Kristianstads kommun
retention_classes: {{bevaras: {{keep: permanent}}}}
accounts:
  - {{id: ks-mastodon, board: Kommunstyrelsen, platform: mastodon, handle: kristianstad,
     api_base: '{api_base}', retention: bevaras, responsible: Anna Andersson, substitute: Bo Berg}}
"""


def build(folder: pathlib.Path, threads: int, warc_mib: int) -> tuple[FileStore, dt.date]:
    now = dt.datetime(2026, 11, 20, 0, 30, tzinfo=dt.UTC)
    night = dt.date(2026, 11, 20)
    with FakeMastodon(now=now) as fake:
        populate_bulk(fake, "kristianstad", threads, 9, spacing=dt.timedelta(minutes=30))
        inventory = parse_inventory(INVENTORY.format(api_base=fake.base_url))
        store = FileStore((folder / "archive").as_uri())
        options = CaptureOptions(warc_max_bytes=warc_mib * 1024 * 1024)
        result = capture_account(inventory.accounts[0], store, night, clock=FakeClock(fake), options=options)
        if result.status != "ok":
            raise SystemExit(f"the capture failed: {result.error}")
    return store, night


def cpu_seconds() -> float:
    """CPU time of this process and of its waited-for children so far (user and system)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def timed(run: Callable[[], object]) -> tuple[float, float]:
    """Wall and CPU seconds of ``run()`` (a shared machine's load shows in the first, not the second)."""
    cpu, started = cpu_seconds(), time.perf_counter()
    run()
    return time.perf_counter() - started, cpu_seconds() - cpu


def time_sha256sum(paths: list[str]) -> tuple[float, float]:
    return timed(lambda: subprocess.run(["sha256sum", *paths], check=True, stdout=subprocess.DEVNULL))


def time_warcio_check(paths: list[str]) -> tuple[float, float]:
    warcio = pathlib.Path(sys.executable).with_name("warcio")
    return timed(
        lambda: subprocess.run([str(warcio), "check", *paths], check=True, stdout=subprocess.DEVNULL)
    )


def audit(store: FileStore, night: dt.date, workers: int | None) -> tuple[dict[str, object], int]:
    holdings = scan(store, night, night)
    pool_min_bytes = POOL_MIN_BYTES if workers is None else 0
    fixity = check_fixity(
        store,
        holdings,
        today=night,
        last_night=night,
        full=True,
        workers=workers,
        pool_min_bytes=pool_min_bytes,
    )
    return fixity.summary, len(fixity.problems)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int, default=8000, help="threads of ten items each (default 8000)")
    parser.add_argument("--warc-mib", type=int, default=16, help="roll WARC files at this size (default 16)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--workers",
        type=int,
        help="verify WARC files in this many processes whatever the size (default: the audit's rule)",
    )
    args = parser.parse_args()
    if shutil.which("sha256sum") is None:
        raise SystemExit("sha256sum (coreutils) is needed for the comparison")
    folder = pathlib.Path(tempfile.mkdtemp(prefix="fixity-bench-"))
    try:
        print(f"capturing {args.threads * 10:,} items into {folder} ...", flush=True)
        store, night = build(folder, args.threads, args.warc_mib)
        keys = list(store.list(""))
        paths = [str(store.root / k) for k in keys]
        total = sum(pathlib.Path(p).stat().st_size for p in paths)
        warc_paths = [p for p in paths if p.endswith(".warc.gz")]
        warcs = len(warc_paths)
        print(f"{len(keys)} objects ({warcs} WARC files), {total / 2**20:,.1f} MiB")
        time_sha256sum(paths)  # warm-up: every measurement reads from the page cache
        summary, problems = audit(store, night, args.workers)
        if problems:
            raise SystemExit(f"the archive should verify clean, found {problems} problems")
        plain: list[tuple[float, float]] = []
        checked: list[tuple[float, float]] = []
        audited: list[tuple[float, float]] = []
        for _ in range(args.repeat):  # interleaved, so a busy spell of the machine hits all three
            plain.append(time_sha256sum(paths))
            checked.append(time_warcio_check(warc_paths))
            audited.append(timed(lambda: audit(store, night, args.workers)))
    finally:
        for path in folder.rglob("*"):
            if path.is_dir():
                path.chmod(0o755)
        shutil.rmtree(folder, ignore_errors=True)
    mib = total / 2**20
    print()
    print("| verification | median wall s | MiB/s | median CPU s |")
    print("|---|---:|---:|---:|")
    figures = {}
    for name, runs in (
        ("sha256sum of every object", plain),
        ("warcio check of every WARC file", checked),
        ("audit fixity, full", audited),
    ):
        wall, cpu = statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs)
        figures[name] = (wall, cpu)
        print(f"| {name} | {wall:.3f} | {mib / wall:,.0f} | {cpu:.3f} |")
    (plain_w, plain_c), (checked_w, checked_c), (audit_w, audit_c) = figures.values()
    print()
    print(
        f"audit speed / the two tools' combined speed: {(plain_w + checked_w) / audit_w:.2f} in wall time, "
        f"{(plain_c + checked_c) / audit_c:.2f} in CPU time (goal: at least 0.8); audit / sha256sum alone: "
        f"{audit_w / plain_w:.1f} times the wall time "
        f"({summary['warc_records_checked']:,} WARC records with digests, "
        f"{summary['pointers_checked']:,} Parquet pointers, {summary['objects_verified']:,} objects)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
