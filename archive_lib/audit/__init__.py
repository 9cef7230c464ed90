"""The archivist's audit: completeness, fixity, retention and the 24-hour response rule.

:func:`run_audit` reads the store (it never writes or deletes anything) and returns an
:class:`AuditReport`; :mod:`.html` renders it for people, ``report.to_json()`` for machines.
``archivectl audit`` (:mod:`archive_lib.cli.audit`) and the ``audit_archive`` DAG are thin shells over
these.
"""

from archive_lib.audit.report import AuditReport, Period, Problem
from archive_lib.audit.run import AuditOptions, audit_period, run_audit

__all__ = ["AuditOptions", "AuditReport", "Period", "Problem", "audit_period", "run_audit"]
