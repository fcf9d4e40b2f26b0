"""Mail errors, split by what the caller must do next.

    CreatorflowError
    └── MailError
        ├── TemporaryMailError   4xx or a connection problem before DATA: try again later
        ├── PermanentMailError   5xx: record as failed; suppress when the address is unknown
        ├── MailOutcomeUnknown   the connection was lost after DATA began: never resend blindly
        ├── MailConnectionError  cannot connect or log in: the whole batch stops (nothing sent)
        └── TemplateError        a template is missing or uses an undefined variable (nothing sent)

Messages never contain credentials: transports only ever name host and port.
"""

from __future__ import annotations

from creatorflow.errors import CreatorflowError, InputError


class MailError(CreatorflowError):
    """Base of every mail-layer error."""


class TemporaryMailError(MailError):
    """The server deferred the message (4xx) or could not be reached; retry later."""

    def __init__(self, message: str, *, code: int | None = None) -> None:
        super().__init__(message)
        self.code = code


class PermanentMailError(MailError):
    """The server refused the message for good (5xx)."""

    def __init__(
        self, message: str, *, code: int | None = None, address_unknown: bool = False
    ) -> None:
        super().__init__(message)
        self.code = code
        self.address_unknown = address_unknown


class MailOutcomeUnknown(MailError):
    """The message may or may not have been delivered (connection lost during DATA)."""


class MailConnectionError(MailError):
    """The server cannot be reached, or refuses TLS or login: no message of the batch can go."""


class TemplateError(MailError, InputError):
    """A template cannot be rendered; the message names the template file and the variable."""
