"""``archivectl remind``: mail the reminders and alerts that are due (what the hourly
``answer_reminders`` DAG runs), or with ``--dry-run`` list them without sending.

Exit codes: 0 when everything due was sent (or listed), 1 when a message could not be sent (it is
sent by the next run), 2 for bad usage or configuration (no SMTP connection, no store).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from archive_lib.audit.mail import DEFAULT_CONNECTION, SMTP_CONNECTION, SmtpMailer, SmtpSettings
from archive_lib.audit.reminders import ALERT_EMAIL, DEFAULT_WEB_URL, WEB_URL, operator_addresses, remind
from archive_lib.cli.args import EXIT_FAILED, EXIT_OK, add_verbosity, required
from archive_lib.clock import SystemClock
from archive_lib.inert import json_text
from archive_lib.inventory import load_inventory
from archive_lib.settings import ENVIRONMENT, INVENTORY, STORE
from archive_lib.storage import open_store


def register(sub: Any) -> None:
    """Add the ``remind`` command to ``archivectl``'s subparsers."""
    parser = sub.add_parser(
        "remind",
        help="mail reminders of unanswered comments (16 and 24 weekday hours) and alerts of failed captures",
    )
    parser.add_argument("--store", default=ENVIRONMENT.get(STORE), help="store URL ($ARCHIVE_STORE)")
    parser.add_argument(
        "--inventory", default=ENVIRONMENT.get(INVENTORY), help="inventory YAML ($ARCHIVE_INVENTORY)"
    )
    parser.add_argument(
        "--smtp-connection",
        default=ENVIRONMENT.get(SMTP_CONNECTION) or DEFAULT_CONNECTION,
        help="Airflow connection id of the SMTP server, read from $AIRFLOW_CONN_{ID} (default smtp_default)",
    )
    parser.add_argument(
        "--web-url",
        default=ENVIRONMENT.get(WEB_URL) or DEFAULT_WEB_URL,
        help="base URL of the web view the messages link to ($ARCHIVE_WEB_URL)",
    )
    parser.add_argument("--dry-run", action="store_true", help="list what is due; send and record nothing")
    parser.add_argument("--format", choices=("json",), default="json")
    add_verbosity(parser)
    parser.set_defaults(run=remind_command)


def remind_command(args: argparse.Namespace) -> int:
    store = open_store(required(args.store, "no store: give --store or set ARCHIVE_STORE"))
    inventory = load_inventory(
        required(args.inventory, "no inventory: give --inventory or set ARCHIVE_INVENTORY")
    )
    operators = operator_addresses(ENVIRONMENT.get(ALERT_EMAIL))
    now = SystemClock().now()
    if args.dry_run:
        run = remind(store, inventory, None, now, web_url=args.web_url, operators=operators, dry_run=True)
    else:
        with SmtpMailer(SmtpSettings.from_environment(args.smtp_connection)) as mailer:
            run = remind(store, inventory, mailer, now, web_url=args.web_url, operators=operators)
    print(json_text(run.to_json()), file=sys.stdout)
    return EXIT_OK if run.ok else EXIT_FAILED
