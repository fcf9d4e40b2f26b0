"""The campaign file: the example loads, and every mistake names the file and the field."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from creatorflow.domain.model import Tier
from creatorflow.errors import InputError
from creatorflow.storage.campaigns import load_campaign_file, spec_digest

EXAMPLE = Path(__file__).resolve().parents[2] / "config" / "campaigns" / "spring-glow.yaml"


def write(tmp_path: Path, data: object) -> Path:
    path = tmp_path / "campaign.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def example() -> dict:
    return yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))


def test_the_example_campaign_loads_with_every_section() -> None:
    spec = load_campaign_file(EXAMPLE)
    assert spec.slug == "spring-glow"
    assert spec.selection.tiers == {Tier.NANO: 10, Tier.MICRO: 15, Tier.MID: 3}
    assert spec.outreach.follow_up_days == [3, 7] and spec.outreach.finish_day() == 14
    assert spec.hashtags == ["springglow", "lumenpartner"] and spec.mentions == ["lumenskincare"]
    assert spec.deliverables.reminder_days_before == [3, 1]
    assert spec.report.recipients == ["marketing@lumen.example"]
    assert spec.landing_url == "https://lumen.example/spring" and spec.promo_codes is True
    assert spec.planned_spend() <= spec.budget


def test_every_error_names_the_file_and_the_field_path(tmp_path: Path) -> None:
    data = example()
    data["selection"]["tiers"]["giant"] = 2
    data["outreach"]["send_window"]["timezone"] = "Mars/Olympus"
    data["report"]["recipients"] = ["not-an-address"]
    del data["brand"]
    data["colour"] = "pink"
    path = write(tmp_path, data)
    with pytest.raises(InputError) as caught:
        load_campaign_file(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: ")
    for expected in (
        "brand: Field required",
        "selection.tiers.giant (as a key)",
        "outreach.send_window.timezone: unknown time zone 'Mars/Olympus'",
        "report.recipients: 'not-an-address' is not an email address",
        "colour: Extra inputs are not permitted",
    ):
        assert expected in message


def test_offers_times_counts_must_fit_the_budget(tmp_path: Path) -> None:
    data = example()
    data["offer"]["mid"] = 5000
    with pytest.raises(InputError, match="budget: offers x creators wanted come to 22500 USD"):
        load_campaign_file(write(tmp_path, data))


def test_every_wanted_tier_needs_an_offer(tmp_path: Path) -> None:
    data = example()
    del data["offer"]["mid"]
    with pytest.raises(InputError, match="no offer for wanted tier"):
        load_campaign_file(write(tmp_path, data))


def test_follow_up_days_must_increase(tmp_path: Path) -> None:
    data = example()
    data["outreach"]["follow_up_days"] = [7, 3]
    with pytest.raises(InputError, match="outreach.follow_up_days: days must increase"):
        load_campaign_file(write(tmp_path, data))


def test_broken_yaml_and_missing_files_are_reported_plainly(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("slug: x\nselection: [unclosed\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"bad.yaml: not valid YAML at line \d"):
        load_campaign_file(bad)
    with pytest.raises(InputError, match="no such campaign file"):
        load_campaign_file(tmp_path / "missing.yaml")


def test_the_digest_ignores_formatting_but_not_content(tmp_path: Path) -> None:
    data = example()
    same = load_campaign_file(write(tmp_path, data))
    assert spec_digest(same) == spec_digest(load_campaign_file(EXAMPLE))
    data["budget"] = 13000
    assert spec_digest(load_campaign_file(write(tmp_path, data))) != spec_digest(same)


def test_a_binary_campaign_file_is_reported_plainly(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_bytes(b"\x00\x01\xff\xfe\x89PNG")
    with pytest.raises(InputError, match=r"c\.yaml: not UTF-8 text"):
        load_campaign_file(path)


@pytest.mark.parametrize("field", ["name", "brand"])
@pytest.mark.parametrize("value", ["Spring\nBcc: someone@else.example", "Spring Glow\n"])
def test_name_and_brand_must_be_one_line_since_they_go_into_subjects(
    tmp_path: Path, field: str, value: str
) -> None:
    data = example()
    data[field] = value
    with pytest.raises(InputError, match=rf"{field}: .*must be one line"):
        load_campaign_file(write(tmp_path, data))
