"""Every Prefect deployment of creatorflow, declared once: in prefect.yaml.

``prefect deploy --all`` reads that file for a process work pool (many machines); ``creatorflow
serve`` reads the same file and builds the same deployments for ``serve()`` (one machine), so the
two cannot drift apart. Names are public (PRODUCT.md): operators and scripts run
``prefect deployment run 'launch-campaign/manual'``.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from creatorflow.errors import ConfigError
from creatorflow.settings import PROJECT_ROOT
from creatorflow.yaml_files import read_yaml

if TYPE_CHECKING:
    from prefect import Flow
    from prefect.deployments.runner import RunnerDeployment

WORK_POOL = "creatorflow"
PREFECT_YAML = PROJECT_ROOT / "prefect.yaml"


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


def _deployment(entry: Mapping[str, Any]) -> DeploymentSpec:
    """One ``deployments:`` entry of prefect.yaml (its first schedule; prefect.yaml has one)."""
    schedule = (entry.get("schedules") or [{}])[0]
    overlap = entry.get("concurrency_limit") or {}
    return DeploymentSpec(
        flow=entry["flow_name"],
        name=entry["name"],
        entrypoint=entry["entrypoint"],
        description=" ".join(entry["description"].split()),  # a folded YAML block: one line
        cron=schedule.get("cron"),
        timezone=schedule.get("timezone", "UTC"),
        concurrency_limit=overlap.get("limit"),
        collision_strategy=overlap.get("collision_strategy"),
        tags=tuple(entry.get("tags") or ()),
    )


def load_deployments(path: Path = PREFECT_YAML) -> tuple[DeploymentSpec, ...]:
    """The deployments prefect.yaml declares, for ``serve()`` and for lookups by name."""
    data = read_yaml(path, what="Prefect deployment file", error=ConfigError)
    try:
        return tuple(_deployment(entry) for entry in data["deployments"])
    except (KeyError, TypeError, IndexError):
        raise ConfigError(
            f"{path}: each deployment needs flow_name, name, entrypoint and description"
        ) from None


DEPLOYMENTS = load_deployments()


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
