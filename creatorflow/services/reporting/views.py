"""View models for the report templates: figures turned into labelled, formatted strings.

Templates only lay these out; every number is formatted here (``numbers``), once, so the HTML,
text, markdown and CSV agree. Creator-controlled text stays raw here and is escaped by the
template engine (HTML autoescape) or by the markdown filter.
"""

from __future__ import annotations

from dataclasses import dataclass

from creatorflow.domain.metrics import FUNNEL_STEPS, Figures
from creatorflow.services.reporting import numbers as fmt
from creatorflow.services.reporting.figures import CreatorRow, ReportFigures

TOP_ROWS = 25


@dataclass(frozen=True)
class Line:
    """One labelled figure with what stands behind it (counts, unknowns)."""

    label: str
    value: str
    note: str = ""


def _unknown(n: int, what: str = "post") -> str:
    return f"{n:,} {what}{'' if n == 1 else 's'} unknown" if n else ""


def _known_sum(total: int, unknown: int, posts: int) -> str:
    """A sum over posts, or a dash when every post hid the count."""
    return fmt.UNKNOWN if posts and unknown == posts else fmt.count(total)


def headline(f: Figures, currency: str, prices_currency: str) -> list[Line]:
    i = f.inputs
    return [
        Line("Creators enrolled", fmt.count(i.creators), f"{i.posting_creators:,} posting"),
        Line("Posts", fmt.count(i.posts), f"{i.posts_live:,} live"),
        Line(
            "Potential reach (sum of followers)",
            fmt.count(i.potential_reach),
            _unknown(i.reach_unknown, "creator"),
        ),
        Line("Views", fmt.count(i.views), _unknown(i.views_unknown)),
        Line("Likes", fmt.count(i.likes), _unknown(i.likes_unknown)),
        Line("Comments", fmt.count(i.comments), _unknown(i.comments_unknown)),
        Line("Shares", fmt.count(i.shares), _unknown(i.shares_unknown)),
        Line("Saves", fmt.count(i.saves), _unknown(i.saves_unknown)),
        Line("Engagements", fmt.count(i.engagements), _unknown(i.engagements_unknown)),
        Line(
            "ER by followers",
            fmt.percent(f.er_followers),
            f"{i.er_followers_posts:,} posts, {i.er_followers_creators:,} creators",
        ),
        Line(
            "ER by views",
            fmt.percent(f.er_views),
            f"{i.er_views_posts:,} posts, {i.er_views_creators:,} creators",
        ),
        Line(
            "Cost (accepted fees)",
            fmt.money(i.cost, currency),
            f"{i.paid:,} creators" + (f", {i.fee_unknown:,} fee unknown" if i.fee_unknown else ""),
        ),
        Line(
            "CPE (cost per engagement)",
            fmt.unit_money(f.cpe, currency),
            f"{i.cpe_creators:,} creators",
        ),
        Line(
            "CPV (cost per view)", fmt.unit_money(f.cpv, currency), f"{i.cpv_creators:,} creators"
        ),
        Line(
            "CPM by views (cost per 1,000 views)",
            fmt.money(f.cpm_views, currency),
            f"{i.cpv_creators:,} creators",
        ),
        Line("EMV (earned media value)", fmt.money(f.emv, prices_currency), "price table below"),
        Line("Clicks", fmt.count(i.clicks)),
        Line("Leads", fmt.count(i.leads)),
        Line("Sales", fmt.count(i.sales), fmt.money(i.revenue, currency) + " revenue"),
        Line(
            "Cost per lead", fmt.money(f.cost_per_lead, currency), f"{i.lead_creators:,} creators"
        ),
    ]


def tier_row(name: str, f: Figures, currency: str) -> dict[str, str]:
    """The brand's question, one tier per row: each figure with the creators behind it."""
    i = f.inputs
    return {
        "tier": name,
        "creators": fmt.count(i.creators),
        "er_followers": fmt.percent(f.er_followers),
        "er_followers_n": fmt.count(i.er_followers_creators),
        "er_views": fmt.percent(f.er_views),
        "er_views_n": fmt.count(i.er_views_creators),
        "cpe": fmt.unit_money(f.cpe),
        "cpe_n": fmt.count(i.cpe_creators),
        "cpv": fmt.unit_money(f.cpv),
        "cpv_n": fmt.count(i.cpv_creators),
        "leads": fmt.count(i.leads),
        "leads_n": fmt.count(i.creators),
        "cost_per_lead": fmt.money(f.cost_per_lead),
        "cost_per_lead_n": fmt.count(i.lead_creators),
    }


def group_row(name: str, f: Figures, currency: str, prices_currency: str) -> dict[str, str]:
    i = f.inputs
    return {
        "name": name,
        "creators": fmt.count(i.creators),
        "posts": fmt.count(i.posts),
        "views": _known_sum(i.views, i.views_unknown, i.posts),
        "engagements": _known_sum(i.engagements, i.engagements_unknown, i.posts),
        "er_followers": fmt.percent(f.er_followers),
        "cost": fmt.money(i.cost) if i.paid else fmt.UNKNOWN,
        "cpe": fmt.unit_money(f.cpe),
        "emv": fmt.money(f.emv),
        "leads": fmt.count(i.leads),
    }


def creator_row(c: CreatorRow, currency: str, prices_currency: str) -> dict[str, str]:
    row = group_row(c.name, c.figures, currency, prices_currency)
    row.update(
        handle=c.handle,
        platform=c.platform,
        tier=c.tier,
        stage=c.stage,
        followers=fmt.count(c.followers),
    )
    return row


def build_view(figures: ReportFigures, *, period: str | None) -> dict[str, object]:
    """Everything the templates show, as strings, in a fixed order."""
    cur, pcur = figures.currency, figures.prices.currency
    ranked = sorted(
        figures.creators,
        key=lambda c: (-c.figures.inputs.engagements, c.platform, c.handle, c.enrollment_id),
    )
    return {
        "campaign": {"slug": figures.slug, "name": figures.name, "brand": figures.brand},
        "period": period or "",
        "currency": cur,
        "as_of": figures.as_of.strftime("%Y-%m-%d %H:%M UTC"),
        "headline": headline(figures.overall, cur, pcur),
        "tiers": [tier_row(name, f, cur) for name, f in figures.tiers],
        "platforms": [group_row(name, f, cur, pcur) for name, f in figures.platforms],
        "funnel": [(step, fmt.count(figures.funnel[step])) for step in FUNNEL_STEPS],
        "provenance": [
            {
                "provenance": p.provenance,
                "posts": fmt.count(p.posts),
                "views": fmt.count(p.views),
                "engagements": fmt.count(p.engagements),
            }
            for p in figures.provenance
        ],
        "top_creators": [creator_row(c, cur, pcur) for c in ranked[:TOP_ROWS]],
        "creator_total": len(figures.creators),
        "prices": {
            "version": figures.prices.version,
            "currency": pcur,
            "items": [(k, str(v)) for k, v in sorted(figures.prices.prices.items())],
        },
        "definitions_version": figures.definitions_version,
    }
