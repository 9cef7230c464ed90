"""S3 over loopback: a moto server on 127.0.0.1 and fresh buckets for each test.

The server is real HTTP (``ThreadedMotoServer`` on a free port), so the store is exercised
through boto3's full request path: signing, headers, retries, error parsing. Its state lives in
memory for the test session; each test gets buckets of its own, so tests never see each
other's objects. See tests/test_storage_s3.py for what moto does and does not enforce.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from typing import TYPE_CHECKING

import boto3
import pytest
from moto.server import ThreadedMotoServer

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client


@pytest.fixture(scope="session")
def moto_server() -> Iterator[str]:
    """Endpoint URL (``http://127.0.0.1:PORT``) of a moto S3 server running for the session."""
    # Its request log lines would come from server threads after a test's output is closed.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture
def s3_endpoint(moto_server: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """The moto endpoint, also set as ``AWS_ENDPOINT_URL`` so boto3 clients use it."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_server)
    return moto_server


@pytest.fixture
def s3_client(s3_endpoint: str) -> S3Client:
    """A boto3 S3 client talking to the moto server, for setting up and inspecting buckets."""
    return boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1")


def new_bucket(client: S3Client, *, object_lock: bool) -> str:
    """Create a uniquely named bucket, with or without Object Lock, and return its name."""
    name = f"{'locked' if object_lock else 'plain'}-{uuid.uuid4().hex[:16]}"
    if object_lock:
        client.create_bucket(Bucket=name, ObjectLockEnabledForBucket=True)
    else:
        client.create_bucket(Bucket=name)
    return name


@pytest.fixture
def locked_bucket(s3_client: S3Client) -> str:
    """A fresh bucket with Object Lock enabled (and so versioning)."""
    return new_bucket(s3_client, object_lock=True)


@pytest.fixture
def plain_bucket(s3_client: S3Client) -> str:
    """A fresh bucket without Object Lock."""
    return new_bucket(s3_client, object_lock=False)
