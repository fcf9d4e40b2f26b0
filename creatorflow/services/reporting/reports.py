"""Campaign reports: build (figures, charts, HTML, text, CSV), write to disk, send once per period.

A report is a function of (campaign, as_of, definitions version, price table version): nothing
here reads the clock, and the outputs carry no generation time, so the same inputs give
byte-identical HTML and CSV. Sending claims a ``reports`` row for (campaign, period) with
``INSERT ... ON CONFLICT DO NOTHING`` *before* the email leaves: a schedule that fires twice, a
retried task or a second flow run finds the claim and sends nothing.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path
from typing import cast
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, Table, select, update

from creatorflow.domain.report_period import report_period
from creatorflow.errors import InputError
from creatorflow.mail.errors import MailError, MailOutcomeUnknown
from creatorflow.mail.transport import transport_for
from creatorflow.services.reporting.charts import Chart, render_charts
from creatorflow.services.reporting.compliance_figures import compliance_view
from creatorflow.services.reporting.draft_figures import draft_view
from creatorflow.services.reporting.figures import (
    ReportFigures,
    Timeline,
    compute_figures,
    compute_timeline,
)
from creatorflow.services.reporting.message import build_report_message, cid_sources, sender_domain
from creatorflow.services.reporting.prices import load_price_table
from creatorflow.services.reporting.render import (
    creator_records,
    environment,
    render_creators_markdown,
    render_csv,
    render_html,
    render_markdown,
    render_text,
)
from creatorflow.services.reporting.story_figures import story_view
from creatorflow.services.reporting.views import build_view, ranked_creators
from creatorflow.settings import Settings
from creatorflow.storage.campaigns import get_campaign
from creatorflow.storage.db import insert_ignore, session_scope
from creatorflow.storage.events import record_event
from creatorflow.storage.models import Campaign, Report

REPORTS = cast(Table, Report.__table__)

FALLBACK_CID_DOMAIN = "creatorflow.invalid"
#: Creators in the readable per-creator table (the Prefect artifact); the CSV has every one.
CREATORS_TABLE_ROWS = 200


@dataclass(frozen=True)
class BuiltReport:
    """Everything one report consists of; ``html_email`` points at ``cid:`` images,
    ``html_files`` at PNG files beside it."""

    figures: ReportFigures
    timeline: Timeline
    period: str
    recipients: tuple[str, ...]
    subject: str
    charts: tuple[Chart, ...]
    html_email: str
    html_files: str
    text: str
    markdown: str
    creators_markdown: str  # the top creators' key figures, for people (the CSV has them all)
    csv: str
    csv_name: str
    table: list[dict[str, str]]


@dataclass(frozen=True)
class SendOutcome:
    """What ``send_report`` did: ``sent``, or ``skipped`` with the existing claim's status."""

    status: str
    period: str
    message_id: str | None
    recipients: tuple[str, ...]
    detail: str = ""


def build_report(*, engine: Engine, settings: Settings, slug: str, as_of: datetime) -> BuiltReport:
    """Compute and render the report of ``slug`` as of ``as_of`` (no I/O besides the reads)."""
    campaign = get_campaign(engine, slug)
    prices = load_price_table(settings.config_dir, settings.prices_version)
    figures = compute_figures(engine=engine, campaign=campaign, as_of=as_of, prices=prices)
    spec = campaign.spec.report
    period = report_period(spec.cron, as_of.astimezone(ZoneInfo(spec.timezone)))
    timeline = compute_timeline(engine=engine, campaign_id=campaign.id, as_of=as_of)
    view = build_view(figures, period=period, timeline=timeline)
    view["stories"] = story_view(engine=engine, campaign_id=campaign.id, as_of=as_of)  # issue 17
    view["compliance"] = compliance_view(engine=engine, campaign_id=campaign.id, as_of=as_of)
    view["drafts"] = draft_view(  # issue 18: the portal's drafts in the funnel
        engine=engine,
        campaign_id=campaign.id,
        as_of=as_of,
        draft_review=campaign.spec.deliverables.draft_review,
    )
    charts = render_charts(figures, timeline)
    env = environment(settings.templates_dir)
    domain = sender_domain(settings.sender) if settings.sender else FALLBACK_CID_DOMAIN
    return BuiltReport(
        figures=figures,
        timeline=timeline,
        period=period,
        recipients=tuple(spec.recipients),
        subject=f"{campaign.spec.name}: campaign report {period}",
        charts=charts,
        html_email=render_html(env, view, cid_sources(charts, domain)),
        html_files=render_html(env, view, {c.name: c.filename for c in charts}),
        text=render_text(env, view),
        markdown=render_markdown(env, view),
        creators_markdown=render_creators_markdown(
            env, figures, ranked_creators(figures, CREATORS_TABLE_ROWS)
        ),
        csv=render_csv(figures),
        csv_name=f"{slug}-{period}-creators.csv",
        table=creator_records(figures),
    )


def write_report(report: BuiltReport, out_dir: Path) -> list[Path]:
    """``report.html`` (images as files), the PNGs, ``report.txt`` and the per-creator CSV."""
    written = []
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        for name, content in (
            ("report.html", report.html_files),
            ("report.txt", report.text),
            ("creators.csv", report.csv),
        ):
            path = out_dir / name
            path.write_text(content, encoding="utf-8", newline="")
            written.append(path)
        for chart in report.charts:
            path = out_dir / chart.filename
            path.write_bytes(chart.png)
            written.append(path)
    except OSError as exc:  # a file in the way, no permission, disk full: one clear line
        raise InputError(f"--out {out_dir}: cannot write there ({exc.strerror})") from None
    return written


def _claim(
    *, engine: Engine, report: BuiltReport, message_id: str, now: datetime, actor: str
) -> tuple[bool, str, str | None]:
    """Claim (campaign, period): True with our Message-ID, or False with the existing status.

    A claim whose send failed before the server took the message (``failed``) may be claimed
    again; ``sending`` (outcome unknown) and ``sent`` never are.
    """
    figures = report.figures
    html_sha = hashlib.sha256(report.html_email.encode("utf-8")).hexdigest()
    values = {
        "campaign_id": figures.campaign_id,
        "period": report.period,
        "as_of": figures.as_of,
        "definitions_version": figures.definitions_version,
        "prices_version": figures.prices.version,
        "status": "sending",
        "message_id": message_id,
        "recipients": list(report.recipients),
        "html_sha256": html_sha,
        "created_at": now,
        "flow_run_id": _run_id(actor),
    }
    key = (Report.campaign_id == figures.campaign_id, Report.period == report.period)
    with session_scope(engine) as session:
        report_id = session.execute(
            insert_ignore(
                session, REPORTS, values, conflict_columns=["campaign_id", "period"]
            ).returning(REPORTS.c.id)
        ).scalar_one_or_none()
        if report_id is None:
            reclaimed = session.execute(
                update(Report)
                .where(*key, Report.status == "failed")
                .values(
                    status="sending",
                    as_of=figures.as_of,
                    html_sha256=html_sha,
                    recipients=list(report.recipients),
                    flow_run_id=_run_id(actor),
                )
                .returning(Report.id)
                .execution_options(synchronize_session=False)
            ).scalar_one_or_none()
            existing = session.execute(
                select(Report.id, Report.status, Report.message_id).where(*key)
            ).one()
            if reclaimed is None:
                return False, existing.status, existing.message_id
            report_id = existing.id
            message_id = existing.message_id or message_id
        record_event(
            session,
            kind="report_claimed",
            entity="report",
            entity_id=report_id,
            detail={
                "period": report.period,
                "message_id": message_id,
                "recipients": list(report.recipients),
            },
            actor=actor,
            at=now,
            campaign_id=figures.campaign_id,
        )
    return True, "sending", message_id


def _run_id(actor: str) -> str | None:
    return actor.removeprefix("flow-run:") if actor.startswith("flow-run:") else None


def _finish(
    *, engine: Engine, report: BuiltReport, status: str, detail: str, now: datetime, actor: str
) -> None:
    figures = report.figures
    with session_scope(engine) as session:
        row = session.scalars(
            select(Report).where(
                Report.campaign_id == figures.campaign_id, Report.period == report.period
            )
        ).one()
        row.status = status
        if status == "sent":
            row.sent_at = now
        record_event(
            session,
            kind=f"report_{status}",
            entity="report",
            entity_id=row.id,
            detail={"period": report.period, "detail": detail},
            actor=actor,
            at=now,
            campaign_id=figures.campaign_id,
        )


def send_report(
    *, engine: Engine, settings: Settings, report: BuiltReport, now: datetime, actor: str
) -> SendOutcome:
    """Email ``report`` to the campaign's recipients, at most once per (campaign, period)."""
    settings.require("sender")
    assert settings.sender is not None
    if not report.recipients:  # nothing to claim: a later file with recipients may still send
        return SendOutcome(
            "skipped", report.period, None, (), "the campaign file has no report.recipients"
        )
    domain = sender_domain(settings.sender)
    # Built (not connected) before the claim: a bad CREATORFLOW_MAIL_URL must not leave the
    # period claimed as ``sending``, which would block every later send of it.
    transport = transport_for(settings)
    claimed, status, message_id = _claim(
        engine=engine,
        report=report,
        now=now,
        actor=actor,
        message_id=make_msgid(
            idstring=f"report.{report.figures.slug}.{report.period}", domain=domain
        ),
    )
    if not claimed:
        return SendOutcome(
            "skipped",
            report.period,
            message_id,
            report.recipients,
            f"a report for {report.period} is already {status}",
        )
    assert message_id is not None
    try:
        msg = _report_message(sender=settings.sender, report=report, message_id=message_id, now=now)
    except Exception as exc:  # nothing reached the server: the period may be claimed again
        _finish(
            engine=engine,
            report=report,
            status="failed",
            detail=f"the report message could not be built ({type(exc).__name__})",
            now=now,
            actor=actor,
        )
        raise
    try:
        with transport:
            transport.send(msg)
    except MailOutcomeUnknown as exc:  # may have been delivered: never resend blindly
        _finish(
            engine=engine, report=report, status="unknown", detail=str(exc), now=now, actor=actor
        )
        raise
    except MailError as exc:  # refused, or never reached the server: a retry may claim again
        _finish(
            engine=engine, report=report, status="failed", detail=str(exc), now=now, actor=actor
        )
        raise
    except Exception as exc:  # unexpected mid-conversation: it may have gone, so never resend
        _finish(
            engine=engine,
            report=report,
            status="unknown",
            detail=f"sending stopped unexpectedly ({type(exc).__name__})",
            now=now,
            actor=actor,
        )
        raise
    _finish(engine=engine, report=report, status="sent", detail="", now=now, actor=actor)
    return SendOutcome("sent", report.period, message_id, report.recipients)


def _report_message(
    *, sender: str, report: BuiltReport, message_id: str, now: datetime
) -> EmailMessage:
    return build_report_message(
        sender=sender,
        recipients=report.recipients,
        subject=report.subject,
        message_id=message_id,
        date=now,
        text=report.text,
        html=report.html_email,
        charts=report.charts,
        csv_name=report.csv_name,
        csv_text=report.csv,
    )


def run_report(
    *,
    engine: Engine,
    settings: Settings,
    slug: str,
    as_of: datetime,
    send: bool,
    now: datetime,
    actor: str,
) -> tuple[BuiltReport, SendOutcome | None]:
    """Build the report and, when asked, send it (the scheduled flow's one unit of work)."""
    report = build_report(engine=engine, settings=settings, slug=slug, as_of=as_of)
    if not send:
        return report, None
    return report, send_report(
        engine=engine, settings=settings, report=report, now=now, actor=actor
    )


def reportable_campaigns(*, engine: Engine) -> list[str]:
    """Slugs of the campaigns a scheduled report covers: launched and not ended."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(Campaign.slug).where(Campaign.status == "active").order_by(Campaign.slug)
        )
        return [slug for (slug,) in rows]
