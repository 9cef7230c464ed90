"""Capture: one account's night (:mod:`.account`), the whole night (:mod:`.night`), the versioning
rule (:mod:`.versions`), completing interrupted runs (:mod:`.recovery`), and the scheduling facts a
night needs (tokens outside Airflow, platform pools, host order)."""
