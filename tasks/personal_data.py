"""Prefect tasks for personal data: erase one person, apply retention. No retries: each runs in
one transaction per person and a second run finds the work done (an erased person stays erased).
"""

from __future__ import annotations

from datetime import datetime

from prefect import task

from creatorflow.services.creators import forget, retention
from tasks.runtime import run_service


@task(name="forget-person")
def forget_person_task(person: str, reason: str, as_of: datetime) -> forget.ForgetResult:
    """Erase ``person`` (EMAIL or PLATFORM:HANDLE): only keyed hashes stay."""
    return run_service(forget.forget_person, person=person, reason=reason, now=as_of)


@task(name="apply-retention")
def apply_retention_task(as_of: datetime) -> retention.RetentionResult:
    """Erase the contacts who never answered within CREATORFLOW_RETENTION_DAYS."""
    return run_service(retention.apply_retention, now=as_of)
