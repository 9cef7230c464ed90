"""Airflow 3 as it runs in production, as native processes: api-server, scheduler, dag-processor
(and, scaled out, the triggerer and Celery workers).

The metadata database is PostgreSQL (:mod:`tests.prodlike.postgres`), the executor LocalExecutor,
or CeleryExecutor with a Redis broker (:mod:`tests.prodlike.redis`) and workers started with
:meth:`AirflowStack.start_worker`.
Every Airflow server binds port 0 on 127.0.0.1 and the OS picks its port: the api-server names
its port in its "Uvicorn running on" line, and the scheduler and dag-processor start only after
that line, with the execution API's URL on that port. The DAGs are driven only through Airflow's
public REST API: a JWT from ``POST /auth/token`` (SimpleAuthManager, a password file written
here), then ``/api/v2`` calls, as an operator's tooling would.
"""

from __future__ import annotations

import json
import os
import pathlib
import secrets
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from typing import Any

from cryptography.fernet import Fernet

from tests.prodlike.processes import START_TIMEOUT, ProcessGroup

BIN = pathlib.Path(sys.executable).parent
REPO = pathlib.Path(__file__).resolve().parents[2]
ADMIN = "admin"
REQUEST_TIMEOUT = 120.0


class AirflowStack:
    """Configure, migrate, start and drive one Airflow installation."""

    def __init__(
        self,
        home: pathlib.Path,
        processes: ProcessGroup,
        database_url: str,
        dags_folder: pathlib.Path,
        extra_env: Mapping[str, str],
    ) -> None:
        self.home = home
        self.processes = processes
        self.port = 0  # known once the api-server listens (see start)
        self.base_url = ""
        self.password = secrets.token_urlsafe(18)
        home.mkdir(parents=True, exist_ok=True)
        passwords = home / "passwords.json"
        passwords.write_text(json.dumps({ADMIN: self.password}))
        passwords.chmod(0o600)
        inherited = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "AWS_", "ARCHIVE_"))}
        self.env: dict[str, str] = {
            **inherited,
            "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": database_url,
            "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__DAGS_FOLDER": str(dags_folder),
            "AIRFLOW__CORE__PLUGINS_FOLDER": str(dags_folder.parent / "plugins"),
            "AIRFLOW__CORE__PARALLELISM": "4",
            "AIRFLOW__CORE__FERNET_KEY": Fernet.generate_key().decode(),
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"{ADMIN}:admin",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(passwords),
            "AIRFLOW__API__HOST": "127.0.0.1",
            "AIRFLOW__API__PORT": "0",
            "AIRFLOW__API__SECRET_KEY": secrets.token_urlsafe(32),
            "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_urlsafe(64),
            "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": "0",
            "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": "0",
            **extra_env,
        }
        self._token: str | None = None

    # -- lifecycle ---------------------------------------------------------------------------

    def migrate(self) -> None:
        """``airflow db migrate`` against the PostgreSQL database."""
        self.cli("db-migrate", "airflow", "db", "migrate")

    def import_pools(self) -> None:
        """The capture pools, one per platform, as the compose file's init service creates them."""
        pools = self.home / "pools.json"
        pools.write_text(self.cli("pools", "archivectl", "pools"))
        self.cli("pools-import", "airflow", "pools", "import", str(pools))

    def cli(self, name: str, program: str, *args: str) -> str:
        """Run one of the venv's commands with this installation's environment; return its stdout."""
        log = self.processes.log_folder / f"{name}.log"
        done = subprocess.run(
            [str(BIN / program), *args],
            env=self.env,
            capture_output=True,
            stdin=subprocess.DEVNULL,
            check=False,
        )
        log.write_bytes(done.stdout + done.stderr)
        if done.returncode:
            raise RuntimeError(
                f"{program} {' '.join(args)} failed ({done.returncode}):\n{log.read_text()[-3000:]}"
            )
        return done.stdout.decode()

    def use_celery(self, broker_url: str, result_backend: str) -> None:
        """Run tasks on Celery workers (see :meth:`start_worker`) instead of the LocalExecutor."""
        self.env.update(
            {
                "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
                "AIRFLOW__CELERY__BROKER_URL": broker_url,
                "AIRFLOW__CELERY__RESULT_BACKEND": result_backend,
            }
        )

    def start(self, timeout: float = START_TIMEOUT, *, triggerer: bool = False) -> None:
        """Start the api-server, then (on the port it got) the scheduler and dag-processor, and
        the triggerer when asked."""
        api = self.processes.start("api-server", [str(BIN / "airflow"), "api-server"], self.env, watch=True)
        listening = api.wait_for_line(r"Uvicorn running on http://127\.0\.0\.1:(\d+)", timeout)
        self.port = int(listening.group(1))
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"] = f"{self.base_url}/execution/"
        for component in ("scheduler", "dag-processor", *(("triggerer",) if triggerer else ())):
            self.processes.start(component, [str(BIN / "airflow"), component], self.env)

    def start_worker(self, name: str, concurrency: int, timeout: float = START_TIMEOUT) -> None:
        """Start a Celery worker that runs ``concurrency`` tasks at a time and names itself
        ``name`` in the task instances it runs (:mod:`tests.prodlike.worker_name`); wait until it is ready."""
        env = {
            **self.env,
            "ARCHIVE_WORKER_NAME": name,
            "AIRFLOW__CORE__HOSTNAME_CALLABLE": "tests.prodlike.worker_name.hostname",
            "PYTHONPATH": os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH", "")) if p),
        }
        command = [
            str(BIN / "airflow"),
            "celery",
            "worker",
            "--celery-hostname",
            f"{name}@%h",
            "--concurrency",
            str(concurrency),
            "--without-mingle",
            "--without-gossip",
        ]
        worker = self.processes.start(name, command, env, watch=True)
        worker.wait_for_line(rf"{name}@\S+ ready\.", timeout)

    def wait_healthy(self, timeout: float = START_TIMEOUT) -> dict[str, Any]:
        """Poll ``/api/v2/monitor/health`` until the database, scheduler and dag-processor are healthy."""
        deadline = time.monotonic() + timeout
        last: Any = None
        while time.monotonic() < deadline:
            self.processes.check_running()
            try:
                last = self._request("GET", "/api/v2/monitor/health", auth=False)
            except (OSError, urllib.error.HTTPError) as exc:
                last = exc
            else:
                parts = ("metadatabase", "scheduler", "dag_processor")
                if all((last.get(p) or {}).get("status") == "healthy" for p in parts):
                    return dict(last)
            time.sleep(0.5)
        raise TimeoutError(f"Airflow was not healthy within {timeout:.0f} s; last answer: {last}")

    # -- REST API ----------------------------------------------------------------------------

    def token(self) -> str:
        """A JWT for the admin user from ``POST /auth/token``."""
        if self._token is None:
            answer = self._request(
                "POST", "/auth/token", {"username": ADMIN, "password": self.password}, auth=False
            )
            self._token = str(answer["access_token"])
        return self._token

    def wait_for_dag(self, dag_id: str, timeout: float = START_TIMEOUT) -> dict[str, Any]:
        """Poll until the dag-processor has parsed ``dag_id`` into the database."""
        deadline = time.monotonic() + timeout
        while True:
            self.processes.check_running()
            try:
                return dict(self._request("GET", f"/api/v2/dags/{dag_id}"))
            except urllib.error.HTTPError as exc:
                if exc.code != 404 or time.monotonic() > deadline:
                    errors = self._request("GET", "/api/v2/importErrors")
                    raise TimeoutError(
                        f"DAG {dag_id} not parsed ({exc.code}); import errors: {errors}"
                    ) from exc
            time.sleep(0.5)

    def unpause(self, dag_id: str) -> None:
        self._request("PATCH", f"/api/v2/dags/{dag_id}", {"is_paused": False})

    def trigger(self, dag_id: str, conf: Mapping[str, Any] | None = None) -> str:
        """Start a run now (``logical_date`` null, as a manual run); return its run id."""
        answer = self._request(
            "POST", f"/api/v2/dags/{dag_id}/dagRuns", {"logical_date": None, "conf": dict(conf or {})}
        )
        return str(answer["dag_run_id"])

    def wait_for_run(self, dag_id: str, run_id: str, timeout: float) -> dict[str, Any]:
        """Poll the run until it is finished (success or failed); return it."""
        deadline = time.monotonic() + timeout
        while True:
            self.processes.check_running()
            run = self._request("GET", f"/api/v2/dags/{dag_id}/dagRuns/{run_id}")
            if run["state"] in ("success", "failed"):
                return dict(run)
            if time.monotonic() > deadline:
                raise TimeoutError(f"run {run_id} still {run['state']} after {timeout:.0f} s")
            time.sleep(1.0)

    def plugins(self) -> list[str]:
        """Names of the plugins the api-server loaded."""
        return [str(p["name"]) for p in self._request("GET", "/api/v2/plugins")["plugins"]]

    def task_instances(self, dag_id: str, run_id: str) -> list[dict[str, Any]]:
        answer = self._request("GET", f"/api/v2/dags/{dag_id}/dagRuns/{run_id}/taskInstances")
        return list(answer["task_instances"])

    def _request(self, method: str, path: str, body: Any = None, *, auth: bool = True) -> Any:
        headers = {"Accept": "application/json"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if auth:
            headers["Authorization"] = f"Bearer {self.token()}"
        request = urllib.request.Request(self.base_url + path, data=data, headers=headers, method=method)
        # A busy machine can keep the api-server from answering for a while.
        with urllib.request.urlopen(request, timeout=REQUEST_TIMEOUT) as response:
            return json.loads(response.read() or b"null")
