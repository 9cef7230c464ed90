"""FileStore: create-only atomic puts, sidecars, read-only files, byte-ordered listing."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import pathlib
import stat
import threading
from collections.abc import Callable
from typing import Any

import pytest

from archive_lib.errors import ObjectExistsError, ObjectNotFoundError, StoreConfigError, StoreError
from archive_lib.retention_classes import ObjectRetention
from archive_lib.storage import FileStore, ObjectStore, open_store
from tests.helpers import EVENT_TIMEOUT

NOW = dt.datetime(2026, 3, 1, 12, 30, tzinfo=dt.UTC)
TEN_YEARS = ObjectRetention("k10", dt.date(2036, 3, 1))
PERMANENT = ObjectRetention("bevaras", None)
TAGS = {"account": "ks-1", "platform": "mastodon", "kind": "warc"}


@pytest.fixture
def store(tmp_path: pathlib.Path) -> FileStore:
    return FileStore((tmp_path / "store").as_uri(), clock=lambda: NOW)


def put(store: FileStore, key: str, data: bytes = b"data") -> Any:
    return store.put(key, data, retention=TEN_YEARS, tags=TAGS)


def all_names(folder: pathlib.Path) -> list[str]:
    """Every file under ``folder``, hidden ones included, relative and sorted."""
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


# -- the store itself ----------------------------------------------------------------------------


def test_root_is_created_and_url_normalized(tmp_path: pathlib.Path) -> None:
    s = FileStore(f"file://{tmp_path}/a/b/../c")
    assert (tmp_path / "a" / "c").is_dir()
    assert s.url == (tmp_path / "a" / "c").as_uri()
    assert isinstance(s, ObjectStore)


@pytest.mark.parametrize("url", ["file://otherhost/x", "file:relative/path", "s3://b/x"])
def test_bad_file_urls_are_refused(url: str) -> None:
    with pytest.raises(StoreConfigError):
        FileStore(url)


def test_open_store_dispatches_on_scheme(tmp_path: pathlib.Path) -> None:
    assert isinstance(open_store(tmp_path.as_uri()), FileStore)
    for url in ["ftp://host/x", str(tmp_path), "gs://bucket/x"]:
        with pytest.raises(StoreConfigError, match="unknown object store URL"):
            open_store(url)


# -- put -----------------------------------------------------------------------------------------


def test_put_then_read_back(store: FileStore) -> None:
    data = os.urandom(3 * 1024 * 1024 + 17)  # several copy chunks
    result = store.put("warc/2026/a.warc.gz", io.BytesIO(data), retention=TEN_YEARS, tags=TAGS)
    assert result.size == len(data)
    assert result.sha256 == hashlib.sha256(data).hexdigest()
    assert result.retention == TEN_YEARS
    assert result.tags == TAGS
    assert result == store.stat("warc/2026/a.warc.gz")
    with store.open("warc/2026/a.warc.gz") as f:
        assert f.read() == data
    assert store.exists("warc/2026/a.warc.gz")


def test_same_bytes_again_is_a_harmless_retry(store: FileStore) -> None:
    first = put(store, "a/b", b"same")
    sidecar = store.root / "a" / ".b.meta.json"
    before = sidecar.read_bytes()
    again = store.put("a/b", b"same", retention=PERMANENT, tags={})
    assert again == first  # the stored description, not the retried one
    assert sidecar.read_bytes() == before
    assert all_names(store.root) == ["a/.b.meta.json", "a/b"]


def test_different_bytes_are_refused_and_the_original_kept(store: FileStore) -> None:
    put(store, "a/b", b"original")
    sidecar = (store.root / "a" / ".b.meta.json").read_bytes()
    with pytest.raises(ObjectExistsError, match="already stored"):
        put(store, "a/b", b"tampered")
    assert store.read_range("a/b", 0, 8) == b"original"
    assert (store.root / "a" / ".b.meta.json").read_bytes() == sidecar
    assert all_names(store.root) == ["a/.b.meta.json", "a/b"]  # no temp file left behind


def test_object_and_sidecar_are_read_only(store: FileStore) -> None:
    put(store, "x/y.parquet")
    for name in ["x/y.parquet", "x/.y.parquet.meta.json"]:
        assert stat.S_IMODE((store.root / name).stat().st_mode) == 0o444
    assert store.stat("x/y.parquet").lock_mode == "read-only"
    (store.root / "x" / "y.parquet").chmod(0o644)
    assert store.stat("x/y.parquet").lock_mode is None


def test_sidecar_contents(store: FileStore) -> None:
    put(store, "a.warc", b"abc")
    store.put("p.warc", b"abc", retention=PERMANENT, tags={})
    meta = json.loads((store.root / ".a.warc.meta.json").read_text())
    assert meta == {
        "key": "a.warc",
        "size": 3,
        "sha256": hashlib.sha256(b"abc").hexdigest(),
        "retention_class": "k10",
        "retain_until": "2036-03-01",
        "permanent": False,
        "tags": TAGS,
        "stored_at": "2026-03-01T12:30:00+00:00",
    }
    perm = json.loads((store.root / ".p.warc.meta.json").read_text())
    assert (perm["retention_class"], perm["retain_until"], perm["permanent"], perm["tags"]) == (
        "bevaras",
        None,
        True,
        {},
    )
    assert store.stat("p.warc").retention == PERMANENT


def test_put_after_a_crash_between_object_and_sidecar(
    store: FileStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    def crash(*args: object, **kwargs: object) -> None:
        raise OSError("power cut")

    monkeypatch.setattr(FileStore, "_write_sidecar", crash)
    with pytest.raises(StoreError):
        put(store, "n/a.warc", b"bytes")
    monkeypatch.undo()
    assert all_names(store.root) == ["n/a.warc"]
    orphan = store.stat("n/a.warc")  # readable without its sidecar
    assert (orphan.sha256, orphan.retention) == (hashlib.sha256(b"bytes").hexdigest(), None)
    assert list(store.list()) == ["n/a.warc"]

    with pytest.raises(ObjectExistsError):
        put(store, "n/a.warc", b"other")
    assert not (store.root / "n" / ".a.warc.meta.json").exists()

    recovered = put(store, "n/a.warc", b"bytes")
    assert recovered.retention == TEN_YEARS
    assert recovered.tags == TAGS
    assert stat.S_IMODE((store.root / "n" / ".a.warc.meta.json").stat().st_mode) == 0o444


def race(store: FileStore, monkeypatch: pytest.MonkeyPatch, key: str, payloads: list[bytes]) -> list[object]:
    """Put every payload under one key from its own thread, all publishing at the same moment.

    Each thread waits, with its data staged, until all are ready: whatever makes the put
    create-only must hold when every writer goes for the name at once.
    """
    barrier = threading.Barrier(len(payloads), timeout=EVENT_TIMEOUT)
    staged = threading.local()
    real_stage = FileStore._stage

    def stage_then_wait(self: FileStore, *args: Any) -> Any:
        result = real_stage(self, *args)
        if not getattr(staged, "done", False):  # the object, not its sidecar
            staged.done = True
            barrier.wait()
        return result

    monkeypatch.setattr(FileStore, "_stage", stage_then_wait)
    outcomes: list[object] = [None] * len(payloads)

    def run(i: int) -> None:
        try:
            outcomes[i] = put(store, key, payloads[i])
        except Exception as e:
            outcomes[i] = e

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(payloads))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return outcomes


@pytest.mark.parametrize("round", range(5))  # a lost race can hide behind lucky timing
def test_racing_puts_of_different_bytes_have_one_winner(
    store: FileStore, monkeypatch: pytest.MonkeyPatch, round: int
) -> None:
    payloads = [f"writer {i}".encode() for i in range(8)]
    outcomes = race(store, monkeypatch, "race/key", payloads)
    winners = [i for i, o in enumerate(outcomes) if not isinstance(o, Exception)]
    assert len(winners) == 1, outcomes
    assert all(isinstance(outcomes[i], ObjectExistsError) for i in range(8) if i not in winners)
    assert store.open("race/key").read() == payloads[winners[0]]
    assert store.stat("race/key").sha256 == hashlib.sha256(payloads[winners[0]]).hexdigest()
    assert all_names(store.root) == ["race/.key.meta.json", "race/key"]


def test_racing_puts_of_the_same_bytes_all_succeed(store: FileStore, monkeypatch: pytest.MonkeyPatch) -> None:
    outcomes = race(store, monkeypatch, "race/key", [b"same"] * 6)
    assert all(not isinstance(o, Exception) for o in outcomes), outcomes
    assert len(set(map(repr, outcomes))) == 1
    assert all_names(store.root) == ["race/.key.meta.json", "race/key"]


@pytest.mark.parametrize(
    "key",
    [
        *["", "a\\b", "a\nb", "/abs", "a//b", "a/./b", "a/../b", "..", "a/", ".hidden", "a/.tmp"],
    ],
)
def test_bad_keys_are_refused(store: FileStore, key: str) -> None:
    with pytest.raises(ValueError):
        put(store, key)
    for method in (store.exists, store.stat, store.open):
        with pytest.raises(ValueError):
            method(key)
    assert all_names(store.root) == []


@pytest.mark.parametrize(
    "tags",
    [
        {"a": "x&y"},
        {"a": "semi;colon"},
        {"retention-class": "k10"},
        {"aws:x": "1"},
        {f"t{i}": "v" for i in range(10)},
        {"a": "x" * 257},
    ],
)
def test_bad_tags_are_refused(store: FileStore, tags: dict[str, str]) -> None:
    with pytest.raises(ValueError):
        store.put("k", b"data", retention=TEN_YEARS, tags=tags)
    assert all_names(store.root) == []


def test_allowed_tag_characters(store: FileStore) -> None:
    tags = {"account": "ks-1 Bibliotek Västerås", "url": "https://x.se/@a_b+c=d:e"}
    assert store.put("k", b"data", retention=TEN_YEARS, tags=tags).tags == tags


def test_a_key_cannot_go_below_an_object(store: FileStore) -> None:
    put(store, "a")
    with pytest.raises(ObjectExistsError):
        put(store, "a/b")
    assert not store.exists("a/b")
    with pytest.raises(ObjectNotFoundError):
        store.stat("a/b")
    with pytest.raises(ObjectNotFoundError):
        store.open("a/b")
    put(store, "c/d")
    with pytest.raises(ObjectExistsError):
        put(store, "c")


# -- reading -------------------------------------------------------------------------------------


def test_read_range(store: FileStore) -> None:
    put(store, "r", b"0123456789")
    assert store.read_range("r", 0, 3) == b"012"
    assert store.read_range("r", 7, 3) == b"789"
    assert store.read_range("r", 4, 0) == b""
    with pytest.raises(StoreError, match="asked for 4 bytes"):
        store.read_range("r", 8, 4)
    with pytest.raises(ValueError):
        store.read_range("r", -1, 2)


def test_missing_keys(store: FileStore) -> None:
    put(store, "dir/x")
    assert not store.exists("dir/y")
    assert not store.exists("dir")  # a folder is not an object
    for key in ["dir/y", "dir", "nope/x"]:
        with pytest.raises(ObjectNotFoundError):
            store.stat(key)
        with pytest.raises(ObjectNotFoundError):
            store.open(key)
        with pytest.raises(ObjectNotFoundError):
            store.read_range(key, 0, 1)


# -- list ----------------------------------------------------------------------------------------

# Names where byte order and folder order disagree ('-' < '.' < '/' < '0'), non-ASCII, a space.
TRICKY = [
    *["a-c", "a.b", "a/b!", "a/b-c/d", "a/b.x", "a/b/c", "a/b0", "a0", "aB", "a_", "ab", "Z", "z"],
    *["å", "ä/x", "metadata/items/run.json"],
    *(f"metadata/items/account_id={a}/p.parquet" for a in ("ks-1", "ks-2", "ks", "ksx")),
    "a/b/c d",
]


def byte_order(keys: list[str]) -> list[str]:
    return sorted(keys, key=lambda k: k.encode("utf-8"))


@pytest.fixture(scope="module")
def tricky(tmp_path_factory: pytest.TempPathFactory) -> FileStore:
    """One store holding TRICKY, shared by the listing tests (they only read)."""
    store = FileStore(tmp_path_factory.mktemp("tricky").as_uri(), clock=lambda: NOW)
    for key in TRICKY:
        put(store, key, key.encode())
    return store


def test_list_is_in_byte_order_across_folders(tricky: FileStore) -> None:
    listed = list(tricky.list())
    assert listed == byte_order(TRICKY)
    assert listed.index("a-c") < listed.index("a.b") < listed.index("a/b!") < listed.index("a0")


PREFIXES = ["", "a", "a/", "a/b", "a/b/", "a/b-", "metadata/", "å", "z", "zz", "../", "a/../a"]
PREFIXES += ["metadata/items/account_id=ks-", "metadata/items/account_id=ks"]
STARTS_AFTER = [None, "", "a", "a/b", "a/b/c", "a/b0", "zzzz", "a/b/c d", "\U0010ffff"]
STARTS_AFTER += [f"metadata/items/account_id={k}" for k in ("ks-1/", "ks-1/zzz", "ks/p.parquet")]


@pytest.mark.parametrize("prefix", PREFIXES)
@pytest.mark.parametrize("start_after", STARTS_AFTER)
def test_list_matches_a_brute_force_filter(tricky: FileStore, prefix: str, start_after: str | None) -> None:
    expected = [
        k
        for k in byte_order(TRICKY)
        if k.startswith(prefix) and (start_after is None or k.encode() > start_after.encode())
    ]
    assert list(tricky.list(prefix, start_after)) == expected


def test_list_hides_sidecars_and_temp_files(store: FileStore) -> None:
    put(store, "n/a")
    (store.root / "n" / ".put-leftover").write_bytes(b"half")
    (store.root / ".put-other").write_bytes(b"half")
    assert list(store.list()) == ["n/a"]


def count_scans(monkeypatch: pytest.MonkeyPatch, root: pathlib.Path) -> list[str]:
    scanned: list[str] = []
    real_scandir: Callable[..., Any] = os.scandir

    def scandir(path: Any) -> Any:
        scanned.append(pathlib.Path(path).relative_to(root).as_posix())
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    return scanned


def test_start_after_skips_old_folders_without_reading_them(
    store: FileStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    nights = [f"2026-01-{d:02d}" for d in range(1, 31)]
    for night in nights:
        for name in ["a.warc", "b.warc"]:
            put(store, f"warc/night={night}/{name}")
    scanned = count_scans(monkeypatch, store.root)

    keys = list(store.list("warc/", start_after="warc/night=2026-01-28/zzz"))
    assert keys == [f"warc/night=2026-01-{d}/{n}" for d in (29, 30) for n in ("a.warc", "b.warc")]
    assert scanned == ["warc", "warc/night=2026-01-28", "warc/night=2026-01-29", "warc/night=2026-01-30"]

    scanned.clear()
    keys = list(store.list(start_after="warc/night=2026-01-30/a.warc"))
    assert keys == ["warc/night=2026-01-30/b.warc"]
    assert scanned == [".", "warc", "warc/night=2026-01-30"]


def test_prefix_reads_only_its_folder(store: FileStore, monkeypatch: pytest.MonkeyPatch) -> None:
    for account in ["ks-1", "ks-2", "other"]:
        put(store, f"metadata/items/account_id={account}/p.parquet")
    put(store, "warc/x")
    scanned = count_scans(monkeypatch, store.root)
    assert list(store.list("metadata/items/account_id=ks-")) == [
        "metadata/items/account_id=ks-1/p.parquet",
        "metadata/items/account_id=ks-2/p.parquet",
    ]
    assert scanned == ["metadata/items", "metadata/items/account_id=ks-1", "metadata/items/account_id=ks-2"]
