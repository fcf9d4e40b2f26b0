"""Mail adapters: message building (MIME, headers), transports (maildir, SMTP) and templates.

The IMAP reply reader lives in ``creatorflow.mail.inbox``.
"""

from creatorflow.mail.errors import (
    MailConnectionError,
    MailError,
    MailOutcomeUnknown,
    PermanentMailError,
    TemplateError,
    TemporaryMailError,
)

__all__ = [
    "MailConnectionError",
    "MailError",
    "MailOutcomeUnknown",
    "PermanentMailError",
    "TemplateError",
    "TemporaryMailError",
]
