"""The reminder days are campaign-file settings: settable, documented, defaulted in one place."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from creatorflow.domain.campaign import CampaignSpec
from creatorflow.errors import ConfigError, InputError
from creatorflow.services.tracking.reminders import reminder_step
from creatorflow.storage.campaigns import load_campaign_file, spec_digest, stored_spec
from creatorflow.storage.models import Campaign

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "config" / "campaigns" / "spring-glow.yaml"


def example() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    return data


def write(tmp_path: Path, data: object) -> Path:
    path = tmp_path / "campaign.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def test_the_overdue_reminder_days_can_be_set_in_the_campaign_file(tmp_path: Path) -> None:
    data = example()
    data["deliverables"]["reminder_days_overdue"] = [1, 5]
    spec = load_campaign_file(write(tmp_path, data))
    assert spec.deliverables.reminder_days_overdue == [1, 5]


def test_the_example_file_and_the_readme_document_the_overdue_days() -> None:
    assert "reminder_days_overdue" in example()["deliverables"]
    assert load_campaign_file(EXAMPLE).deliverables.reminder_days_overdue == [1]
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("### The campaign file", 1)[1].split("\n### ", 1)[0]
    assert "`reminder_days_overdue`" in section and "`reminder_days_before`" in section


def test_without_a_deliverables_section_the_schema_defaults_apply(tmp_path: Path) -> None:
    data = example()
    del data["deliverables"], data["tracking"]
    spec = load_campaign_file(write(tmp_path, data))
    assert spec.deliverables.reminder_days_before == [2]
    assert spec.deliverables.reminder_days_overdue == [1]
    # polling ends 14 days after the last instant of the window (2027-04-30, UTC)
    assert spec.tracking_ends() == datetime(2027, 5, 14, 23, 59, 59, 999999, tzinfo=UTC)
    assert spec.terms().window_start == datetime(2027, 3, 15, tzinfo=UTC)


@pytest.mark.parametrize(
    ("deliverables", "message"),
    [
        ({"reminder_days_overdue": [-1]}, "deliverables.reminder_days_overdue[0]: Input should be"),
        ({"reminder_days_overdue": "soon"}, "deliverables.reminder_days_overdue: Input should be"),
        ({"reminders": {"overdue": [2]}}, "deliverables.reminders: Extra inputs are not permitted"),
        ({"days_overdue": [2]}, "deliverables.days_overdue: Extra inputs are not permitted"),
    ],
)
def test_bad_or_guessed_reminder_keys_are_errors_naming_the_field(
    tmp_path: Path, deliverables: dict[str, Any], message: str
) -> None:
    data = example()
    data["deliverables"] = {**data["deliverables"], **deliverables}
    with pytest.raises(InputError, match=re.escape(message)):
        load_campaign_file(write(tmp_path, data))


def test_a_file_without_the_new_key_keeps_the_digest_it_was_launched_with(tmp_path: Path) -> None:
    """Campaigns launched before ``reminder_days_overdue`` existed still match their file."""
    spec = load_campaign_file(EXAMPLE)
    before = spec.model_dump(mode="json")
    del before["deliverables"]["reminder_days_overdue"]
    canonical = json.dumps(before, sort_keys=True, separators=(",", ":"))
    assert spec_digest(spec) == hashlib.sha256(canonical.encode()).hexdigest()
    data = example()
    data["deliverables"]["reminder_days_overdue"] = [1, 5]
    assert spec_digest(load_campaign_file(write(tmp_path, data))) != spec_digest(spec)


def test_a_stored_campaign_that_no_longer_validates_names_the_campaign() -> None:
    data = load_campaign_file(EXAMPLE).model_dump(mode="json")
    data["deliverables"]["reminders"] = {"days_overdue": [2]}
    row = Campaign(slug="spring-glow", spec=data)
    with pytest.raises(ConfigError) as caught:
        stored_spec(row)
    assert str(caught.value) == (
        "campaign 'spring-glow': the stored campaign no longer validates (stored by another "
        "creatorflow version?): deliverables.reminders: Extra inputs are not permitted"
    )
    assert stored_spec(Campaign(slug="spring-glow", spec=data | {"deliverables": {}})) == (
        CampaignSpec.model_validate(data | {"deliverables": {}})
    )


def test_overdue_days_1_and_5_each_apply_from_their_day() -> None:
    due = datetime(2027, 3, 20, 12, tzinfo=UTC)

    def step(day: float) -> str | None:
        at = due + timedelta(days=day)
        return reminder_step(due, now=at, days_before=[], days_overdue=[1, 5])

    assert [step(d) for d in (-1, 0.5, 1, 4.9, 5, 30)] == [
        None,
        None,
        "reminder_overdue_1",
        "reminder_overdue_1",
        "reminder_overdue_5",
        "reminder_overdue_5",
    ]
