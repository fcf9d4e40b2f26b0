"""`campaign conversions`: attribution by utm_content or promo code, idempotent, clear errors."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from creatorflow.errors import InputError
from creatorflow.services.tracking.conversions import import_conversions
from creatorflow.storage.db import make_engine, session_scope
from creatorflow.storage.models import Conversion, Event
from tests.support.worlds import AS_OF, build_report_world

EXPORT = """Date,UTM_Content,Promo_Code,Clicks,Leads,Sales,Revenue
2027-02-20,ana,,12,2,1,"1,250.50"
2027-02-20,,DEE-CODE,3,1,0,
2027-02-21,ben,,30,0,0,
2027-02-21,nobody,,5,1,0,
2027-02-21,,NOPE,1,1,0,
2027-02-22,,ana10,0,1,1,20
2027-02-21,ben,,30,0,0,
"""


@pytest.fixture
def shop(db_url: str) -> Iterator[Engine]:
    """The report world without its conversions, dee with a promo code (SQLite and PostgreSQL)."""
    engine = make_engine(db_url)  # disposed after the test
    world = build_report_world(engine)
    with session_scope(engine) as s:  # the report world's conversions are not under test here
        s.query(Conversion).delete()
        from creatorflow.storage.models import Enrollment

        s.get(Enrollment, world.enrollments["dee"]).promo_code = "DEE-CODE"
    yield engine
    engine.dispose()


def _write(tmp_path: Path, text: str, name: str = "shop.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _totals(engine: Engine) -> tuple[int, int, int, int]:
    with session_scope(engine) as s:
        row = s.execute(
            select(
                func.count(),
                func.sum(Conversion.clicks),
                func.sum(Conversion.leads),
                func.sum(Conversion.sales),
            )
        ).one()
        return int(row[0]), int(row[1] or 0), int(row[2] or 0), int(row[3] or 0)


def test_rows_match_by_utm_content_or_promo_code_and_unknown_codes_are_reported(
    shop: Engine, tmp_path: Path
) -> None:
    path = _write(tmp_path, EXPORT)
    result = import_conversions(engine=shop, slug="spring-glow", path=path, now=AS_OF, actor="test")
    assert (result.imported, result.already) == (5, 0)
    assert result.unknown == [(5, "nobody"), (6, "NOPE")]
    # the duplicate ben row (line 8) is a second, distinct row of the same export
    assert _totals(shop) == (5, 12 + 3 + 30 + 0 + 30, 2 + 1 + 1, 2)
    with session_scope(shop) as s:
        ana = s.scalars(select(Conversion).where(Conversion.source == "shop.csv:2")).one()
        assert str(ana.revenue) == "1250.50" and ana.occurred_on.isoformat().startswith(
            "2027-02-20"
        )
        assert s.scalars(select(Event.kind).where(Event.kind == "conversions_imported")).all()


def test_importing_the_same_export_twice_adds_nothing(shop: Engine, tmp_path: Path) -> None:
    path = _write(tmp_path, EXPORT)
    import_conversions(engine=shop, slug="spring-glow", path=path, now=AS_OF, actor="test")
    again = import_conversions(
        engine=shop,
        slug="spring-glow",
        path=_write(tmp_path, EXPORT, "shop-copy.csv"),
        now=AS_OF,
        actor="test",
    )
    assert (again.imported, again.already) == (0, 5)
    assert _totals(shop)[0] == 5


def test_a_bad_row_names_file_line_and_column_and_stores_nothing(
    shop: Engine, tmp_path: Path
) -> None:
    bad = EXPORT.replace("2027-02-21,ben,,30,0,0,\n", "2027-02-21,ben,,thirty,0,0,\n", 1)
    path = _write(tmp_path, bad)
    with pytest.raises(InputError, match=r"shop\.csv:4: clicks: 'thirty' is not a count"):
        import_conversions(engine=shop, slug="spring-glow", path=path, now=AS_OF, actor="test")
    assert _totals(shop)[0] == 0


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", r"empty file"),
        ("clicks,leads\n1,2\n", r":1: needs a utm_content or promo_code column"),
        ("utm_content,visits\nana,1\n", r":1: unknown column\(s\) visits"),
        ("utm_content,clicks\nana,1,2\n", r":2: expected 2 fields, found 3"),
        ("utm_content,date\nana,20/02/2027\n", r":2: date: '20/02/2027' is not an ISO date"),
        ("utm_content,revenue\nana,-3\n", r":2: revenue: '-3' must be zero or more"),
    ],
)
def test_malformed_exports_are_rejected_with_the_place(
    shop: Engine, tmp_path: Path, text: str, message: str
) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(InputError, match=message):
        import_conversions(engine=shop, slug="spring-glow", path=path, now=AS_OF, actor="test")


@pytest.mark.parametrize(
    "data",
    [b"\xff\xfe\x00\x89PNG", b"utm_content,clicks\nana,1\nben,\xff\xfe\n"],
    ids=["binary-header", "binary-row"],
)
def test_a_binary_or_non_utf8_export_is_rejected_with_a_clear_message(
    shop: Engine, tmp_path: Path, data: bytes
) -> None:
    path = tmp_path / "shop.csv"
    path.write_bytes(data)
    with pytest.raises(InputError, match=r"shop\.csv: not UTF-8 text"):
        import_conversions(engine=shop, slug="spring-glow", path=path, now=AS_OF, actor="test")
    assert _totals(shop)[0] == 0
