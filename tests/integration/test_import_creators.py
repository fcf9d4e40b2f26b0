"""Creator import against real databases: merging, idempotency, rejected rows and bad files."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from creatorflow.domain.tiers import TierRules
from creatorflow.errors import InputError
from creatorflow.services.creators.csv_file import write_rejects
from creatorflow.services.creators.importing import ImportConflict, ImportResult, import_creators
from creatorflow.storage.models import Account, Creator, Event

HEADER = "platform,handle,email,name,followers,country,niche\n"
CHANNEL_ID = "UCVHFbqXqoYvEWM1Ddxl0QDg"


def write(tmp_path: Path, text: str, name: str = "creators.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def run(engine: sa.Engine, path: Path, now: datetime, **kwargs: object) -> ImportResult:
    return import_creators(
        engine=engine,
        path=path,
        lawful_basis=str(kwargs.get("lawful_basis", "legitimate-interest")),
        tier_rules=TierRules.default(),
        now=now,
        actor="test:import",
    )


def counts(engine: sa.Engine) -> tuple[int, int, int]:
    with engine.connect() as conn:
        return tuple(  # type: ignore[return-value]
            conn.execute(sa.select(sa.func.count()).select_from(model)).scalar_one()
            for model in (Creator, Account, Event)
        )


def accounts(engine: sa.Engine) -> dict[tuple[str, str], sa.Row]:  # type: ignore[type-arg]
    query = sa.select(
        Account.platform,
        Account.handle,
        Account.followers,
        Account.tier,
        Account.creator_id,
        Account.external_id,
        Account.status,
    )
    with engine.connect() as conn:
        return {(r.platform, r.handle): r for r in conn.execute(query)}


def creators(engine: sa.Engine) -> dict[int, sa.Row]:  # type: ignore[type-arg]
    with engine.connect() as conn:
        return {r.id: r for r in conn.execute(sa.select(Creator))}


def test_import_normalises_tiers_and_records_source_and_lawful_basis(
    engine: sa.Engine, tmp_path: Path, now: datetime
) -> None:
    path = write(
        tmp_path,
        "\ufeffPlatform , HANDLE,Email,Name,Followers,Country,Niche,extra\n"
        'instagram,@Jane.Doe,Jane@Example.com,Jane  Doe,"12,500",us,Beauty,x\n'
        f"YouTube,{CHANNEL_ID},,,1.2M,,,\n"
        "tiktok,joe_123,,Joe,,,,\n",
    )
    result = run(engine, path, now, lawful_basis="consent")
    assert (result.created, result.updated, result.unchanged, result.rejected) == (3, 0, 0, [])
    assert result.creators_created == 3
    found = accounts(engine)
    jane = found[("instagram", "jane.doe")]
    assert (jane.followers, jane.tier, jane.status) == (12_500, "micro", "unverified")
    channel = found[("youtube", CHANNEL_ID)]
    assert (channel.followers, channel.tier, channel.external_id) == (1_200_000, "mega", CHANNEL_ID)
    joe = found[("tiktok", "joe_123")]
    assert (joe.followers, joe.tier) == (None, None)
    person = creators(engine)[jane.creator_id]
    assert (person.email, person.name, person.country, person.niche) == (
        "jane@example.com",
        "Jane Doe",
        "US",
        "beauty",
    )
    assert person.source == "creators.csv:2"
    assert person.lawful_basis == "consent"
    assert person.created_at == now


def test_reimporting_the_same_file_changes_nothing(
    engine: sa.Engine, tmp_path: Path, now: datetime
) -> None:
    path = write(
        tmp_path,
        HEADER + "instagram,jane,jane@example.com,Jane,12.5k,US,beauty\n"
        "tiktok,jane.t,jane@example.com,,9000,,\n"
        "instagram,@JANE,,,13k,,\n"  # same account again: the last count wins
        "youtube,solo,,Solo,,,\n",
    )
    first = run(engine, path, now)
    assert (first.created, first.updated, first.unchanged) == (3, 0, 0)
    before = counts(engine)
    with engine.connect() as conn:
        stamps = conn.execute(sa.select(Account.updated_at)).scalars().all()
    again = run(engine, path, now + timedelta(days=1))
    assert (again.created, again.updated, again.unchanged, again.rejected) == (0, 0, 3, [])
    assert counts(engine) == before
    with engine.connect() as conn:
        assert conn.execute(sa.select(Account.updated_at)).scalars().all() == stamps
    assert accounts(engine)[("instagram", "jane")].followers == 13_000


def test_same_email_merges_accounts_into_one_creator_within_a_file_and_across_imports(
    engine: sa.Engine, tmp_path: Path, now: datetime
) -> None:
    run(engine, write(tmp_path, HEADER + "instagram,mia,mia@example.com,Mia,5000,,\n"), now)
    second = write(
        tmp_path,
        HEADER + "tiktok,mia.tok,MIA@example.com,,20000,,food\n"
        "youtube,miatube,mia@example.com,,,,\n",
        name="more.csv",
    )
    result = run(engine, second, now)
    assert (result.created, result.updated, result.unchanged) == (2, 0, 0)
    assert result.creators_created == 0
    found = accounts(engine)
    owners = {found[k].creator_id for k in found}
    assert len(owners) == 1
    (person,) = creators(engine).values()
    assert person.niche == "food"  # filled in from the later file
    assert person.source == "creators.csv:2"  # where the person first came from


def test_changes_are_updates_with_events_and_empty_cells_erase_nothing(
    engine: sa.Engine, tmp_path: Path, now: datetime
) -> None:
    run(engine, write(tmp_path, HEADER + "instagram,ava,ava@example.com,Ava,9999,GB,travel\n"), now)
    later = now + timedelta(hours=1)
    result = run(engine, write(tmp_path, HEADER + "instagram,ava,,,10000,,\n", "b.csv"), later)
    assert (result.created, result.updated, result.unchanged) == (0, 1, 0)
    ava = accounts(engine)[("instagram", "ava")]
    assert (ava.followers, ava.tier) == (10_000, "micro")
    person = creators(engine)[ava.creator_id]
    assert (person.email, person.name, person.country) == ("ava@example.com", "Ava", "GB")
    with engine.connect() as conn:
        event = conn.execute(sa.select(Event).where(Event.kind == "account_updated")).one()
    assert event.detail["changes"] == {"followers": [9999, 10000], "tier": ["nano", "micro"]}
    assert event.detail["source"] == "b.csv:2"
    assert (event.actor, event.occurred_at, event.creator_id) == (
        "test:import",
        later,
        ava.creator_id,
    )

    renamed = run(engine, write(tmp_path, HEADER + "instagram,ava,,Ava Stone,,,\n", "c.csv"), later)
    assert (renamed.created, renamed.updated, renamed.unchanged) == (0, 1, 0)
    with engine.connect() as conn:
        kinds = conn.execute(sa.select(Event.kind).order_by(Event.id)).scalars().all()
    # each import that changed something is one creators_imported event, then its changes
    assert kinds == [
        "creators_imported",
        "creators_imported",
        "account_updated",
        "creators_imported",
        "creator_updated",
    ]


def test_an_import_is_one_event_and_a_known_creators_new_account_one_more(
    engine: sa.Engine, tmp_path: Path, now: datetime
) -> None:
    run(engine, write(tmp_path, HEADER + "instagram,leo,leo@example.com,,,,\n"), now)
    run(
        engine,
        write(tmp_path, HEADER + "tiktok,leo2,leo@example.com,,,,\ntiktok,kai,,,,,\n", "b.csv"),
        now,
    )
    with engine.connect() as conn:
        events = conn.execute(sa.select(Event).order_by(Event.id)).all()
    assert [(e.kind, e.entity) for e in events] == [
        ("creators_imported", "import"),
        ("creators_imported", "import"),
        ("account_created", "account"),  # a new account of a known creator
    ]
    found = accounts(engine)
    leo, kai = found[("instagram", "leo")].creator_id, found[("tiktok", "kai")].creator_id
    assert events[0].detail == {
        "source": "creators.csv",
        "lawful_basis": "legitimate-interest",
        "created": 1,
        "updated": 0,
        "unchanged": 0,
        "rejected": 0,
        "creators_created": 1,
        "creator_ids": [[leo, leo]],
    }
    assert events[1].detail["source"] == "b.csv"
    assert (events[1].detail["created"], events[1].detail["creator_ids"]) == (2, [[kai, kai]])
    assert [(e.entity_id, e.creator_id) for e in events[:2]] == [(None, None), (None, None)]
    assert events[2].detail["handle"] == "leo2" and events[2].detail["source"] == "b.csv:2"
    assert events[2].creator_id == leo
    assert all(e.actor == "test:import" and e.occurred_at == now for e in events)


BAD_ROWS = [
    ("myspace,tom,,,,,", "unknown platform 'myspace' (expected youtube, instagram, tiktok)"),
    (",tom,,,,,", "platform is empty"),
    ("instagram,,,,,,", "handle is empty"),
    ("instagram,tom smith,,,,,", "handle 'tom smith' has invalid characters"),
    ("tiktok,tom,not-an-email,,,,", "email 'not-an-email' must contain exactly one '@'"),
    ("tiktok,tom2,tom@localhost,,,,", "email 'tom@localhost' has an invalid domain"),
    ("tiktok,tom3,,,lots,,", "followers 'lots' is not a count"),
    ("tiktok,tom4,,,-5,,", "followers '-5' must not be negative"),
    ("tiktok,tom5,,,12,500,US,food", "8 fields but the header has 7 (an unquoted comma?"),
    ("tiktok,tom6,,", "4 fields but the header has 7"),
    ("tiktok,tom7,,,,USA,", "country 'USA' must be a two-letter ISO 3166 code"),
]


def test_each_bad_row_is_reported_with_file_line_and_reason_and_good_rows_imported(
    engine: sa.Engine, tmp_path: Path, now: datetime
) -> None:
    lines = [HEADER.strip(), "instagram,good_one,,,100,,"]
    lines += [row for row, _ in BAD_ROWS]
    lines += ["", "instagram,good_two,,,200,,"]  # a blank line is skipped, not rejected
    path = write(tmp_path, "\n".join(lines) + "\n")
    result = run(engine, path, now)
    assert (result.created, result.updated, result.unchanged) == (2, 0, 0)
    assert [(r.file, r.line) for r in result.rejected] == [
        (str(path), line) for line in range(3, 3 + len(BAD_ROWS))
    ]
    for rejected, (raw, message) in zip(result.rejected, BAD_ROWS, strict=True):
        assert message in rejected.reason
        assert rejected.raw == tuple(raw.split(","))
        assert rejected.describe().startswith(f"{path}:{rejected.line}: ")
    assert set(accounts(engine)) == {("instagram", "good_one"), ("instagram", "good_two")}


def test_rows_that_would_join_two_people_are_rejected(
    engine: sa.Engine, tmp_path: Path, now: datetime
) -> None:
    run(
        engine,
        write(
            tmp_path, HEADER + "instagram,zoe,zoe@example.com,,,,\ntiktok,ivy,ivy@example.com,,,,\n"
        ),
        now,
    )
    path = write(
        tmp_path,
        HEADER + "instagram,zoe,ivy@example.com,,,,\n"  # account of Zoe, email of Ivy
        "instagram,zoe,other@example.com,,,,\n"  # Zoe already has an email
        "youtube,new,fresh@example.com,,,,\n"
        "youtube,new,second@example.com,,,,\n",  # conflicts with the row above
        name="b.csv",
    )
    result = run(engine, path, now)
    reasons = {r.line: r.reason for r in result.rejected}
    assert reasons == {
        2: "email ivy@example.com belongs to another creator than instagram:zoe "
        "(one creator per email: fix the email or the handle)",
        3: "instagram:zoe belongs to a creator whose email is zoe@example.com, "
        "not other@example.com",
        5: "youtube:new belongs to a creator whose email is fresh@example.com, "
        "not second@example.com",
    }
    assert result.rejected[0].raw == ("instagram", "zoe", "ivy@example.com", "", "", "", "")
    assert (result.created, result.unchanged) == (1, 0)


def test_rejects_file_keeps_the_original_cells_with_line_and_reason(
    engine: sa.Engine, tmp_path: Path, now: datetime
) -> None:
    path = write(tmp_path, HEADER + "myspace,tom,,Tom,,,\ninstagram,ok,,,,,\n")
    result = run(engine, path, now)
    out = tmp_path / "rejects.csv"
    write_rejects(out, result.header, result.rejected)
    assert out.read_text(encoding="utf-8").splitlines() == [
        "platform,handle,email,name,followers,country,niche,rejected_line,rejected_reason",
        "myspace,tom,,Tom,,,,2,\"unknown platform 'myspace' (expected youtube, instagram, "
        'tiktok)"',
    ]


BAD_FILES = [
    ("latin1.csv", "platform,handle,name\ninstagram,jose,Jos\xe9\n", "latin-1",
     "not UTF-8 text (byte 0xe9 on line 2); save the file as UTF-8"),
    ("nohandle.csv", "Platform,Name\ninstagram,Jo\n", "utf-8",
     "missing required column(s) handle (header has: platform, name)"),
    ("noheader.csv", "", "utf-8", "the file is empty (expected a header row)"),
    ("blank.csv", "\n\n", "utf-8", "the file is empty (expected a header row)"),
    ("twice.csv", "platform,handle,Handle\n", "utf-8",
     "column 'handle' appears twice in the header"),
]  # fmt: skip


@pytest.mark.parametrize(("name", "text", "encoding", "message"), BAD_FILES)
def test_file_level_problems_are_one_error_naming_the_file_and_write_nothing(
    engine: sa.Engine, tmp_path: Path, now: datetime, name: str, text: str, encoding: str,
    message: str,
) -> None:  # fmt: skip
    run(engine, write(tmp_path, HEADER + "instagram,before,,,,,\n", "first.csv"), now)
    before = counts(engine)
    path = write(tmp_path, text, name, encoding)
    with pytest.raises(InputError) as caught:
        run(engine, path, now)
    assert str(caught.value) == f"{path}: {message}"
    assert counts(engine) == before


def test_unreadable_paths_are_input_errors(sqlite_url: str, tmp_path: Path, now: datetime) -> None:
    engine = sa.create_engine(sqlite_url)
    try:
        with pytest.raises(InputError, match="missing.csv: cannot read the file"):
            run(engine, tmp_path / "missing.csv", now)
        with pytest.raises(InputError, match="cannot read the file"):
            run(engine, tmp_path, now)
    finally:
        engine.dispose()


def test_a_header_only_file_imports_nothing(
    engine: sa.Engine, tmp_path: Path, now: datetime
) -> None:
    result = run(engine, write(tmp_path, HEADER), now)
    assert (result.created, result.updated, result.unchanged, result.rejected) == (0, 0, 0, [])
    assert counts(engine) == (0, 0, 0)


def test_quoted_newlines_keep_line_numbers_of_the_record_start(
    engine: sa.Engine, tmp_path: Path, now: datetime
) -> None:
    path = write(
        tmp_path,
        HEADER + 'instagram,multi,,"Line one\nline two",,,\nmyspace,after,,,,,\n',
    )
    result = run(engine, path, now)
    assert [(r.line, r.reason[:16]) for r in result.rejected] == [(4, "unknown platform")]
    (person,) = creators(engine).values()
    assert person.name == "Line one line two"


def test_a_conflict_while_writing_rolls_back_everything(
    sqlite_url: str, tmp_path: Path, now: datetime
) -> None:
    engine = sa.create_engine(sqlite_url)
    try:
        with engine.begin() as conn:  # stands in for a concurrent writer taking the same handle
            conn.exec_driver_sql(
                "CREATE TRIGGER taken BEFORE INSERT ON accounts WHEN NEW.handle = 'taken' "
                "BEGIN SELECT RAISE(ABORT, 'UNIQUE constraint failed: accounts.handle'); END"
            )
        path = write(tmp_path, HEADER + "instagram,first,,,,,\ninstagram,taken,,,,,\n")
        with pytest.raises(ImportConflict, match="nothing was written, run the import again"):
            run(engine, path, now)
        assert counts(engine) == (0, 0, 0)
    finally:
        engine.dispose()


def test_the_sqlite_page_cache_is_restored_after_an_import(
    sqlite_url: str, tmp_path: Path, now: datetime
) -> None:
    engine = sa.create_engine(sqlite_url, poolclass=sa.pool.StaticPool)
    try:
        with engine.connect() as conn:
            before = conn.exec_driver_sql("PRAGMA cache_size").scalar_one()
        run(engine, write(tmp_path, HEADER + "instagram,a,,,,,\n"), now)
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA cache_size").scalar_one() == before
    finally:
        engine.dispose()
