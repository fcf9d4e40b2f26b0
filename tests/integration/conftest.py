"""Fixtures for tests against real servers on loopback."""

from tests.integration.dovecot import dovecot_server, imap_folder  # noqa: F401
