"""`creatorflow campaign report | conversions` as the operator runs them (a real subprocess)."""

from __future__ import annotations

import mailbox
from pathlib import Path

from creatorflow.settings import Settings
from creatorflow.storage.db import make_engine
from tests.support.environment import run_cli
from tests.support.worlds import build_report_world


def test_report_out_writes_files_and_send_mails_once(settings: Settings, tmp_path: Path) -> None:
    engine = make_engine(settings.database_url)
    build_report_world(engine)
    engine.dispose()
    out = tmp_path / "report"
    as_of = "2027-03-01T09:00:00+00:00"
    written = run_cli(
        settings, "campaign", "report", "spring-glow", "--out", str(out), "--as-of", as_of
    )
    assert written.returncode == 0, written.stderr
    assert "period 2027-W09" in written.stdout
    assert sorted(p.name for p in out.iterdir()) == [
        "creators.csv",
        "engagements-over-time.png",
        "funnel.png",
        "report.html",
        "report.txt",
        "top-creators.png",
    ]
    assert 'src="funnel.png"' in (out / "report.html").read_text()
    printed = run_cli(settings, "campaign", "report", "spring-glow", "--as-of", as_of)
    assert printed.returncode == 0 and "TIER COMPARISON" in printed.stdout
    for expected in ("sent to marketing@lumen.example", "not sent: a report for 2027-W09"):
        sent = run_cli(settings, "campaign", "report", "spring-glow", "--send", "--as-of", as_of)
        assert sent.returncode == 0, sent.stderr
        assert expected in sent.stdout
    outbox = Path(settings.mail_url.get_secret_value().removeprefix("maildir://"))
    assert len(list(mailbox.Maildir(outbox, create=False))) == 1


def test_conversions_command_reports_counts_and_unknown_codes(
    settings: Settings, tmp_path: Path
) -> None:
    engine = make_engine(settings.database_url)
    build_report_world(engine)
    engine.dispose()
    export = tmp_path / "ga.csv"
    export.write_text("utm_content,clicks,leads\nana,5,1\nghost,2,0\n")
    first = run_cli(settings, "campaign", "conversions", "spring-glow", str(export))
    assert first.returncode == 0, first.stderr
    assert "1 rows imported, 0 already imported" in first.stdout
    assert "line 3: unknown code 'ghost'" in first.stdout
    again = run_cli(settings, "campaign", "conversions", "spring-glow", str(export))
    assert "0 rows imported, 1 already imported" in again.stdout
    missing = run_cli(settings, "campaign", "conversions", "no-such", str(export))
    assert missing.returncode == 1
    assert missing.stderr.strip().startswith("error: no campaign 'no-such'")
