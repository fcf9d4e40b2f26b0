"""Moved to tests/support/mail.py; this re-export goes once nothing imports it."""

from tests.support.mail import auto_reply, bounce, reply  # noqa: F401
