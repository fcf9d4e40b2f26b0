"""Mail errors, split by what the caller must do next.

    CreatorflowError
    └── MailError
        ├── TemporaryMailError   4xx, 5.2.2 mailbox full, or a connection lost before the end of
        │                        the message data: nothing was delivered; try again later
        ├── PermanentMailError   5xx: record as failed; suppress when the address is dead (5.1.x)
        ├── MailOutcomeUnknown   the connection was lost after the message data was sent and
        │                        before the final reply: it may have been delivered; never resend
        └── MailConnectionError  cannot connect or log in: the whole batch stops (nothing sent)
    InputError
    └── TemplateError            a template cannot render (``creatorflow.templating``; nothing sent)

Messages never contain credentials: transports only ever name host and port.
"""

from __future__ import annotations

from creatorflow.errors import CreatorflowError
from creatorflow.templating import TemplateError

__all__ = [
    "MailConnectionError",
    "MailError",
    "MailOutcomeUnknown",
    "PermanentMailError",
    "TemplateError",
    "TemporaryMailError",
]


class MailError(CreatorflowError):
    """Base of every mail-layer error."""


class TemporaryMailError(MailError):
    """The server deferred the message (4xx) or could not be reached; retry later.

    ``persistent``: a "persistent transient" refusal (RFC 3463 5.2.2, mailbox full) that a retry
    seconds later cannot cure: defer it to a later run at once.
    """

    def __init__(
        self,
        message: str,
        *,
        code: int | None = None,
        status: str | None = None,
        reply: str | None = None,
        persistent: bool = False,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.status = status
        self.reply = reply
        self.persistent = persistent

    @property
    def kind(self) -> str:
        """What the outbox records: ``mailbox_full`` or ``temporary``."""
        return "mailbox_full" if self.persistent else "temporary"


class PermanentMailError(MailError):
    """The server refused the message for good (5xx).

    ``address_unknown``: the recipient's address is dead (5.1.x); ``status`` is the RFC 3463
    enhanced code when the server gave one (``5.7.1`` says policy: the person exists).
    """

    def __init__(
        self,
        message: str,
        *,
        code: int | None = None,
        address_unknown: bool = False,
        status: str | None = None,
        reply: str | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.address_unknown = address_unknown
        self.status = status
        self.reply = reply

    @property
    def kind(self) -> str:
        """What the outbox records: ``address`` (dead), ``policy`` (5.7.x) or ``message``."""
        if self.address_unknown:
            return "address"
        if self.status is not None and self.status.startswith("5.7."):
            return "policy"
        return "message"


class MailOutcomeUnknown(MailError):
    """The message may or may not have been delivered (connection lost during DATA)."""


class MailConnectionError(MailError):
    """The server cannot be reached, or refuses TLS or login: no message of the batch can go."""
