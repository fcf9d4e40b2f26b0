"""Defects found in the review of issues 14, 16-19 (service level, SQLite)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from creatorflow.services.creators import forget as forget_module
from creatorflow.services.creators.forget import forget_person
from creatorflow.services.portal.drafts import submit_draft
from creatorflow.services.portal.links import check_link, issue_link, portal_key
from creatorflow.settings import Settings
from creatorflow.storage.db import engine_for, session_scope
from creatorflow.storage.models import Draft, ErasedIdentity
from tests.support.builders import add_account, contacted
from tests.support.cli import run_main
from tests.support.worlds import T0


def test_forgetting_an_erased_person_again_says_so_and_adds_nothing(settings: Settings) -> None:
    engine = engine_for(settings.database_url)
    person = {"name": "Rita Vale", "email": "rita@creators.example"}
    with session_scope(engine) as s:
        add_account(s, platform="instagram", handle="rita.vale", now=T0, creator=person)

    def forget(who: str, days: int) -> str:
        return forget_person(
            engine=engine,
            settings=settings,
            person=who,
            reason="asked",
            now=T0 + timedelta(days=days),
            actor="test",
        ).summary()

    def hashes() -> int:
        with session_scope(engine) as s:
            return s.scalar(select(func.count()).select_from(ErasedIdentity)) or 0

    assert forget("rita@creators.example", 1).startswith("erased creator #")
    held = hashes()
    for again in ("RITA@creators.example", "instagram:rita.vale"):
        summary = forget(again, 2)
        assert summary.startswith("already erased"), summary
        assert "never imported" not in summary
    assert hashes() == held
    # someone never held is still remembered, and told so
    assert "never imported" in forget("nobody@creators.example", 3)
    assert hashes() == held + 1


def test_forget_deletes_only_the_mail_copies_to_that_exact_address(settings: Settings) -> None:
    engine = engine_for(settings.database_url)
    with session_scope(engine) as s:
        add_account(
            s, platform="tiktok", handle="ann.k", now=T0, creator={"email": "ann@mail.example"}
        )
    outbox = Path(settings.mail_url.get_secret_value().removeprefix("maildir://")) / "new"
    outbox.mkdir(parents=True)
    mails = {
        "ann.eml": "To: Ann <ANN@mail.example>\r\nSubject: hi\r\n\r\nhello",
        "joann.eml": "To: joann@mail.example\r\nSubject: hi\r\n\r\nhello",
        "ann-co.eml": "To: ann@mail.example.co\r\nSubject: hi\r\n\r\nhello",
        "dot-ann.eml": "To: jo.ann@mail.example\r\n\r\nhello",
    }
    for name, text in mails.items():
        (outbox / name).write_text(text)

    result = forget_person(
        engine=engine,
        settings=settings,
        person="ann@mail.example",
        reason="asked",
        now=T0,
        actor="test",
    )

    assert result.mail_files == 1
    assert sorted(p.name for p in outbox.iterdir()) == ["ann-co.eml", "dot-ann.eml", "joann.eml"]


def test_a_failed_erasure_keeps_the_draft_file_and_a_done_one_deletes_it(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = settings.model_copy(
        update={"portal_base_url": "https://portal.example", "upload_dir": tmp_path / "drafts"}
    )
    engine = engine_for(settings.database_url)
    (kai,) = contacted(engine, T0, "kai.films")
    link = issue_link(
        engine=engine,
        settings=settings,
        campaign_slug="spring-glow",
        creator="instagram:kai.films",
        now=T0,
        actor="test",
    )
    token = link.url.rsplit("/", 1)[1]
    access = check_link(engine=engine, key=portal_key(settings), token=token, now=T0)
    assert access.enrollment_id == kai.enrollment_id
    jpeg = b"\xff\xd8\xff\xe0" + b"\x00" * 64
    draft = submit_draft(engine=engine, settings=settings, access=access, now=T0, content=jpeg)
    with session_scope(engine) as s:
        stored = s.get(Draft, draft.draft_id)
        assert stored is not None and stored.path
        upload = settings.upload_dir / stored.path
    assert upload.read_bytes() == jpeg

    def erase() -> None:
        forget_person(
            engine=engine,
            settings=settings,
            person="instagram:kai.films",
            reason="asked",
            now=T0 + timedelta(days=1),
            actor="test",
        )

    def failing(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the database went away")

    with monkeypatch.context() as patched:
        patched.setattr(forget_module, "remember", failing)  # after the erasers ran
        with pytest.raises(RuntimeError):
            erase()
    assert upload.read_bytes() == jpeg  # rolled back: the draft row still names its file
    with session_scope(engine) as s:
        assert s.get(Draft, draft.draft_id).path == stored.path  # type: ignore[union-attr]

    erase()
    assert not upload.exists()


def test_an_import_with_only_an_unnamed_extra_column_says_so_plainly(
    sqlite_url: str, tmp_path: Path
) -> None:
    path = tmp_path / "creators.csv"
    path.write_text("platform,handle,,email\ninstagram,zz.top,x,zz@example.com\n")
    result = run_main("creators", "import", str(path), env={"CREATORFLOW_DATABASE_URL": sqlite_url})
    assert result.code == 0
    assert result.err.splitlines() == [f"{path}: ignoring unnamed column 3"]
