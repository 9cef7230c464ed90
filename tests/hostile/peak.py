"""``archivectl`` that reports its own peak resident memory on stderr: ``PEAK_RSS_KIB n``.

Run as ``python -m tests.hostile.peak ARGS``. The figure is the kernel's ``VmHWM`` of this
process, which ``exec`` starts afresh (``ru_maxrss`` of a child would carry the parent's peak
across ``exec``; bench/_peak.py measures the benchmarks the same way).
"""

from __future__ import annotations

import atexit
import pathlib
import re
import sys

from archive_lib.cli.main import main

MARK = "PEAK_RSS_KIB"


def _report() -> None:
    for line in pathlib.Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            print(f"{MARK} {line.split()[1]}", file=sys.stderr)


def peak_kib(stderr: str) -> int:
    """The peak a run of this module reported in its ``stderr``."""
    found = re.findall(rf"^{MARK} (\d+)$", stderr, re.M)
    assert found, "the process did not report its peak memory"
    return int(found[-1])


if __name__ == "__main__":
    atexit.register(_report)
    raise SystemExit(main(sys.argv[1:]))
