"""A throw-away PostgreSQL cluster from Debian's packages, on a free port on 127.0.0.1.

``initdb`` and ``postgres`` refuse to run as root, so under root (CI, containers) the cluster
belongs to the ``postgres`` system user that Debian's package creates; otherwise it belongs to
the current user. The cluster's folder is made with :func:`tempfile.mkdtemp` (not under the
caller's folder, which the ``postgres`` user may not be able to enter) and removed on stop.
"""

from __future__ import annotations

import glob
import os
import pathlib
import pwd
import secrets
import shutil
import signal
import subprocess
import tempfile

from tests.prodlike.processes import START_TIMEOUT, Child, ProcessGroup, free_port

APT_PACKAGE = "postgresql"
PORT_ATTEMPTS = 5


class PostgresMissing(RuntimeError):
    """PostgreSQL's server programs are not installed."""


def server_bin() -> pathlib.Path:
    """The folder holding ``initdb`` and ``postgres`` (the newest installed major version)."""
    found = shutil.which("initdb")
    if found and shutil.which("postgres"):
        return pathlib.Path(found).resolve().parent
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    if not candidates:
        raise PostgresMissing(
            "PostgreSQL's server is not installed (no initdb on PATH or in /usr/lib/postgresql/*/bin): "
            f"install Debian's package with `apt-get install -y {APT_PACKAGE}`"
        )
    return pathlib.Path(candidates[-1]).parent


class TempPostgres:
    """One cluster with a database and a password-protected user for Airflow."""

    def __init__(self, processes: ProcessGroup, *, database: str = "airflow", user: str = "airflow") -> None:
        self.processes = processes
        self.database = database
        self.user = user
        self.password = secrets.token_urlsafe(18)
        self.port = 0
        self.folder: pathlib.Path | None = None
        self._owner = "postgres" if os.geteuid() == 0 else None

    @property
    def url(self) -> str:
        """SQLAlchemy URL of the database (psycopg2 driver), as Airflow's sql_alchemy_conn."""
        return f"postgresql+psycopg2://{self.user}:{self.password}@127.0.0.1:{self.port}/{self.database}"

    def start(self, timeout: float = START_TIMEOUT) -> str:
        """Create, start and wait for the cluster; return :attr:`url`."""
        bin_dir = server_bin()
        self.folder = pathlib.Path(tempfile.mkdtemp(prefix="archive-pg-"))
        data = self.folder / "data"
        password_file = self.folder / "password"
        password_file.write_text(self.password)
        if self._owner:
            try:
                owner = pwd.getpwnam(self._owner)
            except KeyError:
                raise PostgresMissing(
                    f"PostgreSQL refuses to run as root and there is no {self._owner!r} user to run it: "
                    f"install Debian's package with `apt-get install -y {APT_PACKAGE}`"
                ) from None
            os.chown(self.folder, owner.pw_uid, owner.pw_gid)
            os.chown(password_file, owner.pw_uid, owner.pw_gid)
        subprocess.run(
            [
                str(bin_dir / "initdb"),
                "-D",
                str(data),
                "-U",
                self.user,
                f"--pwfile={password_file}",
                "--auth=scram-sha-256",
                "--encoding=UTF8",
                "--locale=C",
            ],
            check=True,
            capture_output=True,
            user=self._owner,
            cwd=self.folder,
        )
        password_file.unlink()
        # PostgreSQL needs its port number up front. Another process may take a free port before
        # PostgreSQL binds it; then PostgreSQL says so and exits, and it starts again on another.
        for attempt in range(1, PORT_ATTEMPTS + 1):
            self.port = free_port()
            postgres = self._start_postgres(bin_dir, data)
            try:
                postgres.wait_for_line(r"database system is ready to accept connections", timeout)
                break
            except RuntimeError:
                if attempt == PORT_ATTEMPTS or "Address already in use" not in postgres.tail():
                    raise
                self.processes.forget(postgres)
        self._create_database()
        return self.url

    def _start_postgres(self, bin_dir: pathlib.Path, data: pathlib.Path) -> Child:
        assert self.folder is not None
        return self.processes.start(
            "postgres",
            [
                str(bin_dir / "postgres"),
                "-D",
                str(data),
                "-p",
                str(self.port),
                "-k",
                str(self.folder),
                "-c",
                "listen_addresses=127.0.0.1",
                "-c",
                "fsync=off",  # a throw-away cluster: durability buys nothing here
            ],
            {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C"},
            stop_signal=signal.SIGINT,  # PostgreSQL's "fast" shutdown
            user=self._owner,
            cwd=self.folder,
            watch=True,  # "ready to accept connections" is the signal to go on
        )

    def _create_database(self) -> None:
        import psycopg2

        connection = psycopg2.connect(self._dsn("postgres"))
        try:
            connection.autocommit = True
            with connection.cursor() as cursor:
                cursor.execute(f'CREATE DATABASE "{self.database}"')
        finally:
            connection.close()

    def _dsn(self, database: str) -> str:
        return f"host=127.0.0.1 port={self.port} dbname={database} user={self.user} password={self.password}"

    def remove(self) -> None:
        """Delete the cluster's files (after its process has been stopped)."""
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder = None
