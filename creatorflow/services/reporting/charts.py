"""Report charts as PNG bytes: engagements over time per tier, the funnel, the top creators.

Matplotlib's object API with the Agg canvas (no pyplot, no global backend state, no display).
Size, dpi and fonts are fixed and the PNG metadata (which would carry the matplotlib version) is
stripped, so the same figures give the same bytes: reports are reproducible down to the images.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter

from creatorflow.domain import display
from creatorflow.domain.metrics import FUNNEL_STEPS
from creatorflow.services.reporting.figures import ReportFigures, Timeline
from creatorflow.services.reporting.views import OTHER_COLOUR, TIER_COLOURS

WIDTH_IN, HEIGHT_IN, DPI = 7.2, 3.4, 100
TOP_CREATORS = 10


@dataclass(frozen=True)
class Chart:
    """One chart: a stable name (file name and Content-ID stem), its title and PNG bytes."""

    name: str
    title: str
    png: bytes

    @property
    def filename(self) -> str:
        return f"{self.name}.png"


def _plain(text: str) -> str:
    """Creator text shown as typed: '$' would switch matplotlib to math mode."""
    return text.replace("\\", "\\\\").replace("$", r"\$")


def _short(name: str, limit: int = 28) -> str:
    return name if len(name) <= limit else name[: limit - 1].rstrip() + "…"


def _new_figure() -> Figure:
    figure = Figure(figsize=(WIDTH_IN, HEIGHT_IN), dpi=DPI)
    FigureCanvasAgg(figure)
    return figure


#: Axis numbers as the tables print them: 12,000 not 12000 (matplotlib's default).
THOUSANDS = FuncFormatter(lambda value, _position: f"{value:,.0f}")


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
    return buffer.getvalue()


def engagements_over_time(timeline: Timeline) -> Chart:
    figure = _new_figure()
    axes = figure.add_subplot()
    labels = [day.isoformat() for day in timeline.days]
    positions = list(range(len(labels)))
    for tier, values in timeline.series:
        axes.plot(
            positions,
            values,
            marker="o",
            markersize=3,
            label=tier,
            color=TIER_COLOURS.get(tier, OTHER_COLOUR),
        )
    if labels:
        step = max(1, len(labels) // 6)
        axes.set_xticks(positions[::step], labels[::step], fontsize=7)
        axes.legend(fontsize=8, loc="upper left")
    else:
        axes.text(0.5, 0.5, "no snapshots yet", ha="center", va="center", transform=axes.transAxes)
    axes.set_ylabel("engagements")
    axes.yaxis.set_major_formatter(THOUSANDS)
    axes.set_title("Engagements over time, per tier", fontsize=10)
    axes.grid(alpha=0.3)
    figure.tight_layout()
    return Chart("engagements-over-time", "Engagements over time, per tier", _png(figure))


def funnel(figures: ReportFigures) -> Chart:
    figure = _new_figure()
    axes = figure.add_subplot()
    steps = list(FUNNEL_STEPS)
    counts = [figures.funnel[step] for step in steps]
    positions = list(range(len(steps)))
    axes.barh(positions, counts, color="#4e79a7")
    axes.set_yticks(positions, steps)
    axes.invert_yaxis()
    for position, count in zip(positions, counts, strict=True):
        axes.text(count, position, f" {count:,}", va="center", fontsize=8)
    axes.set_xlabel("creators")
    axes.xaxis.set_major_formatter(THOUSANDS)
    axes.set_title("Funnel", fontsize=10)
    figure.tight_layout()
    return Chart("funnel", "Funnel", _png(figure))


def top_creators(figures: ReportFigures) -> Chart:
    figure = _new_figure()
    axes = figure.add_subplot()
    ranked = sorted(
        (c for c in figures.creators if c.figures.inputs.engagements > 0),
        key=lambda c: (-c.figures.inputs.engagements, c.platform, c.handle, c.enrollment_id),
    )[:TOP_CREATORS]
    labels = [_plain(f"{_short(c.name)} ({display.platform_name(c.platform)})") for c in ranked]
    values = [c.figures.inputs.engagements for c in ranked]
    colours = [TIER_COLOURS.get(c.tier, OTHER_COLOUR) for c in ranked]
    positions = list(range(len(ranked)))
    if ranked:
        axes.barh(positions, values, color=colours)
        axes.set_yticks(positions, labels, fontsize=7)
        axes.invert_yaxis()
        present = {c.tier for c in ranked}  # the colours' key, smallest tier first
        tiers = [t for t in TIER_COLOURS if t in present] + sorted(present - set(TIER_COLOURS))
        handles = [Patch(color=TIER_COLOURS.get(t, OTHER_COLOUR), label=t) for t in tiers]
        axes.legend(handles=handles, title="tier", fontsize=7, title_fontsize=7, loc="lower right")
    else:
        axes.text(
            0.5, 0.5, "no engagements yet", ha="center", va="center", transform=axes.transAxes
        )
    axes.set_xlabel("engagements")
    axes.xaxis.set_major_formatter(THOUSANDS)
    axes.set_title(f"Top {TOP_CREATORS} creators by engagements", fontsize=10)
    figure.tight_layout()
    return Chart("top-creators", f"Top {TOP_CREATORS} creators by engagements", _png(figure))


def render_charts(figures: ReportFigures, timeline: Timeline) -> tuple[Chart, ...]:
    return (engagements_over_time(timeline), funnel(figures), top_creators(figures))
