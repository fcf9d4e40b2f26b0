"""Report outputs: reproducible bytes, escaping, the email, one report per period, Chromium."""

from __future__ import annotations

import mailbox
import shutil
import subprocess
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest
from pydantic import SecretStr
from sqlalchemy import Engine, select

from creatorflow.domain.metrics import DEFINITIONS_VERSION
from creatorflow.mail.errors import MailError
from creatorflow.services.reporting.reports import build_report, send_report, write_report
from creatorflow.settings import Settings
from creatorflow.storage.db import make_engine, session_scope
from creatorflow.storage.models import Event, Report
from tests.integration.smtpd import RecordingHandler, start_smtpd
from tests.support.servers import free_port
from tests.support.worlds import AS_OF, HOSTILE, at, build_report_world

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture
def world_engine(settings: Settings) -> Iterator[Engine]:
    engine = make_engine(settings.database_url)  # not the cached one: disposed after the test
    build_report_world(engine, recipients=["marketing@lumen.example", "cmo@lumen.example"])
    yield engine
    engine.dispose()


@pytest.fixture
def smtp(settings: Settings) -> Iterator[tuple[RecordingHandler, Settings]]:
    handler = RecordingHandler()
    controller = start_smtpd(handler)
    try:
        yield (
            handler,
            settings.model_copy(
                update={"mail_url": SecretStr(f"smtp://127.0.0.1:{controller.port}")}
            ),
        )
    finally:
        controller.stop()


def test_rerun_for_the_same_inputs_is_byte_identical(
    world_engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    first = build_report(engine=world_engine, settings=settings, slug="spring-glow", as_of=AS_OF)
    second = build_report(engine=world_engine, settings=settings, slug="spring-glow", as_of=AS_OF)
    assert first.html_email == second.html_email
    assert first.html_files == second.html_files
    assert first.csv == second.csv and first.text == second.text
    assert [c.png for c in first.charts] == [c.png for c in second.charts]
    one = write_report(first, tmp_path / "one")
    two = write_report(second, tmp_path / "two")
    assert [p.name for p in one] == [
        "report.html",
        "report.txt",
        "creators.csv",
        "engagements-over-time.png",
        "funnel.png",
        "top-creators.png",
    ]
    for a, b in zip(one, two, strict=True):
        assert a.read_bytes() == b.read_bytes(), a.name
    assert b"Software" not in one[3].read_bytes()  # no matplotlib version in the PNG
    # a later moment is a different report
    later = build_report(engine=world_engine, settings=settings, slug="spring-glow", as_of=at(3, 2))
    assert later.csv != first.csv and later.html_files != first.html_files


def test_footer_names_the_definitions_and_price_table_versions(
    world_engine: Engine, settings: Settings
) -> None:
    report = build_report(engine=world_engine, settings=settings, slug="spring-glow", as_of=AS_OF)
    for text in (report.html_email, report.text, report.markdown):
        assert DEFINITIONS_VERSION in text and "emv-2026-01" in text
    assert "2027-03-01 09:00 UTC" in report.html_email
    assert report.period == "2027-W09"


def test_hostile_creator_name_is_escaped_in_every_html_and_markdown_output(
    world_engine: Engine, settings: Settings
) -> None:
    report = build_report(engine=world_engine, settings=settings, slug="spring-glow", as_of=AS_OF)
    for html in (report.html_email, report.html_files):
        assert HOSTILE not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
        assert "<script" not in html.lower()
    assert HOSTILE not in report.markdown
    assert HOSTILE in report.csv  # plain data, quoted by the csv module; no formula prefix needed
    assert HOSTILE in report.text  # text/plain is never interpreted as markup


def test_csv_has_one_row_per_creator_with_fixed_decimal_places(
    world_engine: Engine, settings: Settings
) -> None:
    report = build_report(engine=world_engine, settings=settings, slug="spring-glow", as_of=AS_OF)
    lines = report.csv.splitlines()
    assert lines[0].startswith("tier,platform,handle,name,stage,followers,posts,posts_live,views")
    assert len(lines) == 1 + 7
    ana = next(line for line in lines if ",ana," in line).split(",")
    header = lines[0].split(",")
    row = dict(zip(header, ana, strict=True))
    assert row["engagements"] == "281" and row["views_unknown"] == "1"
    assert row["er_followers"] == "0.017562"  # 281 / 16,000 = 0.0175625, half-even
    assert row["cost"] == "100.00" and row["cpe"] == "0.3559" and row["cpv"] == ""
    assert row["cost_per_lead"] == "25.00" and row["emv"] == "178.60"


def _parts(msg: EmailMessage) -> list[str]:
    return [part.get_content_type() for part in msg.walk()]


def test_report_email_goes_out_once_per_period_even_when_sent_twice(
    world_engine: Engine, smtp: tuple[RecordingHandler, Settings]
) -> None:
    handler, settings = smtp
    report = build_report(engine=world_engine, settings=settings, slug="spring-glow", as_of=AS_OF)
    first = send_report(
        engine=world_engine, settings=settings, report=report, now=AS_OF, actor="test"
    )
    # the schedule fires again later the same week: same period, nothing sent
    again = build_report(engine=world_engine, settings=settings, slug="spring-glow", as_of=at(3, 3))
    second = send_report(
        engine=world_engine, settings=settings, report=again, now=at(3, 3), actor="test"
    )
    assert (first.status, second.status) == ("sent", "skipped")
    assert "2027-W09 is already sent" in second.detail
    assert len(handler.received) == 1
    received = handler.received[0]
    assert sorted(received.rcpt_tos) == ["cmo@lumen.example", "marketing@lumen.example"]
    msg = received.message
    assert msg["Auto-Submitted"] == "auto-generated"
    assert msg["Message-ID"] == first.message_id
    assert msg["Subject"] == "Spring Glow 2027: campaign report 2027-W09"
    assert _parts(msg) == [
        "multipart/mixed",
        "multipart/alternative",
        "text/plain",
        "multipart/related",
        "text/html",
        "image/png",
        "image/png",
        "image/png",
        "text/csv",
    ]
    html = msg.get_body(("html",)).get_content()
    for part in msg.walk():
        if part.get_content_type() == "image/png":
            assert f'src="cid:{part["Content-ID"][1:-1]}"' in html
    attachment = next(iter(msg.iter_attachments()))
    assert attachment.get_filename() == "spring-glow-2027-W09-creators.csv"
    assert attachment.get_content().replace("\r\n", "\n") == report.csv
    with session_scope(world_engine) as session:
        rows = session.scalars(select(Report)).all()
        assert [(r.period, r.status, r.prices_version) for r in rows] == [
            ("2027-W09", "sent", "emv-2026-01")
        ]
        kinds = session.scalars(select(Event.kind).where(Event.entity == "report")).all()
        assert sorted(kinds) == ["report_claimed", "report_sent"]
    # next week is a new period
    next_week = build_report(
        engine=world_engine, settings=settings, slug="spring-glow", as_of=at(3, 8)
    )
    assert (
        send_report(
            engine=world_engine, settings=settings, report=next_week, now=at(3, 8), actor="test"
        ).status
        == "sent"
    )
    assert len(handler.received) == 2


def test_one_report_per_period_on_sqlite_and_postgresql(db_url: str, settings: Settings) -> None:
    engine = make_engine(db_url)
    try:
        build_report_world(engine)
        outcomes = [
            send_report(
                engine=engine,
                settings=settings,
                report=build_report(
                    engine=engine, settings=settings, slug="spring-glow", as_of=moment
                ),
                now=moment,
                actor="test",
            ).status
            for moment in (AS_OF, at(3, 2), at(3, 8))
        ]
        with session_scope(engine) as session:
            periods = session.scalars(select(Report.period).order_by(Report.period)).all()
    finally:
        engine.dispose()
    assert outcomes == ["sent", "skipped", "sent"]
    assert periods == ["2027-W09", "2027-W10"]
    outbox = Path(settings.mail_url.get_secret_value().removeprefix("maildir://"))
    assert len(list(mailbox.Maildir(outbox, create=False))) == 2


def test_a_send_that_never_reached_the_server_can_be_retried(
    world_engine: Engine, settings: Settings
) -> None:
    handler = RecordingHandler()
    port = free_port()
    down = settings.model_copy(update={"mail_url": SecretStr(f"smtp://127.0.0.1:{port}")})
    report = build_report(engine=world_engine, settings=down, slug="spring-glow", as_of=AS_OF)
    with pytest.raises(MailError):
        send_report(engine=world_engine, settings=down, report=report, now=AS_OF, actor="test")
    with session_scope(world_engine) as session:
        assert session.scalars(select(Report.status)).all() == ["failed"]
    from aiosmtpd.controller import Controller

    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        outcome = send_report(
            engine=world_engine, settings=down, report=report, now=AS_OF, actor="test"
        )
    finally:
        controller.stop()
    assert outcome.status == "sent" and len(handler.received) == 1


def test_a_misconfigured_mail_url_leaves_the_period_sendable_once_it_is_fixed(
    world_engine: Engine, settings: Settings, smtp: tuple[RecordingHandler, Settings]
) -> None:
    from creatorflow.errors import ConfigError

    handler, good = smtp
    broken = settings.model_copy(update={"mail_url": SecretStr("smtpx://u:pw@127.0.0.1:25")})
    report = build_report(engine=world_engine, settings=good, slug="spring-glow", as_of=AS_OF)
    with pytest.raises(ConfigError, match="CREATORFLOW_MAIL_URL"):
        send_report(engine=world_engine, settings=broken, report=report, now=AS_OF, actor="test")
    outcome = send_report(engine=world_engine, settings=good, report=report, now=AS_OF, actor="t")
    assert outcome.status == "sent" and len(handler.received) == 1


def test_a_message_that_cannot_be_built_leaves_the_period_sendable(
    world_engine: Engine,
    settings: Settings,
    smtp: tuple[RecordingHandler, Settings],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import creatorflow.services.reporting.reports as reports_service

    handler, good = smtp
    report = build_report(engine=world_engine, settings=good, slug="spring-glow", as_of=AS_OF)

    def broken_builder(**_: object) -> None:
        raise RuntimeError("chart attachment too large")

    with monkeypatch.context() as patch:
        patch.setattr(reports_service, "build_report_message", broken_builder)
        with pytest.raises(RuntimeError):
            send_report(engine=world_engine, settings=good, report=report, now=AS_OF, actor="t")
    assert handler.received == []
    outcome = send_report(engine=world_engine, settings=good, report=report, now=AS_OF, actor="t")
    assert outcome.status == "sent" and len(handler.received) == 1


def test_report_html_renders_in_headless_chromium(
    world_engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.skip("Debian's chromium is not installed (.ci/run installs it)")
    report = build_report(engine=world_engine, settings=settings, slug="spring-glow", as_of=AS_OF)
    out = ARTIFACTS / "report"
    write_report(report, out)
    shot = ARTIFACTS / "report-chromium.png"
    shot.unlink(missing_ok=True)
    subprocess.run(
        [
            chromium,
            "--headless",
            "--disable-gpu",
            "--no-sandbox",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={tmp_path / 'chromium'}",
            "--hide-scrollbars",
            f"--screenshot={shot}",
            "--window-size=1200,3400",
            (out / "report.html").resolve().as_uri(),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    data = shot.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 50_000


def test_an_out_folder_that_is_a_file_is_reported_plainly(
    world_engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    from creatorflow.errors import InputError

    taken = tmp_path / "report"
    taken.write_text("not a folder", encoding="utf-8")
    report = build_report(engine=world_engine, settings=settings, slug="spring-glow", as_of=AS_OF)
    with pytest.raises(InputError, match=r"--out .*report: cannot write there"):
        write_report(report, taken)
