"""`creators export`: an access request's file holds everything the README says, as stored."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import Engine

from creatorflow.errors import InputError
from creatorflow.services.creators.export import export_person
from creatorflow.services.creators.forget import forget_person
from creatorflow.settings import Settings
from creatorflow.storage.db import engine_for
from tests.support.cli import run_main
from tests.support.personal_data import CHANNEL, EMAIL, HANDLE, NAME, OLD_EMAIL, TUBE, add_zoe
from tests.support.worlds import AS_OF, build_report_world

#: The sections README ("creatorflow creators export") promises, in the file's order.
SECTIONS = [
    "exported_at",
    "person",
    "accounts",
    "campaigns",
    "messages_received_unmatched",
    "other",
    "events",
    "suppressed",
]


def stored(engine: Engine, sql: str, **params: object) -> list[dict[str, object]]:
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(sa.text(sql), params)]


def test_export_of_a_live_person_round_trips_what_is_held(
    db_settings: Settings, tmp_path: Path
) -> None:
    engine = engine_for(db_settings.database_url)
    world = build_report_world(engine)
    zoe = add_zoe(engine, world.campaign_id)
    out = tmp_path / "zoe.json"

    result = export_person(engine=engine, person=f"youtube:{CHANNEL}", out=out, now=AS_OF)

    data = json.loads(out.read_text(encoding="utf-8"))
    assert list(data) == SECTIONS and result.creator_id == zoe.creator_id
    person = data["person"]
    assert (person["name"], person["email"], person["country"]) == (NAME, EMAIL, "IT")
    assert (person["source"], person["lawful_basis"]) == ("test", "legitimate-interest")
    accounts = {(a["platform"], a["handle"]): a for a in data["accounts"]}
    assert set(accounts) == {("instagram", HANDLE), ("youtube", TUBE)}
    assert accounts[("youtube", TUBE)]["external_id"] == CHANNEL
    assert [s["followers"] for s in accounts[("instagram", HANDLE)]["snapshots"]] == [41_000]
    (campaign,) = data["campaigns"]
    assert campaign["campaign"]["slug"] == "spring-glow" and campaign["stage"] == "posted"
    assert (campaign["fee"], campaign["promo_code"]) == ("250.00", "ZOE15")
    sent = stored(engine, "SELECT step, to_address, subject FROM outreach_messages "
                  "WHERE enrollment_id = :e ORDER BY id", e=zoe.enrollment_id)  # fmt: skip
    assert [
        {k: m[k] for k in ("step", "to_address", "subject")} for m in campaign["messages_sent"]
    ] == sent
    (received,) = campaign["messages_received"]
    assert (received["from_address"], received["classification"]) == (EMAIL, "reply")
    (post,) = campaign["posts"]
    assert HANDLE in post["caption"] and post["snapshots"][0]["views"] == 3000
    if "shipping_addresses" in stored_tables(engine):
        assert data["other"]["shipping_addresses"][0]["street"] == "Via Roma 17"
    kinds = [e["kind"] for e in data["events"]]
    assert {"stage_changed", "creator_updated", "suppressed"} <= set(kinds)
    held = stored(engine, "SELECT id FROM events WHERE creator_id = :c", c=zoe.creator_id)
    assert {e["id"] for e in held} <= {e["id"] for e in data["events"]}
    assert OLD_EMAIL in json.dumps(data)  # what the log says she changed is hers too
    assert data["suppressed"] is True


def stored_tables(engine: Engine) -> set[str]:
    return set(sa.inspect(engine).get_table_names())


def test_export_refuses_unknown_and_erased_people_and_writes_nothing(
    settings: Settings, tmp_path: Path
) -> None:
    engine = engine_for(settings.database_url)
    world = build_report_world(engine)
    add_zoe(engine, world.campaign_id)
    env = {"CREATORFLOW_DATABASE_URL": settings.database_url}
    env["CREATORFLOW_SECRET_KEY"] = "a-long-random-secret-for-the-test"
    out = tmp_path / "out.json"
    done = run_main("creators", "export", EMAIL, "--out", str(out), env=env)
    assert done.code == 0, done.err
    assert "2 accounts" in done.out and json.loads(out.read_text())["person"]["email"] == EMAIL

    forget_person(engine=engine, settings=settings, person=EMAIL, reason="asked", now=AS_OF,
                  actor="test")  # fmt: skip
    gone = tmp_path / "gone.json"
    refused = run_main("creators", "export", f"instagram:{HANDLE}", "--out", str(gone), env=env)
    assert refused.code != 0 and "nobody is held" in refused.err and not gone.exists()
    with pytest.raises(InputError, match="EMAIL or PLATFORM:HANDLE"):
        export_person(engine=engine, person="erased-1", out=gone, now=AS_OF)
    assert not gone.exists()
