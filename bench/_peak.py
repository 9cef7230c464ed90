"""Run ``archivectl`` and report this process's own peak resident memory on stderr.

``ru_maxrss`` of a child is no good here: Linux carries it across ``exec``, so a child forked
from the benchmark (which holds the fake platform's data) starts with the parent's peak. The
kernel's ``VmHWM`` belongs to the process's own address space, which ``exec`` replaces.
"""

from __future__ import annotations

import atexit
import pathlib
import sys

from archive_lib.cli.main import main


def _report() -> None:
    for line in pathlib.Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            print(f"PEAK_RSS_KIB {line.split()[1]}", file=sys.stderr)


if __name__ == "__main__":
    atexit.register(_report)
    raise SystemExit(main(sys.argv[1:]))
