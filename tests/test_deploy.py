"""The compose deployment: valid files, the names the code reads, and docs that match them.

``docker-compose config`` (Debian's ``docker-compose`` package; it validates against the
Compose specification's schema and resolves every variable without a Docker engine) checks both
files; the resolved configuration is then compared with what the code and the docs say.
"""

from __future__ import annotations

import inspect
import json
import pathlib
import re
import shutil
import subprocess
import tomllib
from typing import Any

import pytest
import yaml

from tests.conftest import REPO

COMPOSE_FILES = ("docker-compose.yml", "docker-compose.celery.yml")
DOCS = REPO / "docs" / "operations.md"
APT_HINT = "apt-get install -y --no-install-recommends docker-compose"
# Services that run capture tasks: they need the archive's settings and the tokens.
TASK_RUNNERS = {"base": "airflow-scheduler", "celery": "airflow-worker"}
AIRFLOW_SERVICES = (
    "airflow-init",
    "airflow-api-server",
    "airflow-scheduler",
    "airflow-dag-processor",
    "airflow-triggerer",
)
# Variables read by something other than the archive or Airflow's configuration.
OTHER_READERS = {
    "DUMB_INIT_SETSID": "the official Airflow image's entrypoint",
    "AIRFLOW_ADMIN_USER": "deploy/airflow-init.sh",
    "AIRFLOW_ADMIN_PASSWORD": "deploy/airflow-init.sh",
    "ARCHIVE_POOL_SLOTS": "deploy/airflow-init.sh",
}


def _compose_config(folder: pathlib.Path, *files: str) -> dict[str, Any]:
    program = shutil.which("docker-compose")
    if program is None:
        pytest.fail(f"docker-compose is not installed; it validates the compose files: {APT_HINT}")
    for name in (*COMPOSE_FILES, "Dockerfile"):
        shutil.copy(REPO / name, folder / name)
    shutil.copytree(REPO / "deploy", folder / "deploy")
    shutil.copy(REPO / ".env.example", folder / ".env")
    shutil.copy(REPO / "tokens.env.example", folder / "tokens.env")
    shutil.copy(REPO / "deploy" / "inventory.example.yaml", folder / "inventory.yaml")
    command = [program, "--no-ansi", *(f"--file={f}" for f in files), "config"]
    done = subprocess.run(command, cwd=folder, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    return dict(yaml.safe_load(done.stdout))


@pytest.fixture(scope="module")
def configs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    return {
        "base": _compose_config(tmp_path_factory.mktemp("base"), COMPOSE_FILES[0]),
        "celery": _compose_config(tmp_path_factory.mktemp("celery"), *COMPOSE_FILES),
    }


def test_compose_files_are_valid_and_hold_the_whole_system(configs: dict[str, dict[str, Any]]) -> None:
    base = set(configs["base"]["services"])
    assert base == {"postgres", "minio", "minio-init", "listen", *AIRFLOW_SERVICES}
    assert set(configs["celery"]["services"]) == base | {"redis", "airflow-worker"}


def test_a_missing_secret_is_refused_by_name(tmp_path: pathlib.Path) -> None:
    _compose_config(tmp_path, COMPOSE_FILES[0])
    env = (tmp_path / ".env").read_text()
    (tmp_path / ".env").write_text(re.sub(r"(?m)^AIRFLOW_JWT_SECRET=.*\n", "", env))
    done = subprocess.run(
        ["docker-compose", "--no-ansi", "config"], cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert done.returncode != 0
    assert "set AIRFLOW_JWT_SECRET in .env" in done.stderr


def test_every_service_is_health_checked_and_bound_to_localhost(configs: dict[str, dict[str, Any]]) -> None:
    for config in configs.values():
        for name, service in config["services"].items():
            assert service.get("healthcheck", {}).get("test"), f"{name} has no health check"
            for port in service.get("ports", []):
                assert str(port).startswith("127.0.0.1:"), f"{name} publishes {port} beyond localhost"
    published = {name for name, s in configs["celery"]["services"].items() if s.get("ports")}
    assert published == {"minio", "airflow-api-server", "listen"}


def test_state_lives_in_named_volumes(configs: dict[str, dict[str, Any]]) -> None:
    for config in configs.values():
        declared = set(config["volumes"])
        for name, service in config["services"].items():
            for mount in service.get("volumes", []):
                source = mount.split(":")[0]
                if not source.startswith("/"):
                    assert source in declared, f"{name}: {mount}"
    services = configs["celery"]["services"]
    assert "postgres-data:/var/lib/postgresql/data" in services["postgres"]["volumes"][0]
    assert services["minio"]["volumes"][0].startswith("minio-data:/data")
    assert services["redis"]["volumes"][0].startswith("redis-data:/data")


def test_executors(configs: dict[str, dict[str, Any]]) -> None:
    for name in AIRFLOW_SERVICES:
        assert configs["base"]["services"][name]["environment"]["AIRFLOW__CORE__EXECUTOR"] == "LocalExecutor"
    celery = configs["celery"]["services"]
    for name in (*AIRFLOW_SERVICES, "airflow-worker"):
        assert celery[name]["environment"]["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor", name
    assert celery["airflow-worker"]["deploy"]["replicas"] >= 2
    assert celery["airflow-worker"]["command"] == ["celery", "worker"]
    assert celery["airflow-worker"]["environment"]["AIRFLOW__CELERY__BROKER_URL"].endswith("@redis:6379/0")


def _names_the_code_reads() -> set[str]:
    """Environment names read by archive_lib and the plugins: literals, ENV_* constants, ARCHIVE_*."""
    names: set[str] = set()
    for folder in ("archive_lib", "plugins"):
        for path in (REPO / folder).rglob("*.py"):
            text = path.read_text()
            names |= set(re.findall(r"environ\.get\(\s*\"([A-Z][A-Z0-9_]*)\"", text))
            names |= set(re.findall(r"\bsetting\(\s*\"([A-Z][A-Z0-9_]*)\"", text))
            names |= set(re.findall(r"(?m)^ENV_[A-Z_]+ = \"([A-Z][A-Z0-9_]*)\"", text))
            names |= set(
                re.findall(r"\"(ARCHIVE_[A-Z0-9_]+)\"", text)
            )  # e.g. _number("ARCHIVE_AUDIT_NIGHTS", ...)
    return names


def _boto3_names() -> set[str]:
    import botocore.configprovider
    from botocore.credentials import EnvProvider

    assert '"AWS_ENDPOINT_URL"' in inspect.getsource(botocore.configprovider).replace("'", '"')
    region = botocore.configprovider.BOTOCORE_DEFAUT_SESSION_VARIABLES["region"][1]
    return {"AWS_ENDPOINT_URL", EnvProvider.ACCESS_KEY, EnvProvider.SECRET_KEY, region}


def test_environment_names_are_the_ones_the_code_and_airflow_read(configs: dict[str, dict[str, Any]]) -> None:
    from airflow.configuration import conf

    code = _names_the_code_reads()
    needed = {"ARCHIVE_INVENTORY", "ARCHIVE_STORE", "ARCHIVE_INDEX_DIR"} | _boto3_names()
    assert needed - _boto3_names() <= code
    known = code | _boto3_names()
    options = conf.configuration_description
    scheduler_env = configs["celery"]["services"]["airflow-scheduler"]["environment"]
    for variant, config in configs.items():
        runner = config["services"][TASK_RUNNERS[variant]]["environment"]
        assert needed <= set(runner), f"{variant}: {needed - set(runner)} missing"
        for name, service in config["services"].items():
            if not name.startswith("airflow-"):
                continue
            for variable in service["environment"]:
                if variable.startswith("AIRFLOW__"):
                    section, key = variable.removeprefix("AIRFLOW__").lower().split("__")
                    assert key in options.get(section, {}).get("options", {}), (
                        f"{name}: {variable} is no Airflow option"
                    )
                elif variable.startswith("AIRFLOW_CONN_"):
                    pass  # tokens, from tokens.env
                else:
                    assert variable in known or variable in OTHER_READERS, f"{name}: nothing reads {variable}"
    # The worker is written out in full in the override file; it must match the scheduler.
    worker_env = dict(configs["celery"]["services"]["airflow-worker"]["environment"])
    worker_env.pop("DUMB_INIT_SETSID")
    assert worker_env == scheduler_env
    worker, scheduler = (
        configs["celery"]["services"]["airflow-worker"],
        configs["celery"]["services"]["airflow-scheduler"],
    )
    for field in ("image", "user", "volumes", "build"):
        assert worker[field] == scheduler[field], field


def test_settings_point_at_the_services(configs: dict[str, dict[str, Any]]) -> None:
    services = configs["base"]["services"]
    env = services["airflow-scheduler"]["environment"]
    mounts = {m.split(":")[1] for m in services["airflow-scheduler"]["volumes"]}
    assert env["ARCHIVE_INVENTORY"] in mounts
    bucket = services["minio-init"]["environment"]["ARCHIVE_BUCKET"]
    assert env["ARCHIVE_STORE"].startswith(f"s3://{bucket}/")
    assert env["AWS_ENDPOINT_URL"] == "http://minio:9000"
    assert env["AWS_ACCESS_KEY_ID"] == services["minio-init"]["environment"]["ARCHIVE_S3_ACCESS_KEY"]
    assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].startswith("postgresql+psycopg2://airflow:")
    assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].endswith("@postgres:5432/airflow")
    assert env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"] == "http://airflow-api-server:8080/execution/"
    assert len(env["AIRFLOW_CONN_KS_MASTODON"]) > 0  # tokens.env reached the task runner


def test_every_variable_the_compose_files_use_is_in_env_example() -> None:
    used: set[str] = set()
    for name in COMPOSE_FILES:
        used |= set(re.findall(r"(?<!\$)\$\{([A-Z][A-Z0-9_]*)", (REPO / name).read_text()))
    example = set(re.findall(r"(?m)^([A-Z][A-Z0-9_]*)=", (REPO / ".env.example").read_text()))
    assert used == example


def test_inventory_example_tokens_are_in_tokens_env_example(monkeypatch: pytest.MonkeyPatch) -> None:
    from archive_lib.capture.tokens import connection_password
    from archive_lib.inventory import load_inventory

    for line in (REPO / "tokens.env.example").read_text().splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.partition("=")
            monkeypatch.setenv(name, value)
    inventory = load_inventory(REPO / "deploy" / "inventory.example.yaml")
    for account in inventory.accounts:
        assert account.token_connection, account.id
        assert connection_password(account.token_connection) == "change-me"


def test_image_is_the_pinned_airflow_with_the_locked_project() -> None:
    dockerfile = (REPO / "Dockerfile").read_text()
    pins = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"]
    airflow = next(p.split("==")[1] for p in pins if p.startswith("apache-airflow=="))
    assert f"ARG AIRFLOW_VERSION={airflow}\n" in dockerfile
    assert "FROM apache/airflow:slim-${AIRFLOW_VERSION}-python${PYTHON_VERSION}" in dockerfile
    assert "--constraint /opt/archive/requirements.lock" in dockerfile
    lock = (REPO / "requirements.lock").read_text()
    assert f"\napache-airflow=={airflow}\n" in lock


def test_nothing_is_installed_when_a_container_starts(configs: dict[str, dict[str, Any]]) -> None:
    scripts = (REPO / "deploy" / "airflow-init.sh").read_text() + (
        REPO / "deploy" / "minio" / "init.sh"
    ).read_text()
    assert "pip " not in scripts and "apt-get" not in scripts
    for config in configs.values():
        for service in config["services"].values():
            assert "_PIP_ADDITIONAL_REQUIREMENTS" not in service.get("environment", {})
            assert "pip" not in " ".join(service.get("command") or [])


def test_init_services_create_the_locked_bucket_and_the_pools() -> None:
    minio = (REPO / "deploy" / "minio" / "init.sh").read_text()
    assert 'mc mb --ignore-existing --with-lock "local/$ARCHIVE_BUCKET"' in minio
    assert 'mc retention set --default COMPLIANCE "$ARCHIVE_DEFAULT_RETENTION"' in minio
    policy = json.loads((REPO / "deploy" / "minio" / "archive-policy.json").read_text())
    actions = {a for statement in policy["Statement"] for a in statement["Action"]}
    assert "s3:PutObject" in actions and not any("Delete" in a or a == "s3:*" for a in actions)
    airflow = (REPO / "deploy" / "airflow-init.sh").read_text()
    assert 'archivectl pools "${slots[@]}" > /tmp/pools.json' in airflow
    assert 'for item in ${ARCHIVE_POOL_SLOTS:-}; do' in airflow
    assert "airflow pools import /tmp/pools.json" in airflow


# -- the operations guide ----------------------------------------------------------------------


def _section(title: str) -> str:
    text = DOCS.read_text()
    start = text.index(f"\n### {title}\n")
    end = text.find("\n##", start + 5)
    return text[start : end if end > 0 else None]


def test_docs_list_exactly_the_compose_services(configs: dict[str, dict[str, Any]]) -> None:
    rows = re.findall(r"(?m)^\| `([a-z0-9-]+)` \|", _section("Services"))
    assert len(rows) == len(set(rows))
    assert set(rows) == set(configs["celery"]["services"])


def test_docs_deployment_steps_match_the_compose_files(configs: dict[str, dict[str, Any]]) -> None:
    steps = _section("Deployment steps")
    commands = re.findall(r"(?m)^(?:\$ )?((?:cp|docker compose|chmod) .*?)(?:\s+#.*)?$", steps)
    assert commands, "no commands in the deployment steps"
    expected_copies = {
        ".env.example": ".env",
        "tokens.env.example": "tokens.env",
        "deploy/inventory.example.yaml": "inventory.yaml",
    }
    copies = dict(re.findall(r"cp (\S+) (\S+)", steps))
    assert copies == expected_copies
    services = set(configs["celery"]["services"])
    for command in commands:
        if not command.startswith("docker compose"):
            continue
        words = command.split()
        for i, word in enumerate(words):
            if word in ("-f", "--file"):
                assert (REPO / words[i + 1]).is_file(), command
        named = [w for w in words[2:] if re.fullmatch(r"[a-z][a-z0-9-]+", w)]
        verbs = {
            "up",
            "down",
            "build",
            "ps",
            "logs",
            "exec",
            "run",
            "pull",
            "config",
            "stop",
            "start",
            "restart",
        }
        for word in named:
            assert word in verbs or word in services or word in ("airflow", "archivectl"), (command, word)


def test_docs_explain_every_setting_in_env_example() -> None:
    text = DOCS.read_text()
    for name in re.findall(r"(?m)^([A-Z][A-Z0-9_]*)=", (REPO / ".env.example").read_text()):
        assert f"`{name}`" in text, name


def test_celery_variant_loads_with_its_settings(
    configs: dict[str, dict[str, Any]], tmp_path: pathlib.Path
) -> None:
    """Airflow, as installed from the lock file, takes the worker's settings: CeleryExecutor loads
    and the Celery app the worker's health check names has the broker and result backend."""
    import os
    import sys

    worker = configs["celery"]["services"]["airflow-worker"]
    health = " ".join(worker["healthcheck"]["test"])
    app_module = re.search(r"--app (\S+)\.app ", health)
    assert app_module, health
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
    env.update({k: str(v) for k, v in worker["environment"].items() if k.startswith("AIRFLOW__C")})
    env["AIRFLOW_HOME"] = str(tmp_path)
    env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] = f"sqlite:///{tmp_path}/airflow.db"
    script = (
        "from airflow.executors.executor_loader import ExecutorLoader\n"
        "print(type(ExecutorLoader.get_default_executor()).__name__)\n"
        f"from {app_module.group(1)} import app\n"
        "print(app.conf.broker_url)\nprint(app.conf.result_backend)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.split()[-3:] == [
        "CeleryExecutor",
        worker["environment"]["AIRFLOW__CELERY__BROKER_URL"],
        worker["environment"]["AIRFLOW__CELERY__RESULT_BACKEND"],
    ]


def test_listen_runs_archivectl_behind_the_proxy(configs: dict[str, dict[str, Any]]) -> None:
    listen = configs["base"]["services"]["listen"]
    assert listen["entrypoint"][-1] == "archivectl" and listen["command"][0] == "listen"
    assert listen["ports"]  # on 127.0.0.1 only, like every service (checked above)
    env = listen["environment"]
    assert env["ARCHIVE_AIRFLOW_API"] == "http://airflow-api-server:8080"
    assert {"ARCHIVE_META_VERIFY_TOKEN", "ARCHIVE_META_APP_SECRET", "ARCHIVE_JETSTREAM_URL"} <= set(env)
    assert "/healthz" in " ".join(listen["healthcheck"]["test"])
