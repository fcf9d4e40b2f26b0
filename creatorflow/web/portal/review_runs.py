"""Starting the ``review-draft`` run of a submitted draft, from the web process.

The portal asks the Prefect API to run the ``review-draft/manual`` deployment (``timeout=0``:
the run is created and left to a worker or ``creatorflow serve``). When the API cannot be
reached the draft stays ``submitted`` and the failure is logged; the operator starts the review
with ``prefect deployment run review-draft/manual -p draft_id=N`` (README, "Creator portal").
"""

from __future__ import annotations

import logging
from collections.abc import Callable

ReviewStarter = Callable[[int], None]
DEPLOYMENT = "review-draft/manual"
log = logging.getLogger(__name__)


def start_review_deployment(draft_id: int) -> None:
    from prefect.deployments import run_deployment

    try:
        run = run_deployment(name=DEPLOYMENT, parameters={"draft_id": draft_id}, timeout=0)
    except Exception as exc:  # the API down or no deployment: the draft waits, logged
        log.warning("draft %s: could not start %s (%s)", draft_id, DEPLOYMENT, type(exc).__name__)
        return
    log.info("draft %s: review run %s started", draft_id, getattr(run, "id", "?"))
