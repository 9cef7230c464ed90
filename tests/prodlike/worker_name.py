"""Airflow's ``[core] hostname_callable`` for the smoke test's Celery workers: both run on one
machine, so each names itself by ``ARCHIVE_WORKER_NAME``, and the task instances say which
worker ran them."""

from __future__ import annotations

import os
import socket


def hostname() -> str:
    return os.environ.get("ARCHIVE_WORKER_NAME") or socket.getfqdn()
