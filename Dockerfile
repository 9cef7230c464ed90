# The archive's own image: the official Airflow image of the pinned version (its slim variant:
# Airflow without extra providers, so requirements.lock alone decides what else is there), with
# the project and its dependencies installed at build time, pinned by requirements.lock.
# Nothing is installed when a container starts.
ARG AIRFLOW_VERSION=3.3.2
ARG PYTHON_VERSION=3.11
FROM apache/airflow:slim-${AIRFLOW_VERSION}-python${PYTHON_VERSION}

# Fonts for the registrars' PDF renditions (archive_lib/registry/pdf.py), at build time like everything else.
USER root
RUN apt-get update \
    && apt-get install -y --no-install-recommends fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*
USER airflow

COPY --chown=airflow:root requirements.lock pyproject.toml README.md /opt/archive/
COPY --chown=airflow:root archive_lib /opt/archive/archive_lib
# The lock pins every package (the dev extra included); as constraints it pins exactly the ones
# the project needs at run time, and nothing else is installed.
RUN pip install --no-cache-dir --constraint /opt/archive/requirements.lock /opt/archive \
    && pip check

COPY --chown=airflow:root dags /opt/airflow/dags
COPY --chown=airflow:root plugins /opt/airflow/plugins
