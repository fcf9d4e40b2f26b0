"""Fixtures for tests against real servers on loopback."""

from tests.integration.dovecot import dovecot_server, imap_folder  # noqa: F401
from tests.support.personal_data import db_settings  # noqa: F401
from tests.support.webhooks import hooked, mia_enrolled, receiver, sender  # noqa: F401
