"""Hostile values at the storage boundary, on SQLite and PostgreSQL: refused before the write.

NUL bytes (PostgreSQL refuses them in text, SQLite stores them), counts beyond 64 bits (both
refuse them) and a launch whose template fails for one creator (it used to leave the campaign
and its shortlist stored with no email sent).
"""

from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from creatorflow.domain.numbers import COUNT_MAX
from creatorflow.domain.tiers import TierRules
from creatorflow.errors import InputError
from creatorflow.services.creators.importing import import_creators
from creatorflow.services.outreach.launch import shortlist_campaign
from creatorflow.services.tracking.conversions import import_conversions
from creatorflow.settings import PROJECT_ROOT, Settings
from creatorflow.storage.models import Account, Conversion, Creator
from creatorflow.templating import TemplateError
from tests.support.builders import add_creators, enroll
from tests.support.campaigns import TRACKING_SPEC, make_spec, store_campaign
from tests.support.cli import dump_tables

HEADER = "platform,handle,email,name,followers,country,niche\n"


def _import(engine: Engine, path: Path, now: datetime) -> list[str]:
    result = import_creators(
        engine=engine,
        path=path,
        lawful_basis="legitimate-interest",
        tier_rules=TierRules.default(),
        now=now,
        actor="test",
    )
    return [row.describe() for row in result.rejected]


def test_nul_bytes_and_oversized_counts_reject_their_rows_and_the_rest_is_stored(
    engine: Engine, tmp_path: Path, now: datetime
) -> None:
    path = tmp_path / "c.csv"
    path.write_text(
        HEADER
        + "instagram,good,,Good,12.5k,,\n"
        + "instagram,nul,,Bad\x00Name,,,\n"
        + f"instagram,big,,,{2**64},,\n"
        + f"instagram,max,,,{COUNT_MAX},,\n",
        "utf-8",
    )
    rejected = _import(engine, path, now)
    assert [line.split(": ", 1)[1] for line in rejected] == [
        "name: contains a NUL byte (\\x00), which no text column can store",
        f"followers '{2**64}' is more than {COUNT_MAX:,}",
    ]
    with engine.connect() as conn:
        stored = dict(conn.execute(select(Account.handle, Account.followers)).all())
    assert stored == {"good": 12500, "max": COUNT_MAX}


def test_a_conversions_row_beyond_64_bits_or_with_a_nul_stores_nothing(
    engine: Engine, tmp_path: Path, now: datetime
) -> None:
    campaign = store_campaign(engine, make_spec(TRACKING_SPEC), now=now, launched=True)
    enroll(engine, campaign.id, ("instagram", "mia", None), now=now)
    for body, problem in (
        (f"mia,{2**63},0,0\n", "clicks: '9223372036854775808' is more than"),
        ("mia,1,0,0\nmi\x00a,1,0,0\n", ":3: utm_content: contains a NUL byte"),
    ):
        path = tmp_path / "v.csv"
        path.write_text("utm_content,clicks,leads,sales\n" + body, "utf-8")
        with pytest.raises(InputError, match=problem):
            import_conversions(engine=engine, slug="spring-glow", path=path, now=now, actor="t")
    path.write_text(f"utm_content,clicks,leads,sales\nmia,{COUNT_MAX},0,0\n", "utf-8")
    import_conversions(engine=engine, slug="spring-glow", path=path, now=now, actor="t")
    with engine.connect() as conn:
        assert conn.execute(select(func.sum(Conversion.clicks))).scalar_one() == COUNT_MAX


def test_a_launch_whose_first_email_fails_for_one_creator_stores_nothing(
    engine: Engine, settings: Settings, tmp_path: Path, now: datetime
) -> None:
    add_creators(engine, now, 5)
    folder = tmp_path / "templates"
    shutil.copytree(PROJECT_ROOT / "templates", folder)
    (folder / "outreach" / "default" / "initial.txt.j2").write_text(
        'Hi {{ creator.name }}\n{% if creator.handle == "creator0003" %}{{ 1 / 0 }}{% endif %}\n'
    )
    spec = make_spec(selection={"tiers": {"micro": 5}}, offer={"micro": 100}, budget=1000)
    before = dump_tables(engine)
    with pytest.raises(TemplateError, match=r"initial\.txt\.j2:2: ZeroDivisionError.*creator0003"):
        shortlist_campaign(
            engine=engine,
            settings=settings.model_copy(update={"templates_dir": folder}),
            spec=spec,
            now=now,
            actor="test",
        )
    assert dump_tables(engine) == before
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(Creator)).scalar_one() == 5

    result = shortlist_campaign(engine=engine, settings=settings, spec=spec, now=now, actor="t")
    assert len(result.picks) == 5  # with working templates the same launch goes through
