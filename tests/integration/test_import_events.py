"""The event an import leaves: one ``creators_imported`` per import that changed something.

It replaced one ``creator_created`` event per new creator (issue 20: at 100,000 rows the event
log was a third of the import's writes); it names the file, the lawful basis, the counts and
the created creator ids as ranges, and no person, so a person's export and erasure leave it be.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

from creatorflow.domain.tiers import TierRules
from creatorflow.services.creators.export import export_person
from creatorflow.services.creators.forget import forget_person
from creatorflow.services.creators.importing import ImportResult, id_ranges, import_creators
from creatorflow.settings import Settings
from creatorflow.storage.db import engine_for
from creatorflow.storage.models import Creator, Event

HEADER = "platform,handle,email,name,followers,country,niche\n"


def run(engine: sa.Engine, tmp_path: Path, text: str, now: datetime, name: str) -> ImportResult:
    path = tmp_path / name
    path.write_text(HEADER + text, encoding="utf-8")
    return import_creators(
        engine=engine,
        path=path,
        lawful_basis="consent",
        tier_rules=TierRules.default(),
        now=now,
        actor="test:import",
    )


def import_events(engine: sa.Engine) -> list[dict[str, object]]:
    with engine.connect() as conn:
        query = sa.select(Event.detail).where(Event.kind == "creators_imported")
        return list(conn.execute(query.order_by(Event.id)).scalars())


def test_id_ranges_are_the_runs_of_consecutive_ids() -> None:
    assert id_ranges([]) == []
    assert id_ranges([4]) == [[4, 4]]
    assert id_ranges([1, 2, 3]) == [[1, 3]]
    assert id_ranges([9, 1, 2, 3, 7, 8]) == [[1, 3], [7, 9]]


def test_one_event_holds_the_counts_and_the_created_ids_and_no_change_writes_none(
    engine: sa.Engine, tmp_path: Path, now: datetime
) -> None:
    rows = (
        "instagram,ava,ava@example.com,Ava,900,,\n"
        "tiktok,ava.t,ava@example.com,,,,\n"  # Ava's second account: one creator, two accounts
        "youtube,ben,,Ben,,,\n"
        "myspace,bad,,,,,\n"  # rejected while parsing
        "tiktok,ben,ava@example.com,,,,\n"  # a third account of Ava's (by her address)
        "youtube,ben,ava@example.com,,,,\n"  # rejected while merging: Ben's account, Ava's address
    )
    first = run(engine, tmp_path, rows, now, "first.csv")
    assert (first.created, first.creators_created, len(first.rejected)) == (4, 2, 2)
    with engine.connect() as conn:
        ids = sorted(conn.execute(sa.select(Creator.id)).scalars())
        total = conn.execute(sa.select(sa.func.count()).select_from(Event)).scalar_one()
    assert total == 1  # the import's event only: its creators have none each
    assert import_events(engine) == [
        {
            "source": "first.csv",
            "lawful_basis": "consent",
            "created": 4,
            "updated": 0,
            "unchanged": 0,
            "rejected": 2,
            "creators_created": 2,
            "creator_ids": id_ranges(ids),
        }
    ]

    again = run(engine, tmp_path, rows, now + timedelta(hours=1), "first.csv")
    assert (again.created, again.updated) == (0, 0)
    assert len(import_events(engine)) == 1  # nothing changed: nothing to record

    run(engine, tmp_path, "instagram,ava,,,1200,,\n", now + timedelta(hours=2), "second.csv")
    update = import_events(engine)[-1]
    assert (update["source"], update["updated"], update["unchanged"]) == ("second.csv", 1, 0)
    assert (update["creators_created"], update["creator_ids"]) == (0, [])


def test_the_import_event_is_no_persons_so_export_and_erasure_leave_it(
    db_settings: Settings, tmp_path: Path, now: datetime
) -> None:
    engine = engine_for(db_settings.database_url)
    run(engine, tmp_path, "instagram,zoe,zoe@example.com,Zoe Park,,,\n", now, "creators.csv")
    (before,) = import_events(engine)

    out = tmp_path / "zoe.json"
    export_person(engine=engine, person="zoe@example.com", out=out, now=now)
    assert json.loads(out.read_text(encoding="utf-8"))["events"] == []

    forget_person(engine=engine, settings=db_settings, person="zoe@example.com", reason="asked",
                  now=now, actor="test")  # fmt: skip
    assert import_events(engine) == [before]
    assert "zoe" not in json.dumps(before).lower()


def test_event_details_are_the_exact_json_text_json_dumps_writes(
    engine: sa.Engine, tmp_path: Path, now: datetime
) -> None:
    # details are stored as the text given (never encoded twice): quotes, backslashes and
    # non-ASCII in the file name and lawful basis must come out exactly as json.dumps has them
    name = 'créateurs "q3" \\ back.csv'
    path = tmp_path / name
    path.write_text(HEADER + "instagram,leo,,,,,\nyoutube,leo,leo@example.com,,,,\n", "utf-8")
    import_creators(
        engine=engine,
        path=path,
        lawful_basis='consent "opt-in" ✓',
        tier_rules=TierRules.default(),
        now=now,
        actor="test:import",
    )
    with engine.connect() as conn:
        texts = conn.execute(sa.text("SELECT CAST(detail AS TEXT) FROM events ORDER BY id"))
        details = [text for (text,) in texts]
    (detail,) = [json.loads(text) for text in details]
    assert (detail["source"], detail["lawful_basis"]) == (name, 'consent "opt-in" ✓')
    assert (detail["created"], detail["creators_created"]) == (2, 2)
    assert details == [json.dumps(json.loads(text)) for text in details]
