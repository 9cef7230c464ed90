"""The Airflow glue: with ``dags/`` and ``plugins/``, the only code that imports Airflow.

:mod:`.capture` holds the capture DAG's task bodies, :mod:`.audit` the audit DAG's. Both read
Airflow's settings and Connections and hand plain values to the rest of ``archive_lib``."""
