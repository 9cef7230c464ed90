"""``archivectl listen``: keep what platforms push, until SIGTERM or SIGINT (then flush, exit 0).

Settings from the environment: ``ARCHIVE_META_VERIFY_TOKEN`` and ``ARCHIVE_META_APP_SECRET``
(Meta webhooks), ``ARCHIVE_JETSTREAM_URL`` (Bluesky), the Mastodon accounts' own tokens (as the
inventory names them); and, to have Airflow make the targeted captures instead of this process,
``ARCHIVE_AIRFLOW_API``, ``ARCHIVE_AIRFLOW_USER`` and ``ARCHIVE_AIRFLOW_PASSWORD``.
Exit codes: 0 stopped by a signal after flushing; 1 the service failed; 2 bad configuration.
"""

from __future__ import annotations

import argparse
import os
import signal
import threading
from types import FrameType
from typing import Any

from archive_lib.cli.args import EXIT_OK, add_verbosity, required
from archive_lib.errors import ConfigError
from archive_lib.evidence.config import signer_from_settings
from archive_lib.inventory import load_inventory
from archive_lib.logs import SECRETS
from archive_lib.push.service import ListenOptions, ListenService
from archive_lib.push.targets import AirflowTrigger, CaptureRecent
from archive_lib.settings import ENVIRONMENT, INVENTORY, STORE
from archive_lib.storage import open_store

META_VERIFY_TOKEN = "ARCHIVE_META_VERIFY_TOKEN"  # noqa: S105 -- the name of a variable
META_APP_SECRET = "ARCHIVE_META_APP_SECRET"  # noqa: S105 -- the name of a variable
JETSTREAM_URL = "ARCHIVE_JETSTREAM_URL"
AIRFLOW_API = "ARCHIVE_AIRFLOW_API"
#: Seconds between flushes of what was pushed (at most 10).
FLUSH_SECONDS = "ARCHIVE_LISTEN_FLUSH_SECONDS"
#: Seconds a queued thread waits for others before its targeted capture (under a minute).
BATCH_SECONDS = "ARCHIVE_LISTEN_BATCH_SECONDS"


def register(sub: Any) -> None:
    """Add the ``listen`` command to ``archivectl``'s subparsers."""
    listen = sub.add_parser("listen", help="keep what platforms push (webhooks, streams) until stopped")
    listen.add_argument("--inventory", default=ENVIRONMENT.get(INVENTORY), help="inventory YAML file")
    listen.add_argument("--store", default=ENVIRONMENT.get(STORE), help="store URL")
    listen.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    listen.add_argument("--port", type=int, default=8080, help="port to listen on (default 8080; 0: any)")
    add_verbosity(listen)
    listen.set_defaults(run=run_listen)


def run_listen(args: argparse.Namespace) -> int:
    inventory = load_inventory(
        required(args.inventory, "no inventory: give --inventory or set ARCHIVE_INVENTORY")
    )
    store = open_store(required(args.store, "no store: give --store or set ARCHIVE_STORE"))
    if not 0 <= args.port <= 65535:
        raise ConfigError(f"--port must be from 0 to 65535, not {args.port}")
    env = os.environ
    for name in (META_VERIFY_TOKEN, META_APP_SECRET, "ARCHIVE_AIRFLOW_PASSWORD"):
        SECRETS.add(env.get(name))
    options = ListenOptions(
        host=args.host,
        port=args.port,
        meta_verify_token=env.get(META_VERIFY_TOKEN) or None,
        meta_app_secret=env.get(META_APP_SECRET) or None,
        jetstream_url=env.get(JETSTREAM_URL) or None,
        flush_seconds=_seconds(env, FLUSH_SECONDS, 2.0, 10.0),
        batch_seconds=_seconds(env, BATCH_SECONDS, 10.0, 50.0),
    )
    capture: CaptureRecent | None = None
    if env.get(AIRFLOW_API):
        capture = AirflowTrigger(
            env[AIRFLOW_API],
            required(
                env.get("ARCHIVE_AIRFLOW_USER"), "ARCHIVE_AIRFLOW_API is set but ARCHIVE_AIRFLOW_USER is not"
            ),
            required(env.get("ARCHIVE_AIRFLOW_PASSWORD"), "ARCHIVE_AIRFLOW_PASSWORD is not set"),
        )
    for account in inventory.accounts:
        if account.token_env:
            SECRETS.add(env.get(account.token_env))
    signer = signer_from_settings(ENVIRONMENT)  # an unusable key is refused before listening
    try:
        service = ListenService(inventory, store, options, capture=capture, signer=signer)
    except OSError as exc:
        raise ConfigError(f"cannot listen on {args.host}:{args.port}: {exc}") from None
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    service.start()
    print(f"listening on http://{args.host}:{service.port}", flush=True)
    stop.wait()
    service.stop()
    return EXIT_OK


def _seconds(env: Any, name: str, default: float, most: float) -> float:
    value = env.get(name)
    if not value:
        return default
    try:
        number = float(value)
    except ValueError:
        raise ConfigError(f"{name} must be a number of seconds, not {value[:20]!r}") from None
    if not 0 < number <= most:
        raise ConfigError(f"{name} must be above 0 and at most {most}")
    return number
