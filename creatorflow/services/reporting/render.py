"""Rendering the report: HTML (inline CSS), plain text, markdown summary and per-creator CSV.

The templates render through ``creatorflow.templating`` (the sandbox, autoescape for HTML,
StrictUndefined, the render limits): a creator named ``<script>alert(1)</script>`` prints as
text, a template typo fails instead of printing blanks, and a planted template can neither run
code nor hold the process; every failure is one line naming the template file. Output contains
no wall-clock time and uses a fixed order, so it is byte-identical for the same inputs.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from pathlib import Path

import css_inline

from creatorflow.csv_output import csv_writer
from creatorflow.services.reporting import numbers as fmt
from creatorflow.services.reporting.figures import ReportFigures
from creatorflow.templating import TemplateEnvironment

CSV_COLUMNS = (
    "tier",
    "platform",
    "handle",
    "name",
    "stage",
    "followers",
    "posts",
    "posts_live",
    "views",
    "views_unknown",
    "likes",
    "likes_unknown",
    "comments",
    "comments_unknown",
    "shares",
    "shares_unknown",
    "saves",
    "saves_unknown",
    "engagements",
    "engagements_unknown",
    "er_followers",
    "er_views",
    "cost",
    "cpe",
    "cpv",
    "cpm_views",
    "emv",
    "clicks",
    "leads",
    "sales",
    "revenue",
    "cost_per_lead",
)


def markdown_text(value: object) -> str:
    """Creator text inside a markdown table: no HTML, no column breaks, no link syntax."""
    text = str(value)
    for raw, safe in (
        ("&", "&amp;"),
        ("<", "&lt;"),
        (">", "&gt;"),
        ("|", "\\|"),
        ("[", "\\["),
        ("]", "\\]"),
        ("`", "\\`"),
        ("*", "\\*"),
        ("_", "\\_"),
    ):
        text = text.replace(raw, safe)
    return " ".join(text.split())


def environment(templates_dir: Path) -> TemplateEnvironment:
    return TemplateEnvironment(
        templates_dir / "report",
        filters={"md": markdown_text},
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_html(
    env: TemplateEnvironment, view: Mapping[str, object], images: Mapping[str, str]
) -> str:
    """The HTML report with its CSS inlined; ``images`` maps chart name to its ``src``."""
    html = env.render_file("report.html.j2", {"view": view, "images": images})
    return css_inline.inline(html)


def render_text(env: TemplateEnvironment, view: Mapping[str, object]) -> str:
    return env.render_file("report.txt.j2", {"view": view})


def render_markdown(env: TemplateEnvironment, view: Mapping[str, object]) -> str:
    return env.render_file("summary.md.j2", {"view": view})


def render_creators_markdown(
    env: TemplateEnvironment, figures: ReportFigures, rows: list[dict[str, str]]
) -> str:
    """The per-creator table a person reads: key columns, human headings, top ``rows`` only."""
    context = {"currency": figures.currency, "rows": rows, "total": len(figures.creators)}
    return env.render_file("creators.md.j2", context)


def creator_records(figures: ReportFigures) -> list[dict[str, str]]:
    """Per-creator figures as machine-readable strings (the CSV and the table artifact)."""
    records = []
    for c in figures.creators:
        f, i = c.figures, c.figures.inputs
        record = {
            "tier": c.tier,
            "platform": c.platform,
            "handle": c.handle,
            "name": c.name,
            "stage": c.stage,
            "followers": "" if c.followers is None else str(c.followers),
            "posts": str(i.posts),
            "posts_live": str(i.posts_live),
        }
        for name in ("views", "likes", "comments", "shares", "saves", "engagements"):
            record[name] = str(getattr(i, name))
            record[f"{name}_unknown"] = str(getattr(i, f"{name}_unknown"))
        record.update(
            er_followers=fmt.csv_decimal(f.er_followers, "fraction"),
            er_views=fmt.csv_decimal(f.er_views, "fraction"),
            cost=fmt.csv_decimal(i.cost if i.paid else None, "money"),
            cpe=fmt.csv_decimal(f.cpe, "unit"),
            cpv=fmt.csv_decimal(f.cpv, "unit"),
            cpm_views=fmt.csv_decimal(f.cpm_views, "money"),
            emv=fmt.csv_decimal(f.emv, "money"),
            clicks=str(i.clicks),
            leads=str(i.leads),
            sales=str(i.sales),
            revenue=fmt.csv_decimal(i.revenue, "money"),
            cost_per_lead=fmt.csv_decimal(f.cost_per_lead, "money"),
        )
        records.append(record)
    return records


def render_csv(figures: ReportFigures) -> str:
    buffer = io.StringIO()
    writer = csv_writer(buffer)
    writer.writerow(CSV_COLUMNS)
    writer.writerows([record[name] for name in CSV_COLUMNS] for record in creator_records(figures))
    return buffer.getvalue()
