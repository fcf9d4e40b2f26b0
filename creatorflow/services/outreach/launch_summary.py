"""What a launch tells the operator: the shortlist's summary, its exclusions counted by reason
with the next step, and the approval form's text.

The counts of a shortlist are recorded (event ``shortlist_built``) when it is built, so a later
run that reuses the stored shortlist (after a dry run, say) reports the exclusions that were
true when it was built instead of "0 excluded".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from creatorflow.domain.display import amount
from creatorflow.domain.model import TIER_ORDER, Stage
from creatorflow.domain.shortlist import ReasonCount
from creatorflow.settings import Settings
from creatorflow.storage.events import record_event
from creatorflow.storage.models import Event

SHORTLIST_BUILT = "shortlist_built"
TOP_REASONS = 5


@dataclass
class ShortlistResult:
    """The shortlist as the artifact and the CLI show it (rows of plain values)."""

    slug: str
    campaign_id: int
    reused: bool
    picks: list[dict[str, Any]] = field(default_factory=list)
    exclusions: list[dict[str, Any]] = field(default_factory=list)  # rows, when built now
    spend: Decimal = Decimal("0")
    budget: Decimal = Decimal("0")
    currency: str = ""
    shortfall: dict[str, int] = field(default_factory=dict)
    excluded: int | None = None  # None: a shortlist stored before the counts were recorded
    reasons: list[ReasonCount] = field(default_factory=list)
    wanted: dict[str, int] = field(default_factory=dict)
    offers: dict[str, Decimal] = field(default_factory=dict)
    unknown_engagement: int = 0  # picks whose engagement rate is unknown
    warnings: list[str] = field(default_factory=list)

    @property
    def active_picks(self) -> list[dict[str, Any]]:
        """Picks not removed by the operator."""
        return [p for p in self.picks if p["stage"] != Stage.REMOVED.value]

    def summary(self) -> str:
        excluded = (
            "excluded count not recorded"
            if self.excluded is None
            else (f"{self.excluded} excluded")
        )
        text = (
            f"{self.slug}: {len(self.picks)} shortlisted, {excluded}, "
            f"offers {amount(self.spend)} of {amount(self.budget)} {self.currency}"
        )
        if self.shortfall:
            text += "; short of " + ", ".join(f"{n} {t}" for t, n in self.shortfall.items())
        if self.reused:
            text += " (shortlist from an earlier run)"
        return text

    def reason_lines(self, limit: int = TOP_REASONS) -> list[str]:
        """``176 engagement rate unknown (...): run `creatorflow creators refresh```, most first."""
        lines = [
            f"{r.count} {r.reason}" + (f": {r.next_step}" if r.next_step else "")
            for r in self.reasons[:limit]
        ]
        rest = sum(r.count for r in self.reasons[limit:])
        if rest:
            lines.append(f"{rest} for other reasons")
        return lines


def record_counts(session: Session, result: ShortlistResult, *, now: datetime, actor: str) -> None:
    """Keep the new shortlist's counts with the campaign (read back by ``load_counts``)."""
    record_event(
        session,
        kind=SHORTLIST_BUILT,
        entity="campaign",
        entity_id=result.campaign_id,
        detail={
            "shortlisted": len(result.picks),
            "excluded": result.excluded,
            "reasons": [[r.reason, r.count, r.next_step] for r in result.reasons],
        },
        actor=actor,
        at=now,
        campaign_id=result.campaign_id,
    )


def load_counts(session: Session, result: ShortlistResult) -> None:
    """The excluded count and reasons recorded when the reused shortlist was built."""
    detail = session.scalars(
        select(Event.detail)
        .where(Event.campaign_id == result.campaign_id)
        .where(Event.kind == SHORTLIST_BUILT)
        .order_by(Event.id.desc())
        .limit(1)
    ).first()
    if detail:
        result.excluded = detail.get("excluded")
        result.reasons = [ReasonCount(str(r), int(n), str(s)) for r, n, s in detail["reasons"]]


def unsubscribe_warning(settings: Settings) -> str | None:
    """A warning when real mail would leave without a one-click unsubscribe link.

    Only for a mail server (``smtp``/``smtps``): the ``maildir`` transport of the sandbox, the
    demo and a fresh install delivers to local files, which no mailbox provider judges.
    """
    scheme = urlsplit(settings.mail_url.get_secret_value()).scheme.lower()
    if settings.unsubscribe_base_url or scheme == "maildir":
        return None
    return (
        "CREATORFLOW_UNSUBSCRIBE_BASE_URL is not set: the emails carry no one-click "
        "unsubscribe (List-Unsubscribe-Post, RFC 8058), which Gmail and Yahoo require from bulk "
        "senders; set it (with CREATORFLOW_SECRET_KEY) and serve `creatorflow web` there"
    )


def _tier_table(result: ShortlistResult) -> list[str]:
    got: dict[str, int] = {}
    for pick in result.active_picks:
        got[pick["tier"]] = got.get(pick["tier"], 0) + 1
    tiers = [t.value for t in TIER_ORDER if t.value in result.wanted or t.value in got]
    lines = [
        f"| tier | shortlisted | wanted | offer each ({result.currency}) | subtotal |",
        "|---|---:|---:|---:|---:|",
    ]
    for tier in tiers:
        offer = result.offers.get(tier, Decimal("0"))
        n = got.get(tier, 0)
        lines.append(
            f"| {tier} | {n} | {result.wanted.get(tier, 0)} | {amount(offer)} | "
            f"{amount(offer * n)} |"
        )
    lines.append(
        f"| **total** | **{sum(got.values())}** | {sum(result.wanted.values())} | | "
        f"**{amount(result.spend)}** |"
    )
    return lines


def shortlist_markdown(result: ShortlistResult, links: Sequence[tuple[str, str | None]]) -> str:
    """The shortlist in a few lines of markdown: per tier, the budget, the exclusions' reasons.

    ``links``: (artifact key, its UI address or None) of the artifacts holding every row.
    """
    share = f" ({result.spend / result.budget:.0%})" if result.budget else ""
    lines = [
        f"**{len(result.active_picks)} creators shortlisted**; offers "
        f"**{amount(result.spend)} of the {amount(result.budget)} {result.currency} "
        f"budget**{share}.",
        "",
        *_tier_table(result),
        "",
    ]
    if result.excluded is None:
        lines.append("Not shortlisted: not recorded for this shortlist (built by an older run).")
    elif result.excluded:
        lines.append(f"**{result.excluded} not shortlisted**, most often because:")
        lines.extend(f"- {line}" for line in result.reason_lines())
    else:
        lines.append("Every candidate was shortlisted.")
    if result.unknown_engagement:
        lines += [
            "",
            f"{result.unknown_engagement} of the picks have an unknown engagement rate "
            "(`selection.unknown_engagement: include`); `creatorflow creators refresh` reads it.",
        ]
    if links:
        shown = [f"[{key}]({url})" if url else f"`{key}`" for key, url in links]
        lines += ["", "Every row: " + ", ".join(shown) + " (the run's Artifacts tab)."]
    lines += [f"\n> **Warning**: {w}" for w in result.warnings]
    return "\n".join(lines)


def approval_markdown(result: ShortlistResult, links: Sequence[tuple[str, str | None]]) -> str:
    """The approval form's text: the shortlist's summary, then what the two fields do."""
    return "\n".join(
        [
            f"## Approve the `{result.slug}` shortlist",
            "",
            shortlist_markdown(result, links),
            "",
            "Leave **approve all** ticked to send the first email to everyone shortlisted, "
            "except the creators listed under **remove** (`PLATFORM:HANDLE` or email). "
            "Untick it to reject the launch: nothing is sent and the run ends *Cancelled*.",
        ]
    )
