"""Moved to tests/support/worlds.py; this re-export goes once nothing imports it."""

from tests.support.worlds import (  # noqa: F401
    AS_OF,
    HOSTILE,
    T0,
    add_bulk_creators,
    at,
)
from tests.support.worlds import ReportWorld as World  # noqa: F401
from tests.support.worlds import build_report_world as build_world  # noqa: F401
