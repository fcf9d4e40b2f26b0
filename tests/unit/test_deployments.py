"""prefect.yaml declares the deployments for `prefect deploy` and for `creatorflow serve` alike."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from creatorflow.deployments import DEPLOYMENTS, WORK_POOL, load_flow, spec
from creatorflow.errors import ConfigError

PREFECT_YAML = Path(__file__).resolve().parents[2] / "prefect.yaml"


def _yaml_deployments() -> list[dict[str, Any]]:
    return list(yaml.safe_load(PREFECT_YAML.read_text())["deployments"])


def test_each_deployment_names_the_flow_its_entrypoint_holds() -> None:
    """``serve`` and ``prefect deploy`` read the same prefect.yaml; the flow names must be right."""
    assert [d.full_name.split("/")[0] for d in DEPLOYMENTS] == [
        load_flow(d).name for d in DEPLOYMENTS
    ]
    assert {e["work_pool"]["name"] for e in _yaml_deployments()} == {WORK_POOL}


def test_a_schedule_and_folded_description_are_read_from_prefect_yaml() -> None:
    refresh = spec("refresh-creators/daily")
    assert (refresh.cron, refresh.timezone, refresh.tags) == ("0 5 * * *", "UTC", ("creators",))
    tracking = spec("track-campaigns/hourly").description
    assert tracking.startswith("Every hour: read the inbox") and "\n" not in tracking


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
