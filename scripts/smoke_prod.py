"""``make smoke``: the production-like smoke test, run by hand (tests/test_smoke_prod.py runs it in CI).

PostgreSQL (Debian's package) as Airflow's metadata database, Airflow's api-server, scheduler and
dag-processor with LocalExecutor, moto's S3 server with an Object Lock bucket, the fake Mastodon
server; the capture DAG triggered through the REST API. Prints each phase's time and every
stored object's lock and tags; exits 1 if the run did not succeed or an object is not locked.
Everything runs on 127.0.0.1 in a temporary folder (kept with ``--keep`` for its logs).
"""

from __future__ import annotations

import argparse
import logging
import pathlib
import shutil
import sys
import tempfile

REPO = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.prodlike.postgres import PostgresMissing  # noqa: E402
from tests.prodlike.smoke import run_smoke  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (logs, Airflow home)")
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # moto's request log
    folder = pathlib.Path(tempfile.mkdtemp(prefix="archive-smoke-"))
    try:
        result = run_smoke(folder)
    except PostgresMissing as exc:
        print(exc, file=sys.stderr)
        return 2
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)
    print(f"DAG run {result.run['dag_run_id']}: {result.run['state']}")
    for task, state in sorted(result.task_states.items()):
        print(f"  {task:<40} {state}")
    unlocked = [o.key for o in result.objects if o.mode != "COMPLIANCE" or not o.retain_until]
    print(f"{len(result.objects)} objects in the bucket, {len(unlocked)} without a COMPLIANCE lock:")
    for obj in result.objects:
        hold = " + legal hold" if obj.legal_hold == "ON" else ""
        print(f"  {obj.key}\n      {obj.mode} until {obj.retain_until}{hold}; tags {obj.tags}")
    phases = ", ".join(f"{name} {t:.1f} s" for name, t in result.seconds.items())
    print(f"Times since start: {phases}")
    if args.keep:
        print(f"Logs: {result.log_folder}")
    return 0 if result.run["state"] == "success" and result.objects and not unlocked else 1


if __name__ == "__main__":
    raise SystemExit(main())
