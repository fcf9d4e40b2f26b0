"""The reporting period a moment falls in, derived from the campaign's report cron.

The period is the de-duplication key of scheduled reports: a schedule that fires twice, or a
retried flow, lands in the same period and finds the report already claimed.
"""

from __future__ import annotations

from datetime import datetime


class ReportCronError(ValueError):
    """The report cron is not a five-field cron expression."""


def period_kind(cron: str) -> str:
    """``weekly``, ``monthly``, ``daily`` or ``hourly`` from a five-field cron expression.

    A day-of-week field makes the report weekly; a day-of-month field makes it monthly; a fixed
    hour with neither is daily; anything finer is hourly.
    """
    parts = cron.split()
    if len(parts) != 5:
        raise ReportCronError(f"report cron {cron!r} must have five fields")
    _minute, hour, day_of_month, _month, day_of_week = parts
    if day_of_week != "*":
        return "weekly"
    if day_of_month != "*":
        return "monthly"
    if hour != "*" and "/" not in hour and "," not in hour:
        return "daily"
    return "hourly"


def report_period(cron: str | None, as_of: datetime) -> str:
    """The period label for ``as_of``: ``2027-W10``, ``2027-03``, ``2027-03-01``, ``2027-03-01T09``.

    Without a cron the report is weekly (the product's default schedule).
    """
    if as_of.tzinfo is None:
        raise ValueError("as_of must be timezone-aware")
    kind = period_kind(cron) if cron else "weekly"
    if kind == "weekly":
        year, week, _ = as_of.isocalendar()
        return f"{year}-W{week:02d}"
    if kind == "monthly":
        return f"{as_of.year:04d}-{as_of.month:02d}"
    if kind == "daily":
        return as_of.date().isoformat()
    return as_of.strftime("%Y-%m-%dT%H")
