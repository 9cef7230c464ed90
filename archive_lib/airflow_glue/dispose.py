"""Task body of the ``dispose_records`` DAG: one disposal decision, as ``archivectl dispose`` does it.

The decision comes from the run's ``decision`` parameter; who disposes is the user who triggered
the run. A refused decision fails the task without retry; objects kept by a hold or a lock are
listed in the protocol, and the task fails so that the archivist sees them.
"""

from __future__ import annotations

import logging
from typing import Any

from airflow.sdk import get_current_context
from airflow.sdk.exceptions import AirflowFailException

from archive_lib.airflow_glue.capture import SETTINGS, open_archive_store, open_inventory
from archive_lib.airflow_glue.signing import archive_signer
from archive_lib.errors import ConfigError, LifecycleRefusedError
from archive_lib.lifecycle.dispose import dispose

log = logging.getLogger(__name__)


def dispose_task() -> dict[str, Any]:
    """Carry out the run's decision; its result as the contract's JSON."""
    context = get_current_context()
    decision = str(context["params"].get("decision") or "").strip()
    if not decision:
        raise AirflowFailException("give the decision's id as the run's 'decision' parameter")
    dag_run = context["dag_run"]
    actor = getattr(dag_run, "triggering_user_name", None) or "airflow"
    store, inventory = open_archive_store(), open_inventory()
    try:
        signer = archive_signer(SETTINGS)
    except ConfigError as exc:
        raise AirflowFailException(str(exc)) from exc
    try:
        result = dispose(store, inventory, decision, actor=str(actor), signer=signer)
    except LifecycleRefusedError as exc:
        raise AirflowFailException(str(exc)) from exc
    log.info(
        "decision %s: %d objects disposed of, protocol %s", decision, len(result.objects), result.protocol_key
    )
    if result.refused:
        raise AirflowFailException(
            f"decision {decision}: {len(result.refused)} objects kept (legal hold or store lock), see"
            f" {result.protocol_key or 'the log'}"
        )
    return result.to_json()
