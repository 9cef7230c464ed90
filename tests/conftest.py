"""Test set-up shared by the whole suite.

Airflow reads its configuration when first imported, so its home, database and DAG folder are
set here, before any test module imports it: every test session gets a fresh SQLite database in a
temporary folder and never touches a real Airflow installation.
"""

from __future__ import annotations

import os
import pathlib
import tempfile

REPO = pathlib.Path(__file__).resolve().parent.parent
_AIRFLOW_HOME = pathlib.Path(tempfile.mkdtemp(prefix="archive-test-airflow-"))
os.environ["AIRFLOW_HOME"] = str(_AIRFLOW_HOME)
os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
os.environ["AIRFLOW__CORE__UNIT_TEST_MODE"] = "True"
os.environ["AIRFLOW__CORE__DAGS_FOLDER"] = str(REPO / "dags")
os.environ["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] = f"sqlite:///{_AIRFLOW_HOME}/airflow.db"
# No test may reach a real cloud: S3 clients only ever talk to the loopback moto server.
os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
os.environ.pop("AWS_PROFILE", None)
# Renditions and reports speak the default language (Swedish) unless a test asks for another.
os.environ.pop("ARCHIVE_LANGUAGE", None)

# Property-based tests run the same examples on every machine and never fail on timing: a
# suite that passes once passes again (no deadline, no random seed).
from hypothesis import HealthCheck, settings  # noqa: E402

settings.register_profile(
    "archive",
    derandomize=True,
    deadline=None,
    max_examples=100,
    suppress_health_check=[HealthCheck.too_slow],
    database=None,
)
settings.load_profile("archive")

pytest_plugins = [
    "tests.fakes.s3",
    "tests.fakes.smtp",
    "tests.fakes.mastodon_fixtures",
    "tests.registrar_fixtures",
    "tests.lifecycle_helpers",
]
