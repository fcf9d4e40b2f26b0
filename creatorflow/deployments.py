"""Every Prefect deployment of creatorflow, declared once.

``creatorflow serve`` builds them from this table for ``serve()`` (one machine); prefect.yaml
declares the same ones for a process work pool (``prefect deploy --all``, many machines), and a test
keeps the two in step. Names are public (PRODUCT.md): operators and scripts run
``prefect deployment run 'launch-campaign/manual'``.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from creatorflow.errors import ConfigError

if TYPE_CHECKING:
    from prefect import Flow
    from prefect.deployments.runner import RunnerDeployment

WORK_POOL = "creatorflow"


@dataclass(frozen=True)
class DeploymentSpec:
    """One deployment: which flow, its name, its schedule and how runs may overlap."""

    flow: str  # the Prefect flow name, e.g. "launch-campaign"
    name: str  # the deployment name, e.g. "manual"
    entrypoint: str  # "flows/outreach.py:launch_campaign", relative to the project root
    description: str
    cron: str | None = None
    timezone: str = "UTC"
    concurrency_limit: int | None = None
    collision_strategy: str | None = None  # ENQUEUE or CANCEL_NEW
    tags: tuple[str, ...] = ()

    @property
    def full_name(self) -> str:
        return f"{self.flow}/{self.name}"

    @property
    def module(self) -> str:
        path, _ = self.entrypoint.split(":", 1)
        return path.removesuffix(".py").replace("/", ".")

    @property
    def function(self) -> str:
        return self.entrypoint.split(":", 1)[1]


DEPLOYMENTS: tuple[DeploymentSpec, ...] = (
    DeploymentSpec(
        flow="launch-campaign",
        name="manual",
        entrypoint="flows/outreach.py:launch_campaign",
        description="Launch a campaign: shortlist, approval form, first emails. Run by hand.",
        tags=("outreach",),
    ),
    DeploymentSpec(
        flow="track-campaigns",
        name="hourly",
        entrypoint="flows/tracking.py:track_campaigns",
        description=(
            "Every hour: read the inbox, send follow-ups and reminders, detect posts, poll "
            "engagement. One run at a time; a run that would overlap is cancelled."
        ),
        cron="0 * * * *",
        concurrency_limit=1,
        collision_strategy="CANCEL_NEW",
        tags=("tracking",),
    ),
    DeploymentSpec(
        flow="poll-engagement",
        name="manual",
        entrypoint="flows/tracking.py:poll_engagement",
        description=(
            "Only the engagement polling of tracking, by hand: catch up after a quota window. "
            "Runs may overlap; each post is claimed by one run."
        ),
        tags=("tracking",),
    ),
    DeploymentSpec(
        flow="refresh-creators",
        name="daily",
        entrypoint="flows/creators.py:refresh_creators_flow",
        description="Every day: refresh followers and recent posts of every account, re-tier.",
        cron="0 5 * * *",
        concurrency_limit=1,
        collision_strategy="CANCEL_NEW",
        tags=("creators",),
    ),
    DeploymentSpec(
        flow="campaign-report",
        name="weekly",
        entrypoint="flows/reporting.py:campaign_report",
        description="Every Monday: each active campaign's report (one per campaign and week).",
        cron="0 8 * * 1",
        tags=("reporting",),
    ),
    DeploymentSpec(
        flow="respond",
        name="manual",
        entrypoint="flows/replies.py:respond",
        description="Operator form: record a creator's answer (accepted with a fee, or declined).",
        tags=("operator",),
    ),
    DeploymentSpec(
        flow="submit-deliverable",
        name="manual",
        entrypoint="flows/tracking.py:submit_deliverable",
        description="Operator form: record a post a creator sent us by URL.",
        tags=("operator",),
    ),
)


def spec(full_name: str) -> DeploymentSpec:
    for candidate in DEPLOYMENTS:
        if candidate.full_name == full_name:
            return candidate
    raise ConfigError(f"no deployment named {full_name!r}")


def load_flow(deployment: DeploymentSpec) -> Flow[Any, Any]:
    """The flow object behind a deployment (the flows package must be importable)."""
    try:
        module = importlib.import_module(deployment.module)
    except ModuleNotFoundError as exc:
        raise ConfigError(f"{deployment.full_name}: cannot import {deployment.module}") from exc
    flow = getattr(module, deployment.function, None)
    if flow is None:
        raise ConfigError(f"{deployment.full_name}: {deployment.entrypoint} does not exist")
    return flow  # type: ignore[no-any-return]


def to_runner_deployment(deployment: DeploymentSpec) -> RunnerDeployment:
    """The deployment for ``serve()``: same name, schedule and concurrency as prefect.yaml."""
    from prefect.client.schemas.objects import ConcurrencyLimitConfig, ConcurrencyLimitStrategy
    from prefect.client.schemas.schedules import CronSchedule
    from prefect.types.entrypoint import EntrypointType

    limit: ConcurrencyLimitConfig | None = None
    if deployment.concurrency_limit is not None:
        limit = ConcurrencyLimitConfig(
            limit=deployment.concurrency_limit,
            collision_strategy=ConcurrencyLimitStrategy(deployment.collision_strategy or "ENQUEUE"),
        )
    schedules = (
        [CronSchedule(cron=deployment.cron, timezone=deployment.timezone)]
        if deployment.cron
        else None
    )
    return load_flow(deployment).to_deployment(  # type: ignore[return-value]
        name=deployment.name,
        schedules=schedules,
        concurrency_limit=limit,
        description=deployment.description,
        tags=list(deployment.tags),
        # flows.outreach.launch_campaign, imported from the installed package: serve works
        # from any directory.
        entrypoint_type=EntrypointType.MODULE_PATH,
    )


def serve_all(*, limit: int | None = None) -> None:
    """Serve every deployment with its schedule until interrupted (one machine).

    ``pause_on_shutdown=False``: stopping the process must not silently pause the schedules for the
    next start (prefect.md pitfall 4).
    """
    from prefect import serve

    serve(
        *(to_runner_deployment(d) for d in DEPLOYMENTS),
        pause_on_shutdown=False,
        limit=limit,
    )
