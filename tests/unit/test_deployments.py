"""prefect.yaml (many machines) and creatorflow/deployments.py (`creatorflow serve`) must agree."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from creatorflow.deployments import DEPLOYMENTS, WORK_POOL, DeploymentSpec, spec
from creatorflow.errors import ConfigError

PREFECT_YAML = Path(__file__).resolve().parents[2] / "prefect.yaml"


def _yaml_deployments() -> list[dict[str, Any]]:
    return list(yaml.safe_load(PREFECT_YAML.read_text())["deployments"])


def _from_yaml(entry: dict[str, Any]) -> dict[str, Any]:
    schedules = entry.get("schedules") or []
    limit = entry.get("concurrency_limit") or {}
    return {
        "name": entry["name"],
        "entrypoint": entry["entrypoint"],
        "description": " ".join(entry["description"].split()),
        "cron": schedules[0]["cron"] if schedules else None,
        "timezone": schedules[0].get("timezone", "UTC") if schedules else "UTC",
        "concurrency_limit": limit.get("limit"),
        "collision_strategy": limit.get("collision_strategy"),
        "tags": tuple(entry.get("tags") or ()),
        "pool": entry["work_pool"]["name"],
    }


def _from_spec(deployment: DeploymentSpec) -> dict[str, Any]:
    return {
        "name": deployment.name,
        "entrypoint": deployment.entrypoint,
        "description": deployment.description,
        "cron": deployment.cron,
        "timezone": deployment.timezone,
        "concurrency_limit": deployment.concurrency_limit,
        "collision_strategy": deployment.collision_strategy,
        "tags": deployment.tags,
        "pool": WORK_POOL,
    }


def test_prefect_yaml_declares_the_same_deployments_as_serve() -> None:
    assert [_from_yaml(e) for e in _yaml_deployments()] == [_from_spec(d) for d in DEPLOYMENTS]


def test_public_deployment_names_exist() -> None:
    names = {d.full_name for d in DEPLOYMENTS}
    assert {
        "launch-campaign/manual",
        "track-campaigns/hourly",
        "refresh-creators/daily",
        "campaign-report/weekly",
        "respond/manual",
    } <= names


def test_tracking_runs_never_overlap_and_launches_are_never_scheduled() -> None:
    tracking = spec("track-campaigns/hourly")
    assert (tracking.concurrency_limit, tracking.collision_strategy) == (1, "CANCEL_NEW")
    assert spec("launch-campaign/manual").cron is None


def test_unknown_deployment_name_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="no deployment named 'nope/manual'"):
        spec("nope/manual")


def test_prefect_yaml_has_no_pull_step_with_a_machine_specific_path() -> None:
    """A clean clone anywhere deploys: `prefect deploy` records the clone's own root."""
    assert "pull" not in yaml.safe_load(PREFECT_YAML.read_text())
