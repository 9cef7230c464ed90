"""``archivectl`` as an operator runs it: real processes, exit codes, what they print.

Exit codes: 0 every account succeeded; 1 an account failed (the others completed); 2 bad usage
or configuration, with nothing written.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import pathlib
import subprocess
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import boto3
import pytest

from archive_lib.metadata.runs import runs_of_night
from archive_lib.storage import FileStore, S3Store
from tests.fakes.mastodon import FakeMastodon
from tests.helpers import (
    PROCESS_TIMEOUT,
    all_bytes,
    archivectl,
    assert_pointers_resolve,
    capture_command,
    read_items,
    write_inventory,
)

NOW = dt.datetime(2026, 11, 20, 10, 0, tzinfo=dt.UTC)
NIGHT = dt.date(2026, 11, 20)
GOOD_TOKEN = "ks-read-token-" + "a1" * 20
BAD_TOKEN = "expired-token-" + "b2" * 20


def run(
    command: list[str], env: dict[str, str] | None = None, unset: tuple[str, ...] = ()
) -> subprocess.CompletedProcess[str]:
    """Run ``command`` with ``env`` added to (and ``unset`` removed from) this environment."""
    environment = {k: v for k, v in os.environ.items() if k not in unset}
    return subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=PROCESS_TIMEOUT,
        check=False,
        env={**environment, **(env or {})},
    )


@pytest.fixture
def platform() -> Iterator[FakeMastodon]:
    with FakeMastodon(now=NOW) as fake:
        town = fake.add_account("kristianstad", "Kristianstads kommun")
        library = fake.add_account("bibliotek", "Biblioteken i Kristianstad")
        anna = fake.add_account("anna", "Anna Lindqvist")
        post = fake.post(town, fake.html("Badhuset öppnar igen! #badhuset"), at=NOW - dt.timedelta(days=1))
        fake.post(anna, fake.html("Äntligen!"), in_reply_to=post["id"], at=NOW - dt.timedelta(hours=20))
        fake.post(library, fake.html("Nya ljudböcker i appen."), at=NOW - dt.timedelta(days=2))
        fake.add_token(GOOD_TOKEN, account=town)
        yield fake


def two_accounts(folder: pathlib.Path, fake: FakeMastodon, **library: Any) -> pathlib.Path:
    return write_inventory(
        folder,
        fake.base_url,
        [
            {"id": "ks-mastodon", "handle": "kristianstad", "token_env": "KS_TOKEN"},
            {
                "id": "bibliotek-mastodon",
                "handle": "bibliotek",
                "board": "Kultur- och fritidsnämnden",
                "responsible": "Cecilia Ek",
                "substitute": "Dan Dahl",
                **library,
            },
        ],
    )


def test_a_night_with_every_account_ok_exits_0(tmp_path: pathlib.Path, platform: FakeMastodon) -> None:
    inventory = two_accounts(tmp_path, platform)
    store = f"file://{tmp_path / 'archive'}"

    result = run(capture_command(inventory, store), env={"KS_TOKEN": GOOD_TOKEN})

    assert result.returncode == 0, result.stderr
    assert "ks-mastodon" in result.stdout and "bibliotek-mastodon" in result.stdout
    assert "FAILED" not in result.stdout
    again = run(capture_command(inventory, store), env={"KS_TOKEN": GOOD_TOKEN})
    assert again.returncode == 0 and "already captured" in again.stdout
    runs = run(archivectl("runs", "--store", store))
    assert runs.returncode == 0 and "2026-11-20" in runs.stdout and runs.stdout.count(" ok ") == 2


def test_one_account_failing_does_not_stop_the_others(tmp_path: pathlib.Path, platform: FakeMastodon) -> None:
    inventory = two_accounts(tmp_path, platform, token_env="LIB_TOKEN")
    store = f"file://{tmp_path / 'archive'}"

    result = run(capture_command(inventory, store), env={"KS_TOKEN": GOOD_TOKEN, "LIB_TOKEN": BAD_TOKEN})

    assert result.returncode == 1
    assert "FAILED bibliotek-mastodon" in result.stdout
    assert "401" in result.stdout and "access token is invalid" in result.stdout
    assert "Cecilia Ek" in result.stdout and "Dan Dahl" in result.stdout  # who must act
    rows = read_items(FileStore(store))
    assert {r["account_id"] for r in rows} == {"ks-mastodon"}
    credentials = {r["account_id"]: r["credential_status"] for r in runs_of_night(FileStore(store), NIGHT)}
    assert credentials == {"ks-mastodon": "ok", "bibliotek-mastodon": "refused"}
    # The refused token never reached a stored byte or a log line, the good one neither.
    for path in (tmp_path / "archive").rglob("*"):
        if path.is_file():
            data = all_bytes(path)
            assert BAD_TOKEN.encode() not in data and GOOD_TOKEN.encode() not in data
    assert BAD_TOKEN not in result.stderr + result.stdout and GOOD_TOKEN not in result.stderr + result.stdout


def test_a_token_from_an_airflow_connection_is_kept_out_of_every_log_line(
    tmp_path: pathlib.Path, platform: FakeMastodon
) -> None:
    # The token comes from AIRFLOW_CONN_* (token_connection), and the server echoes it in its
    # refusal: neither the summary, nor any log line at the most verbose level, nor the store
    # may show it.
    secret = "conn-token-" + "c3" * 20
    inventory = two_accounts(tmp_path, platform, token_connection="bibliotek_mastodon")
    refusal = {"error": f"The access token {secret} is invalid"}
    platform.inject(r"/api/v1/accounts/lookup\?acct=bibliotek", 401, 5, refusal)
    store = f"file://{tmp_path / 'archive'}"
    connection = json.dumps({"conn_type": "generic", "password": secret})

    result = run(
        [*capture_command(inventory, store), "-vv"],
        env={"KS_TOKEN": GOOD_TOKEN, "AIRFLOW_CONN_BIBLIOTEK_MASTODON": connection},
    )

    assert result.returncode == 1
    assert "FAILED" in result.stdout and "REDACTED" in result.stdout + result.stderr
    assert secret not in result.stdout and secret not in result.stderr
    assert quote(secret, safe="") not in result.stderr
    for path in (tmp_path / "archive").rglob("*"):
        if path.is_file():
            assert secret.encode() not in all_bytes(path)


def test_a_token_variable_that_is_not_set_fails_only_that_account(
    tmp_path: pathlib.Path, platform: FakeMastodon
) -> None:
    inventory = two_accounts(tmp_path, platform)

    result = run(capture_command(inventory, f"file://{tmp_path / 'archive'}"), unset=("KS_TOKEN",))

    assert result.returncode == 1
    assert "FAILED ks-mastodon" in result.stdout and "$KS_TOKEN" in result.stdout
    assert "bibliotek-mastodon" in result.stdout


def test_a_broken_inventory_exits_2_naming_the_line_and_writes_nothing(tmp_path: pathlib.Path) -> None:
    inventory = tmp_path / "inventory.yaml"
    inventory.write_text(
        "organisation: Kristianstads kommun\n"
        "retention_classes:\n"
        "  bevaras: {keep: permanent}\n"
        "accounts:\n"
        "  - id: ks-mastodon\n"
        "    board: Kommunstyrelsen\n"
        "    platform: mastodon\n"
        "    handle: kristianstad\n"
        "    api_base: https://social.example\n"
        "    retention: bevara\n",
        encoding="utf-8",
    )

    result = run(
        archivectl("capture", "--inventory", str(inventory), "--store", f"file://{tmp_path / 'archive'}")
    )

    assert result.returncode == 2
    assert f"{inventory}, line 10: accounts[0].retention: 'bevara' is not a retention class" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "archive").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--account", "no-such-account"], "no account with id 'no-such-account'"),
        (["--run-date", "2100-01-01"], "is in the future"),
        (["--run-date", "2026-13-01"], "is not a date"),
        (["--run-date", "0001-01-01"], "is not a date from 2000-01-01 to 2199-12-31"),
        (["--recheck-days", "1000000"], "--recheck-days must be from 1 to 3650"),
        (["--recheck-days", "0"], "--recheck-days must be from 1 to 3650"),
        (["--store", "ftp://archive.example/x"], "unknown object store URL"),
    ],
)
def test_bad_usage_exits_2(
    tmp_path: pathlib.Path, platform: FakeMastodon, args: list[str], message: str
) -> None:
    inventory = two_accounts(tmp_path, platform)
    base = ["capture", "--inventory", str(inventory), "--store", f"file://{tmp_path / 'archive'}"]
    if "--store" in args:
        base = base[:3]

    result = run(archivectl(*base, *args))

    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "archive").exists()


@pytest.mark.parametrize(
    "command",
    [
        ["audit", "--since", "0001-01-01"],
        ["search", "badhus", "--until", "9999-12-31"],
        ["show", "1", "--as-of", "0001-01-01"],
        ["runs", "--run-date", "9999-12-31"],
        [
            "export",
            "--item",
            "1",
            "--purpose",
            "p",
            "--reference",
            "r",
            "--out",
            "x.zip",
            "--since",
            "0001-01-01",
        ],
    ],
)
def test_every_date_option_refuses_the_ends_of_the_calendar(
    tmp_path: pathlib.Path, command: list[str]
) -> None:
    # Stockholm midnight of the year 1 or 9999 does not exist: refused, never a traceback.
    result = run(archivectl(*command, "--store", f"file://{tmp_path / 'archive'}"))

    assert result.returncode == 2
    assert "is not a date from 2000-01-01 to 2199-12-31" in result.stderr
    assert "Traceback" not in result.stderr


def test_check_inventory_lists_accounts_and_their_people(
    tmp_path: pathlib.Path, platform: FakeMastodon
) -> None:
    inventory = two_accounts(tmp_path, platform)

    result = run(archivectl("check-inventory", str(inventory)), env={"KS_TOKEN": GOOD_TOKEN})

    assert result.returncode == 0
    assert "Kristianstads kommun, 2 accounts" in result.stdout
    assert "$KS_TOKEN set" in result.stdout and "Cecilia Ek / Dan Dahl" in result.stdout


def test_capture_into_s3_with_object_lock(
    tmp_path: pathlib.Path, platform: FakeMastodon, s3_endpoint: str, locked_bucket: str
) -> None:
    inventory = two_accounts(tmp_path, platform)
    store_url = f"s3://{locked_bucket}/kristianstad"

    result = run(
        capture_command(inventory, store_url), env={"KS_TOKEN": GOOD_TOKEN, "AWS_ENDPOINT_URL": s3_endpoint}
    )

    assert result.returncode == 0, result.stdout + result.stderr
    client = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1")
    keys = [o["Key"] for o in client.list_objects_v2(Bucket=locked_bucket)["Contents"]]
    kinds = {k.split("/")[1] for k in keys}
    assert kinds == {"warc", "metadata", "manifests", "leases"}
    for key in keys:
        head = client.head_object(Bucket=locked_bucket, Key=key, ChecksumMode="ENABLED")
        assert head["ObjectLockMode"] == "COMPLIANCE"
        assert head["ObjectLockLegalHoldStatus"] == "ON"  # bevaras: permanent
        assert head["ChecksumSHA256"]
        tags = {
            t["Key"]: t["Value"] for t in client.get_object_tagging(Bucket=locked_bucket, Key=key)["TagSet"]
        }
        assert tags["retention-class"] == "bevaras" and tags["platform"] == "mastodon"
        assert tags["account"] in ("ks-mastodon", "bibliotek-mastodon")
        assert tags["kind"] in ("warc", "items", "runs", "manifest", "lease")
    store = S3Store(store_url, client=client)
    rows = read_items(store)
    assert len(rows) == 3
    assert_pointers_resolve(store, rows)
    version = client.list_object_versions(Bucket=locked_bucket, Prefix=keys[0])["Versions"][0]["VersionId"]
    with pytest.raises(client.exceptions.ClientError):
        client.delete_object(Bucket=locked_bucket, Key=keys[0], VersionId=version)
    again = run(
        capture_command(inventory, store_url), env={"KS_TOKEN": GOOD_TOKEN, "AWS_ENDPOINT_URL": s3_endpoint}
    )
    assert again.returncode == 0 and again.stdout.count("already captured") == 2
    assert len(client.list_objects_v2(Bucket=locked_bucket)["Contents"]) == len(keys)


def test_a_bucket_without_object_lock_is_refused_with_nothing_written(
    tmp_path: pathlib.Path, platform: FakeMastodon, s3_endpoint: str, plain_bucket: str
) -> None:
    inventory = two_accounts(tmp_path, platform)

    result = run(
        capture_command(inventory, f"s3://{plain_bucket}/x"),
        env={"KS_TOKEN": GOOD_TOKEN, "AWS_ENDPOINT_URL": s3_endpoint},
    )

    assert result.returncode == 2
    assert "Object Lock" in result.stderr
    client = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1")
    assert client.list_objects_v2(Bucket=plain_bucket).get("KeyCount", 0) == 0
    assert not [r for r in platform.requests if r.path.startswith("/api/")]  # the platform was not even asked


def test_progress_is_shown_on_a_terminal(tmp_path: pathlib.Path, platform: FakeMastodon) -> None:
    import pty

    inventory = two_accounts(tmp_path, platform)
    controller, terminal = pty.openpty()
    process = subprocess.Popen(
        capture_command(inventory, f"file://{tmp_path / 'archive'}"),
        stdout=subprocess.PIPE,
        stderr=terminal,
        env={**os.environ, "KS_TOKEN": GOOD_TOKEN},
    )
    os.close(terminal)
    shown = b""
    while True:
        try:
            chunk = os.read(controller, 4096)
        except OSError:  # the terminal closed: the process has exited
            break
        if not chunk:
            break
        shown += chunk
    process.wait(timeout=PROCESS_TIMEOUT)
    os.close(controller)
    assert process.returncode == 0
    assert b"ks-mastodon: 1 threads" in shown and b"\r" in shown  # one line, rewritten in place
    assert b"INFO" not in shown  # on a terminal the progress line replaces the log
