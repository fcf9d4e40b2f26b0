"""Fixtures of the platform tests: the test database and sandbox clients that never sleep."""

from tests.support.trouble import clients, db, disconnected  # noqa: F401
