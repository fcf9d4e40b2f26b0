"""View models for the report templates: figures turned into labelled, formatted strings.

Templates only lay these out; every number is formatted here (``numbers``), once, so the HTML,
text, markdown and CSV agree. Creator-controlled text stays raw here and is escaped by the
template engine (HTML autoescape) or by the markdown filter.
"""

from __future__ import annotations

from dataclasses import dataclass

from creatorflow.domain import display
from creatorflow.domain.metrics import FUNNEL_STEPS, Figures
from creatorflow.services.reporting import numbers as fmt
from creatorflow.services.reporting.figures import CreatorRow, ReportFigures, Timeline

TOP_ROWS = 25
#: Rows of the table behind the engagements chart: about one a week for a campaign's length.
TIMELINE_ROWS = 8
#: The colour of each tier in the charts, and of its swatch in the report's tables and legend.
TIER_COLOURS = {
    "nano": "#4e79a7",
    "micro": "#f28e2b",
    "mid": "#59a14f",
    "macro": "#e15759",
    "mega": "#b07aa1",
    "untiered": "#9c9c9c",
}
OTHER_COLOUR = "#333333"


@dataclass(frozen=True)
class Line:
    """One labelled figure with what stands behind it (counts, unknowns)."""

    label: str
    value: str
    note: str = ""


def _unknown(n: int, what: str = "post") -> str:
    return f"{n:,} {what}{'' if n == 1 else 's'} unknown" if n else ""


def _post_count(label: str, total: int, unknown: int, posts: int) -> Line:
    """A count summed over posts: ``unknown`` when every post hid it, never a bare 0."""
    if posts and unknown == posts:
        hidden = "the post" if posts == 1 else f"all {posts:,} posts"
        return Line(label, "unknown", f"hidden on {hidden}")
    return Line(
        label, fmt.count(total), f"{unknown:,} of {posts:,} posts unknown" if unknown else ""
    )


def _known_sum(total: int, unknown: int, posts: int) -> str:
    """A sum over posts, or a dash when every post hid the count."""
    return fmt.UNKNOWN if posts and unknown == posts else fmt.count(total)


def headline(f: Figures, currency: str, prices_currency: str, prices_version: str) -> list[Line]:
    i = f.inputs
    return [
        Line("Creators enrolled", fmt.count(i.creators), f"{i.posting_creators:,} posting"),
        Line("Posts", fmt.count(i.posts), f"{i.posts_live:,} live"),
        Line(
            "Potential reach (sum of followers)",
            fmt.count(i.potential_reach),
            _unknown(i.reach_unknown, "creator"),
        ),
        _post_count("Views", i.views, i.views_unknown, i.posts),
        _post_count("Likes", i.likes, i.likes_unknown, i.posts),
        _post_count("Comments", i.comments, i.comments_unknown, i.posts),
        _post_count("Shares", i.shares, i.shares_unknown, i.posts),
        _post_count("Saves", i.saves, i.saves_unknown, i.posts),
        _post_count("Engagements", i.engagements, i.engagements_unknown, i.posts),
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
        Line(
            "EMV (earned media value)",
            fmt.money(f.emv, prices_currency),
            f"price table {prices_version}, prices per action at the end",
        ),
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
        "colour": TIER_COLOURS.get(name, OTHER_COLOUR),
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
        account=display.account_label(c.platform, c.handle) or c.handle,
        platform=display.platform_name(c.platform),
        tier=c.tier,
        colour=TIER_COLOURS.get(c.tier, OTHER_COLOUR),
        stage=c.stage,
        followers=fmt.count(c.followers),
    )
    return row


def ranked_creators(figures: ReportFigures, limit: int) -> list[dict[str, str]]:
    """The ``limit`` creators with the most engagements, as rows (the table and the artifact)."""
    ranked = sorted(
        figures.creators,
        key=lambda c: (-c.figures.inputs.engagements, c.platform, c.handle, c.enrollment_id),
    )
    return [creator_row(c, figures.currency, figures.prices.currency) for c in ranked[:limit]]


def timeline_table(timeline: Timeline, rows: int = TIMELINE_ROWS) -> dict[str, object]:
    """The figures behind the engagements chart: cumulative engagements per tier on up to
    ``rows`` days, evenly spread and always ending on the latest, so the chart reads without
    its image (mail clients that block images, screen readers)."""
    days = timeline.days
    if len(days) <= rows:
        picked = list(range(len(days)))
    else:
        picked = sorted({round(k * (len(days) - 1) / (rows - 1)) for k in range(rows)})
    tiers = [
        {"tier": tier, "colour": TIER_COLOURS.get(tier, OTHER_COLOUR)}
        for tier, _values in timeline.series
    ]
    table = []
    for index in picked:
        values = [values[index] for _tier, values in timeline.series]
        table.append(
            {
                "day": days[index].isoformat(),
                "values": [fmt.count(v) for v in values],
                "total": fmt.count(sum(values)),
            }
        )
    return {"tiers": tiers, "rows": table, "days": len(days), "shown": len(picked)}


PLATFORM_FIGURES = (
    ("creators", "creators", ""),
    ("posts", "posts", ""),
    ("views", "views", ""),
    ("engagements", "engagements", ""),
    ("er_followers", "ER by followers", ""),
    ("cost", "cost", "currency"),
    ("cpe", "CPE", "currency"),
    ("emv", "EMV", "prices"),
    ("leads", "leads", ""),
)


def platform_table(rows: list[dict[str, str]], currency: str, prices: str) -> dict[str, object]:
    """Platforms as columns, figures as rows: three or four columns fit a phone's width where
    ten figures side by side do not."""
    money = {"": "", "currency": f" {currency}", "prices": f" {prices}"}
    return {
        "names": [row["name"] for row in rows],
        "rows": [
            {"label": label + money[unit], "values": [row[key] for row in rows]}
            for key, label, unit in PLATFORM_FIGURES
        ],
    }


def build_view(
    figures: ReportFigures, *, period: str | None, timeline: Timeline | None = None
) -> dict[str, object]:
    """Everything the templates show, as strings, in a fixed order."""
    cur, pcur = figures.currency, figures.prices.currency
    platforms = [
        group_row(display.platform_name(name), f, cur, pcur) for name, f in figures.platforms
    ]
    return {
        "campaign": {"slug": figures.slug, "name": figures.name, "brand": figures.brand},
        "period": period or "",
        "currency": cur,
        "as_of": figures.as_of.strftime("%Y-%m-%d %H:%M UTC"),
        "headline": headline(figures.overall, cur, pcur, figures.prices.version),
        "tiers": [tier_row(name, f, cur) for name, f in figures.tiers],
        "tier_legend": [
            {"tier": tier, "colour": TIER_COLOURS.get(tier, OTHER_COLOUR)}
            for tier, _f in figures.tiers
        ],
        "timeline": timeline_table(timeline or Timeline(days=(), series=())),
        "platforms": platforms,
        "platform_table": platform_table(platforms, cur, pcur),
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
        "top_creators": ranked_creators(figures, TOP_ROWS),
        "creator_total": len(figures.creators),
        "prices": {
            "version": figures.prices.version,
            "currency": pcur,
            "items": [(k, str(v)) for k, v in sorted(figures.prices.prices.items())],
        },
        "definitions_version": figures.definitions_version,
    }
